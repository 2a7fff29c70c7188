"""Password and token hashing with the standard library (no home-made crypto):
scrypt for passwords, salted SHA-256 for random API-token secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# scrypt cost: about 50 ms on the development machine, 16 MiB of memory
N, R, P = 2**14, 8, 1
MIN_PASSWORD = 10


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, base64.b64decode(digest))


# Verified against when the user does not exist, so both answers take as long.
_DUMMY = hash_password(secrets.token_hex(16))


def burn_time(password: str) -> None:
    verify_password(password, _DUMMY)


def check_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"kata sandi terlalu pendek (paling sedikit {MIN_PASSWORD} karakter)")


def new_token() -> tuple[str, str, str]:
    """(token shown once, key id stored in clear, salted hash of the secret)."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return f"iku_{key_id}_{secret}", key_id, hash_token_secret(secret)


def hash_token_secret(secret: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    return f"sha256${_b64(salt)}${hashlib.sha256(salt + secret.encode()).hexdigest()}"


def split_token(token: str) -> tuple[str, str] | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "iku" or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def verify_token_secret(secret: str, stored: str) -> bool:
    try:
        scheme, salt, _ = stored.split("$")
        if scheme != "sha256":
            return False
        expected = hash_token_secret(secret, base64.b64decode(salt))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(expected, stored)
