"""API tokens: random secrets shown once, kept only as SHA-256 hashes.

A token is 32 random bytes (URL-safe base64, 43 characters), so its SHA-256 is as good
a key as the token itself and needs no salt or slow hash: nothing shorter than the
token can be guessed from the hash. The plain token exists only in the answer to the
person who made it.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

from safepupil.errors import UserError

TOKEN_BYTES = 32
DEFAULT_TOKEN_DAYS = 30
MAX_TOKEN_DAYS = 365  # a token that outlives a year outlives the reason it was made
TOKEN_TEXT = re.compile(r"^[A-Za-z0-9_-]{43}$")  # what token_urlsafe(32) gives


class TokenState(enum.Enum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def derived_token(secret: str, purpose: bytes) -> str:
    """A token computed from a session's secret for one purpose (a CSRF token): a page
    can show it without storing it, and nobody without the secret can compute it."""
    return hmac.new(secret.encode("utf-8"), purpose, hashlib.sha256).hexdigest()


def tokens_match(expected: str, given: str | None) -> bool:
    """Compared in constant time, so the time taken says nothing of how much matched."""
    return given is not None and hmac.compare_digest(expected, given)


def looks_like_token(text: str) -> bool:
    return bool(TOKEN_TEXT.match(text))


def check_token_days(days: int) -> int:
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise UserError(
            f"a token lasts 1 to {MAX_TOKEN_DAYS} days, not {days}",
            hint=f"give --days between 1 and {MAX_TOKEN_DAYS}",
        )
    return days


@dataclass(frozen=True)
class IssuedToken:
    """A new token: the only object that ever holds the plain secret."""

    token_id: int
    person_id: int
    expires_at: dt.datetime
    secret: str = field(repr=False)  # never in a repr, a log line or a traceback


@dataclass(frozen=True)
class ApiToken:
    id: int
    person_id: int
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None

    def state(self, now: dt.datetime) -> TokenState:
        if self.revoked_at is not None:
            return TokenState.REVOKED
        return TokenState.ACTIVE if now < self.expires_at else TokenState.EXPIRED
