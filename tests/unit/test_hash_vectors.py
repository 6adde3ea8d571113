"""Known-answer vectors for Rancher's versioned secret hashes (R13 pkg/auth/tokens/hashers).

The expected strings are constants, not computed here. They were derived independently of
shim.crypto, with the shell (salt bytes 01..08 followed by the secret, base64 without "="):

    S=k8s9qvw2xj7ldn4mzbr5tcp6hgf3s2wq8vx7lm4nb9ck2jd5rt6p
    (printf '\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08'; printf %s $S) | openssl dgst -sha256 -binary | base64
    (printf '\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08'; printf %s $S) | openssl dgst -sha3-512 -binary | base64
    printf '\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08' | base64        # the salt: AQIDBAUGBwg=

Hashing the secret followed by the salt instead gives HFr5kAlps1SB6fWpGm0Y5+Sgk9z1eDvUcBInP2WL1AM
(SHA-256): a verifier built that way on both sides would accept its own hashes but not these.
"""

from __future__ import annotations

import pytest

from shim import crypto

SECRET = "k8s9qvw2xj7ldn4mzbr5tcp6hgf3s2wq8vx7lm4nb9ck2jd5rt6p"
SHA256 = "$2:AQIDBAUGBwg:NqNdBUeBJ32aJRYiwiijfGWfvvocZrXN2etmbwL6uzA"
SHA3 = ("$3:1:AQIDBAUGBwg:Yj+u6iTTsQZLcERWYt/VBDxAx+xsj+XI/b9O6030qpp5jsanoN6+i77nTCluLR6IJIf"
        "RI0vtQM9haXiO42epUw")
SECRET_THEN_SALT = "$2:AQIDBAUGBwg:HFr5kAlps1SB6fWpGm0Y5+Sgk9z1eDvUcBInP2WL1AM"
VECTORS = [SHA256, SHA3]


@pytest.fixture(autouse=True)
def parse_afresh():
    """verify_secret caches parsed hashes; each test here must exercise the parsing itself."""
    crypto._parse_hash.cache_clear()


def flip_last_digest_byte(stored: str) -> str:
    head, _, digest = stored.rpartition(":")
    raw = bytearray(crypto._unb64(digest))
    raw[-1] ^= 0x01
    return f"{head}:{crypto._b64(bytes(raw))}"


def truncate_digest(stored: str, nbytes: int) -> str:
    head, _, digest = stored.rpartition(":")
    return f"{head}:{crypto._b64(crypto._unb64(digest)[:nbytes])}"


@pytest.mark.parametrize("stored", VECTORS, ids=["sha256", "sha3-512"])
def test_rancher_vector_verifies_with_its_secret(stored):
    assert crypto.verify_secret(stored, SECRET)


@pytest.mark.parametrize("stored", VECTORS, ids=["sha256", "sha3-512"])
@pytest.mark.parametrize("given", [
    SECRET[:-1] + "q",  # last character changed
    "q" + SECRET[1:],  # first character changed
    SECRET[:-1],  # one character short
    SECRET + "b",  # one character long
    "",
], ids=["last-char", "first-char", "short", "long", "empty"])
def test_rancher_vector_refuses_any_other_secret(stored, given):
    assert not crypto.verify_secret(stored, given)


@pytest.mark.parametrize("stored", VECTORS, ids=["sha256", "sha3-512"])
def test_the_stored_hash_presented_as_the_secret_is_refused(stored):
    assert not crypto.verify_secret(stored, stored)


@pytest.mark.parametrize("stored", VECTORS, ids=["sha256", "sha3-512"])
def test_a_digest_with_its_last_byte_flipped_is_refused(stored):
    assert not crypto.verify_secret(flip_last_digest_byte(stored), SECRET)


@pytest.mark.parametrize("stored", VECTORS, ids=["sha256", "sha3-512"])
@pytest.mark.parametrize("nbytes", [31, 16, 4, 1])
def test_a_truncated_digest_is_refused(stored, nbytes):
    assert not crypto.verify_secret(truncate_digest(stored, nbytes), SECRET)


def test_salt_goes_before_the_secret_as_in_rancher():
    assert not crypto.verify_secret(SECRET_THEN_SALT, SECRET)


def test_the_version_picks_the_algorithm():
    sha256_digest, sha3_digest = SHA256.rpartition(":")[2], SHA3.rpartition(":")[2]
    assert not crypto.verify_secret(f"$3:1:AQIDBAUGBwg:{sha256_digest}", SECRET)
    assert not crypto.verify_secret(f"$2:AQIDBAUGBwg:{sha3_digest}", SECRET)


def test_the_salt_is_part_of_the_hash():
    assert not crypto.verify_secret(SHA256.replace("AQIDBAUGBwg", "AQIDBAUGBwk"), SECRET)
    assert not crypto.verify_secret(SHA3.replace("AQIDBAUGBwg", "AQIDBAUGBwk"), SECRET)


MALFORMED = [
    "$", "$2", "$2:", "$2::", "$2:abc", "$2:!!:!!", "$2:AQIDBAUGBwg:", "$2:AQIDBAUGBwg:%%%",
    "$2:AQIDBAUGBwg:NqNdBUeBJ32aJRYiwiijfGWfvvocZrXN2etmbwL6uzA:extra",
    "$3:AQIDBAUGBwg:x", "$3:1:AQIDBAUGBwg:", "$3:1:AQIDBAUGBwg", "$3:1:!!:!!",
    # unknown versions, and Rancher's $1 (scrypt), which this shim does not verify
    "$1:0102030405060708:15:8:1:AAAA", "$4:AQIDBAUGBwg:AAAA", "$9:a:b", "$3:2:AQIDBAUGBwg:AAAA",
    "$x:AQIDBAUGBwg:AAAA",
]


@pytest.mark.parametrize("stored", MALFORMED)
def test_malformed_or_unknown_version_hash_is_refused_never_compared_as_text(stored):
    assert not crypto.verify_secret(stored, stored)  # what a plain-text fallback would accept
    assert not crypto.verify_secret(stored, "")
    assert not crypto.verify_secret(stored, SECRET)


@pytest.mark.parametrize("stored", [SHA256, SHA3] + MALFORMED)
def test_anything_starting_with_a_dollar_is_a_hash(stored):
    assert crypto.is_hashed(stored)


@pytest.mark.parametrize("plain", [SECRET, "abc", "", "2:AQIDBAUGBwg:x", " $2:a:b"])
def test_stored_plain_secrets_are_those_without_the_dollar_prefix(plain):
    """Secrets stored before hashing was switched on never start with "$" (not in ALPHABET)."""
    assert not crypto.is_hashed(plain)
    assert crypto.verify_secret(plain, plain)
    assert not crypto.verify_secret(plain, plain + "b")


def test_the_secret_alphabet_cannot_make_a_secret_look_hashed():
    assert "$" not in crypto.ALPHABET


@pytest.mark.parametrize("make", [crypto.hash_secret, crypto.hash_secret_sha3])
def test_new_hashes_use_an_eight_byte_salt_and_verify(make):
    stored = make(SECRET)
    salt = stored.split(":")[-2]
    assert len(crypto._unb64(salt)) == 8
    assert crypto.verify_secret(stored, SECRET)
    assert not crypto.verify_secret(stored, SECRET[:-1] + "q")


def test_characters_outside_base64_are_refused_not_skipped():
    head, _, digest = SHA256.rpartition(":")
    # four of them, so that a decoder that skipped them would still find the padding right
    assert not crypto.verify_secret(f"{head}:{digest[:20]}!!!!{digest[20:]}", SECRET)
    assert not crypto.verify_secret(f"$2:AQID!!!!BAUGBwg:{digest}", SECRET)


def test_a_padded_or_unpadded_base64_digest_verifies_the_same():
    assert crypto.verify_secret(SHA256 + "=", SECRET)
