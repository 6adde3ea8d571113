"""Token ids and secrets, Rancher's versioned secret hashes, password hashes."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
SECRET_LENGTH = 54
SUFFIX_LENGTH = 5
_SALT_BYTES = 8


_UNBIASED = 256 - 256 % len(ALPHABET)  # bytes at or above this would favour some letters
_TO_LETTER = bytes(ord(ALPHABET[b % len(ALPHABET)]) for b in range(256))
_BIASED = bytes(range(_UNBIASED, 256))


def random_chars(n: int) -> str:
    """`n` uniformly random letters of ALPHABET from the OS generator, in C."""
    out = b""
    while len(out) < n:
        out += secrets.token_bytes(n + 8).translate(_TO_LETTER, _BIASED)
    return out[:n].decode()


def new_suffix() -> str:
    return random_chars(SUFFIX_LENGTH)


def new_secret() -> str:
    return random_chars(SECRET_LENGTH)


def new_uuid() -> str:
    """A random (version 4) UUID in its text form, without uuid.UUID's slow constructor."""
    raw = bytearray(secrets.token_bytes(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # the RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def hash_secret(secret: str) -> str:
    """SHA-256 in Rancher's `$2:<salt>:<hash>` format (base64, no padding)."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.sha256(salt + secret.encode()).digest()
    return f"$2:{_b64(salt)}:{_b64(digest)}"


def hash_secret_sha3(secret: str) -> str:
    """Rancher's SHA3-512 `$3:1:<salt>:<hash>` format (what Rancher's code writes)."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.sha3_512(salt + secret.encode()).digest()
    return f"$3:1:{_b64(salt)}:{_b64(digest)}"


@functools.cache
def dummy_secret_hash() -> str:
    """Compared against when a token id is unknown, as a known id's secret would be."""
    return hash_secret(new_secret())


def is_hashed(stored: str) -> bool:
    return stored.startswith("$")


def verify_secret(stored: str, given: str) -> bool:
    """Constant-time check of a presented secret against a stored one."""
    if not is_hashed(stored):
        return hmac.compare_digest(stored.encode(), given.encode())
    parsed = _parse_hash(stored)
    if parsed is None:
        return False
    algorithm, salt, expected = parsed
    return hmac.compare_digest(expected, algorithm(salt + given.encode()).digest())


@functools.lru_cache(maxsize=4096)  # a hash is no secret; decoding it costs more than hashing
def _parse_hash(stored: str) -> tuple | None:
    """(algorithm, salt, expected digest) of a `$2:` or `$3:1:` hash; None if malformed."""
    parts = stored[1:].split(":")
    try:
        if parts[0] == "2" and len(parts) == 3:
            found = hashlib.sha256, _unb64(parts[1]), _unb64(parts[2])
        elif parts[0] == "3" and len(parts) == 4 and parts[1] == "1":
            found = hashlib.sha3_512, _unb64(parts[2]), _unb64(parts[3])
        else:
            return None
    except ValueError:
        return None
    return found if found[2] else None


# Passwords: scrypt from hashlib, deliberately slow; never on the token hot path.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    params = f"{_SCRYPT['n']}:{_SCRYPT['r']}:{_SCRYPT['p']}"
    return f"scrypt:{params}:{_b64(salt)}:{_b64(digest)}"


def is_password_hash(stored: str) -> bool:
    """A hash verify_password can check (not NO_PASSWORD or anything malformed)."""
    parts = stored.split(":")
    return len(parts) == 6 and parts[0] == "scrypt" and all(p.isdigit() for p in parts[1:4])


def verify_password(stored: str, password: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split(":")
        actual = hashlib.scrypt(
            password.encode(), salt=_unb64(salt), dklen=32, n=int(n), r=int(r), p=int(p)
        )
    except ValueError:
        return False
    return hmac.compare_digest(_unb64(digest), actual)


@functools.cache
def dummy_password_hash() -> str:
    """Verified against when a username is unknown, so timing hides whether it exists."""
    return hash_password(secrets.token_urlsafe(16))
