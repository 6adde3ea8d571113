import re

import pytest

from shim import crypto

ALPHABET = re.compile(r"^[bcdfghjklmnpqrstvwxz2456789]+$")


def test_secret_is_54_characters_of_rancher_alphabet():
    secret = crypto.new_secret()
    assert len(secret) == 54 and ALPHABET.match(secret)


def test_suffix_is_5_characters_of_rancher_alphabet():
    suffix = crypto.new_suffix()
    assert len(suffix) == 5 and ALPHABET.match(suffix)


def test_sha256_hash_has_rancher_format_and_verifies():
    stored = crypto.hash_secret("s3cret")
    assert re.match(r"^\$2:[A-Za-z0-9+/]{11}:[A-Za-z0-9+/]{43}$", stored)
    assert crypto.verify_secret(stored, "s3cret")
    assert not crypto.verify_secret(stored, "s3cres")


def test_sha3_hash_from_rancher_verifies():
    stored = crypto.hash_secret_sha3("s3cret")
    assert re.match(r"^\$3:1:[A-Za-z0-9+/]{11}:[A-Za-z0-9+/]{86}$", stored)
    assert crypto.verify_secret(stored, "s3cret")
    assert not crypto.verify_secret(stored, "other")


def test_letters_are_drawn_without_modulo_bias():
    """27 letters: bytes 0..242 map to ALPHABET[b % 27]; 243..255 are dropped, not folded."""
    assert len(crypto.ALPHABET) == 27
    assert crypto._BIASED == bytes(range(243, 256))
    assert crypto._TO_LETTER[0] == ord("b") and crypto._TO_LETTER[26] == ord("9")
    assert crypto._TO_LETTER[27] == ord("b") and crypto._TO_LETTER[242] == ord("9")
    assert b"\x00\x1a\xf2\xf3\xff".translate(crypto._TO_LETTER, crypto._BIASED) == b"b99"


def test_random_chars_gives_exactly_n_letters_even_when_many_bytes_are_dropped():
    assert crypto.random_chars(0) == ""
    for n in (1, 5, 54, 300):
        drawn = crypto.random_chars(n)
        assert len(drawn) == n and ALPHABET.match(drawn)
    assert len({crypto.random_chars(54) for _ in range(50)}) == 50


def test_every_letter_is_drawn():
    assert set("".join(crypto.random_chars(54) for _ in range(40))) == set(crypto.ALPHABET)


def test_same_secret_hashes_differently_each_time():
    assert crypto.hash_secret("x") != crypto.hash_secret("x")


def test_plain_secret_compare():
    assert crypto.verify_secret("abc", "abc")
    assert not crypto.verify_secret("abc", "abd")
    assert not crypto.verify_secret("abc", "ab") and not crypto.verify_secret("abc", "abcd")


def test_password_hash_verifies_and_is_salted():
    first, second = crypto.hash_password("pw-123456789"), crypto.hash_password("pw-123456789")
    assert first != second and first.startswith("scrypt:")
    assert crypto.verify_password(first, "pw-123456789")
    assert not crypto.verify_password(first, "pw-123456780")
    assert not crypto.verify_password("garbage", "x")


def test_new_uuid_is_a_random_rfc4122_version_4_uuid():
    import uuid

    values = {crypto.new_uuid() for _ in range(1000)}
    assert len(values) == 1000
    for value in values:
        parsed = uuid.UUID(value)
        assert str(parsed) == value
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)


def test_biased_bytes_are_dropped_and_drawing_goes_on_until_n_letters(monkeypatch):
    """Rounds of 0, 2 and 3 usable bytes: the letters add up, and drawing stops at exactly n."""
    rounds = iter([b"\xff" * 13, bytes([0, 255, 1]), bytes([243, 26, 244, 2, 3])])
    monkeypatch.setattr(crypto.secrets, "token_bytes", lambda size: next(rounds))
    assert crypto.random_chars(5) == "bc9df"  # bytes 0, 1, 26, 2, 3: ALPHABET[b % 27]


def test_uuid_keeps_every_random_bit_outside_version_and_variant():
    raw = [bytes.fromhex(crypto.new_uuid().replace("-", "")) for _ in range(4000)]
    assert {b[6] & 0x0F for b in raw} == set(range(16))  # version nibble fixed, the rest random
    assert {b[8] & 0x3F for b in raw} == set(range(64))  # variant bits fixed, the rest random
    assert any(b[6] & 0x0F != b[7] & 0x0F for b in raw)  # not copied from a neighbour
    assert any(b[8] & 0x3F != b[9] & 0x3F for b in raw)


@pytest.mark.parametrize("length", [1, 2, 3, 8, 32, 64])
def test_base64_without_padding_round_trips_every_last_byte(length):
    for last in range(256):
        raw = bytes(length - 1) + bytes([last])
        text = crypto._b64(raw)
        assert "=" not in text and crypto._unb64(text) == raw


def test_password_hash_has_scrypt_parameters_and_a_16_byte_salt():
    _, n, r, p, salt, digest = crypto.hash_password("pw-123456789").split(":")
    assert (n, r, p) == ("16384", "8", "1")
    assert len(crypto._unb64(salt)) == 16 and len(crypto._unb64(digest)) == 32
