"""Web sign-in sessions, with rate limits on password attempts.

A session is a random secret in a cookie; the control plane keeps only its SHA-256
(as for API tokens), so a copy of the database signs nobody in. The CSRF token of a
session is derived from its secret, so a page can show it without storing it, and a
site that cannot read the cookie cannot compute it.

Failed attempts are counted per address and per client in the control plane
(``attempt_limits``, as the portal counts wrong access codes), so the limit holds
however many server processes run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safepupil.audit.events import SignInRefused, SignOut
from safepupil.audit.log import record
from safepupil.errors import NotSignedIn, PermissionDenied, TooManyAttempts, UserError
from safepupil.governance.attempt_limits import (
    AttemptLog,
    Limit,
    note_attempt,
    over_a_limit,
    window_minutes,
)
from safepupil.governance.people import Person, normalise_email
from safepupil.governance.people_service import sign_in
from safepupil.governance.records import load_person
from safepupil.governance.session_tables import CLIENT_LENGTH, SIGN_IN_ATTEMPTS, WEB_SESSIONS
from safepupil.governance.tables import EMAIL_LENGTH
from safepupil.governance.tokens import (
    derived_token,
    looks_like_token,
    new_token,
    token_hash,
    tokens_match,
)

CSRF_PURPOSE = b"safepupil csrf"
SESSION_HOURS = 8  # a working day; a browser left open overnight must sign in again
# Every password attempt is noted (revision 0007); the limits count the failed ones.
SIGN_IN_LOG = AttemptLog(SIGN_IN_ATTEMPTS, failed=SIGN_IN_ATTEMPTS.c.succeeded.is_(False))


@dataclass(frozen=True)
class SignInLimits:
    """How many failed password attempts a window allows before sign-in pauses."""

    window: dt.timedelta = dt.timedelta(minutes=15)
    per_address: int = 5  # guessing one person's password
    per_client: int = 20  # trying many addresses from one place


@dataclass(frozen=True)
class IssuedSession:
    secret: str  # goes in the cookie; never stored
    person: Person
    expires_at: dt.datetime

    @property
    def csrf_token(self) -> str:
        return csrf_token_for(self.secret)


@dataclass(frozen=True)
class SessionHolder:
    person: Person
    session_hash: str
    csrf_token: str
    expires_at: dt.datetime


def csrf_token_for(secret: str) -> str:
    return derived_token(secret, CSRF_PURPOSE)


def csrf_matches(holder: SessionHolder, given: str | None) -> bool:
    return tokens_match(holder.csrf_token, given)


def start_session(
    engine: Engine,
    email: str,
    password: str,
    client: str,
    *,
    limits: SignInLimits | None = None,
    now: dt.datetime | None = None,
) -> IssuedSession:
    """Check the password (recorded by ``sign_in``) and open a session; refused with
    TooManyAttempts while the address or the client is over its limit."""
    moment = now or dt.datetime.now(dt.UTC)
    rules = limits or SignInLimits()
    address, where = _address_key(email), client[:CLIENT_LENGTH]
    _check_limits(engine, address, where, rules, moment)
    try:
        person = sign_in(engine, email, password)
    except PermissionDenied:
        note_attempt(engine, SIGN_IN_LOG, moment, email=address, client=where, succeeded=False)
        raise
    note_attempt(engine, SIGN_IN_LOG, moment, email=address, client=where, succeeded=True)
    secret = new_token()
    expires = moment + dt.timedelta(hours=SESSION_HOURS)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(WEB_SESSIONS).values(
                id_hash=token_hash(secret),
                person_id=person.id,
                created_at=moment,
                expires_at=expires,
                ended_at=None,
            )
        )
    return IssuedSession(secret=secret, person=person, expires_at=expires)


def session_holder(engine: Engine, secret: str, *, now: dt.datetime | None = None) -> SessionHolder:
    """The signed-in person of a session cookie, or NotSignedIn."""
    moment = now or dt.datetime.now(dt.UTC)
    refused = NotSignedIn("your session has ended", hint="sign in again")
    if not looks_like_token(secret):
        raise refused
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(WEB_SESSIONS).where(WEB_SESSIONS.c.id_hash == token_hash(secret))
        ).first()
        if row is None or row.ended_at is not None or _utc(row.expires_at) <= moment:
            raise refused
        person = load_person(connection, row.person_id)
    if not person.active:
        raise refused
    return SessionHolder(
        person=person,
        session_hash=row.id_hash,
        csrf_token=csrf_token_for(secret),
        expires_at=_utc(row.expires_at),
    )


def end_session(engine: Engine, secret: str, *, now: dt.datetime | None = None) -> None:
    """Sign out: the session can never be used again (recorded). Unknown secrets are
    ignored, so signing out twice is harmless."""
    moment = now or dt.datetime.now(dt.UTC)
    digest = token_hash(secret)
    with engine.begin() as connection:
        row = connection.execute(
            sa.select(WEB_SESSIONS.c.person_id, WEB_SESSIONS.c.ended_at).where(
                WEB_SESSIONS.c.id_hash == digest
            )
        ).first()
        if row is None or row.ended_at is not None:
            return
        connection.execute(
            sa.update(WEB_SESSIONS).where(WEB_SESSIONS.c.id_hash == digest).values(ended_at=moment)
        )
        record(connection, SignOut(actor_id=row.person_id, session_id=digest[:12]))


def _address_key(email: str) -> str:
    try:
        return normalise_email(email)
    except UserError:  # not an address at all: still counted, under its own text
        return email.strip().lower()[:EMAIL_LENGTH]


def _check_limits(
    engine: Engine, address: str, client: str, limits: SignInLimits, now: dt.datetime
) -> None:
    per_address = Limit("email", address, limits.per_address)
    per_client = Limit("client", client, limits.per_client)
    if over_a_limit(engine, SIGN_IN_LOG, (per_address, per_client), window=limits.window, now=now):
        minutes = window_minutes(limits.window)
        record(engine, SignInRefused(person_id=None, reason="too many failed attempts"))
        raise TooManyAttempts(
            "too many failed sign-in attempts",
            hint=f"wait {minutes} minutes and try again, or ask a custodian to reset your password",
        )


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
