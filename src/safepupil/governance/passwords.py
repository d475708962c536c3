"""Password hashing for web sign-in: scrypt (hashlib) with a random salt per password.

The stored text carries the parameters (``scrypt$N$r$p$salt$hash``, base64 parts), so
raising the cost later leaves old hashes checkable. Comparison is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from safepupil.errors import UserError

# OWASP's recommended minimum for scrypt: N = 2^17, r = 8, p = 1 (128 MiB, ~0.5 s here).
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_MAXMEM = 256 * 1024 * 1024  # hashlib refuses above 32 MiB unless told
KEY_BYTES = 32
SALT_BYTES = 16
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1_024  # longer input only costs the server time
SCHEME = "scrypt"


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters",
            hint="use a passphrase of several words",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"a password may have at most {MAX_PASSWORD_LENGTH} characters")


def hash_password(password: str) -> str:
    check_password_policy(password)
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join([SCHEME, str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(key)])


def password_matches(password: str, stored: str | None) -> bool:
    """True when ``password`` is the one ``stored`` was made from. With nothing stored
    (or a damaged hash) the same work is done anyway, so the answer's timing does not
    tell whether an account exists or has a password."""
    parsed = _parse(stored) if stored else None
    if parsed is None or len(password) > MAX_PASSWORD_LENGTH:
        _derive(password[:MAX_PASSWORD_LENGTH], b"\0" * SALT_BYTES, SCRYPT_N, SCRYPT_R, SCRYPT_P)
        return False
    n, r, p, salt, key = parsed
    return hmac.compare_digest(_derive(password, salt, n, r, p), key)


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=SCRYPT_MAXMEM, dklen=KEY_BYTES
    )


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return None
    try:
        n, r, p = (int(part) for part in parts[1:4])
        salt, key = base64.urlsafe_b64decode(parts[4]), base64.urlsafe_b64decode(parts[5])
    except ValueError:
        return None
    # Parameters outside these bounds are not ours: refuse rather than spend unbounded work.
    power_of_two = n & (n - 1) == 0
    if not (
        power_of_two
        and 2 <= n <= SCRYPT_N
        and r == SCRYPT_R
        and p == SCRYPT_P
        and len(key) == KEY_BYTES
    ):
        return None
    return n, r, p, salt, key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")
