"""The pupils' and parents' portal sessions: a short viewing time opened by one use of
an access code.

Typing the code counts one of its uses (``redeem_code``, recorded in the audit log) and
opens a portal session of ``PORTAL_MINUTES`` (never past the code's own expiry). The
cookie holds a random secret; the control plane keeps only its SHA-256 and the code's
id (``portal_tables``), so a copy of the database opens nothing, and the pupil token
stays on the server. Pages and forms within the session reuse it, so reading the page,
asking for a correction and reading it again cost one use of the code, not three. The
portal's CSRF token is derived from the secret, so it needs no column and another site
cannot compute it.

Wrong codes count against the client's limit (``portal_limits``); what the portal shows
within a session is ``portal_view``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safepupil.errors import NotSignedIn, PermissionDenied
from safepupil.governance.records import as_utc
from safepupil.governance.tokens import (
    derived_token,
    looks_like_token,
    new_token,
    token_hash,
    tokens_match,
)
from safepupil.transparency.access_codes import CODES, redeem_code
from safepupil.transparency.portal_limits import PortalLimits, check_portal_limits, note_wrong_code
from safepupil.transparency.portal_tables import PORTAL_SESSIONS

PORTAL_MINUTES = 15
CSRF_LABEL = b"safepupil portal csrf"
SESSION_ENDED = NotSignedIn(
    "your viewing time has ended", hint="enter your access code again at /my-data"
)


@dataclass(frozen=True)
class IssuedPortalSession:
    secret: str = field(repr=False)  # goes in the cookie; never stored
    expires_at: dt.datetime


@dataclass(frozen=True)
class PortalSession:
    session_hash: str
    access_code_id: int
    pupil_token: str = field(repr=False)  # stays on the server: never shown or logged
    csrf_token: str = field(repr=False)
    expires_at: dt.datetime
    code_expires_at: dt.datetime
    uses_left: int


def portal_csrf_token(secret: str) -> str:
    return derived_token(secret, CSRF_LABEL)


def portal_csrf_matches(session: PortalSession, given: str | None) -> bool:
    return tokens_match(session.csrf_token, given)


def open_portal_session(
    engine: Engine,
    code: str,
    client: str,
    *,
    limits: PortalLimits | None = None,
    now: dt.datetime | None = None,
) -> IssuedPortalSession:
    """Count one use of ``code`` and open a viewing session. A wrong, expired or used-up
    code raises the one PermissionDenied of ``redeem_code``; a client over its limit gets
    TooManyAttempts before the code is even looked at."""
    moment = now or dt.datetime.now(dt.UTC)
    check_portal_limits(engine, client, limits or PortalLimits(), moment)
    try:
        redeemed = redeem_code(engine, code, now=moment)
    except PermissionDenied:
        note_wrong_code(engine, client, moment)
        raise
    secret = new_token()
    expires = min(moment + dt.timedelta(minutes=PORTAL_MINUTES), redeemed.expires_at)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(PORTAL_SESSIONS).values(
                id_hash=token_hash(secret),
                access_code_id=redeemed.access_code_id,
                created_at=moment,
                expires_at=expires,
                ended_at=None,
            )
        )
    return IssuedPortalSession(secret=secret, expires_at=expires)


def portal_session(engine: Engine, secret: str, *, now: dt.datetime | None = None) -> PortalSession:
    """The session of a portal cookie, or NotSignedIn when it ended or never was."""
    moment = now or dt.datetime.now(dt.UTC)
    if not looks_like_token(secret):
        raise SESSION_ENDED
    joined = PORTAL_SESSIONS.join(CODES, CODES.c.id == PORTAL_SESSIONS.c.access_code_id)
    statement = sa.select(
        PORTAL_SESSIONS.c.id_hash,
        PORTAL_SESSIONS.c.expires_at,
        PORTAL_SESSIONS.c.ended_at,
        CODES.c.id,
        CODES.c.pupil_token,
        CODES.c.expires_at.label("code_expires_at"),
        CODES.c.uses_allowed,
        CODES.c.uses,
    ).select_from(joined)
    with engine.connect() as connection:
        row = connection.execute(
            statement.where(PORTAL_SESSIONS.c.id_hash == token_hash(secret))
        ).first()
    if row is None or row.ended_at is not None or as_utc(row.expires_at) <= moment:
        raise SESSION_ENDED
    return PortalSession(
        session_hash=row.id_hash,
        access_code_id=int(row.id),
        pupil_token=str(row.pupil_token),
        csrf_token=portal_csrf_token(secret),
        expires_at=as_utc(row.expires_at),
        code_expires_at=as_utc(row.code_expires_at),
        uses_left=int(row.uses_allowed) - int(row.uses),
    )


def end_portal_session(engine: Engine, secret: str, *, now: dt.datetime | None = None) -> None:
    """Leave the portal: the session is marked ended (unknown secrets are ignored)."""
    with engine.begin() as connection:
        connection.execute(
            sa.update(PORTAL_SESSIONS)
            .where(
                PORTAL_SESSIONS.c.id_hash == token_hash(secret),
                PORTAL_SESSIONS.c.ended_at.is_(None),
            )
            .values(ended_at=now or dt.datetime.now(dt.UTC))
        )
