"""API tokens: create (shown once), revoke, list, and authenticate a request's token.

Every use is recorded (``TokenUsed``) and so is every refusal (``TokenRefused``). The
plain token is never recorded, printed after creation, or kept.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from safepupil.audit.events import TokenCreated, TokenRefused, TokenRevoked, TokenUsed
from safepupil.audit.log import record, writing
from safepupil.errors import NotFound
from safepupil.governance.people import Person
from safepupil.governance.people_service import require_custodian
from safepupil.governance.records import as_utc, inserted_id, load_person
from safepupil.governance.refusals import (
    NOT_THE_TOKEN_HOLDER,
    PERSON_DISABLED,
    TOKEN_EXPIRED,
    TOKEN_REVOKED,
    TOKEN_UNKNOWN,
    Refusal,
)
from safepupil.governance.tables import ApiTokenRow, table_of
from safepupil.governance.tokens import (
    DEFAULT_TOKEN_DAYS,
    ApiToken,
    IssuedToken,
    TokenState,
    check_token_days,
    looks_like_token,
    new_token,
    token_hash,
)

TOKENS = table_of(ApiTokenRow)


def create_token(
    engine: Engine,
    person_id: int,
    *,
    days: int = DEFAULT_TOKEN_DAYS,
    actor_id: int | None = None,
    now: dt.datetime | None = None,
) -> IssuedToken:
    """A new token for the person (asked for by them, a custodian or the operator)."""
    check_token_days(days)
    created = now or dt.datetime.now(dt.UTC)
    expires = created + dt.timedelta(days=days)
    secret = new_token()
    with writing(engine) as connection:
        if actor_id != person_id:
            require_custodian(connection, actor_id)
        holder = load_person(connection, person_id)
        if not holder.active:
            raise Refusal(PERSON_DISABLED, f"{holder.email}'s account is disabled", about=holder)
        result = connection.execute(
            sa.insert(TOKENS),
            {
                "person_id": person_id,
                "token_hash": token_hash(secret),
                "created_at": created,
                "expires_at": expires,
                "revoked_at": None,
            },
        )
        token_id = inserted_id(result)
        record(
            connection,
            TokenCreated(
                actor_id=actor_id,
                token_id=token_id,
                person_id=person_id,
                expires_at=expires.isoformat(timespec="seconds"),
            ),
        )
    return IssuedToken(token_id=token_id, person_id=person_id, expires_at=expires, secret=secret)


def revoke_token(
    engine: Engine,
    token_id: int,
    *,
    actor_id: int | None = None,
    now: dt.datetime | None = None,
) -> ApiToken:
    """Revoke a token (by its holder, a custodian or the operator). Revoking twice is
    harmless: the first time is kept."""
    with writing(engine) as connection:
        token = _load_token(connection, token_id)
        if actor_id != token.person_id:
            try:
                require_custodian(connection, actor_id)
            except Refusal:
                raise Refusal(
                    NOT_THE_TOKEN_HOLDER, f"token {token_id} is not yours to revoke"
                ) from None
        if token.revoked_at is None:
            connection.execute(
                sa.update(TOKENS)
                .where(TOKENS.c.id == token_id)
                .values(revoked_at=now or dt.datetime.now(dt.UTC))
            )
            record(
                connection,
                TokenRevoked(actor_id=actor_id, token_id=token_id, person_id=token.person_id),
            )
        return _load_token(connection, token_id)


def list_tokens(engine: Engine, person_id: int) -> list[ApiToken]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(TOKENS).where(TOKENS.c.person_id == person_id).order_by(TOKENS.c.id)
        ).all()
    return [_token(row) for row in rows]


def authenticate_token(engine: Engine, token: str, *, now: dt.datetime | None = None) -> Person:
    """The person a request's token belongs to, or a refusal naming why (recorded)."""
    moment = now or dt.datetime.now(dt.UTC)
    with engine.connect() as connection:
        row = (
            connection.execute(
                sa.select(TOKENS).where(TOKENS.c.token_hash == token_hash(token))
            ).first()
            if looks_like_token(token)
            else None
        )
        found = _token(row) if row is not None else None
        holder = load_person(connection, found.person_id) if found else None
    if found is None or holder is None:
        raise _refused(engine, None, None, TOKEN_UNKNOWN, "the token is not one safepupil gave")
    state = found.state(moment)
    if state is TokenState.REVOKED:
        raise _refused(engine, found, holder, TOKEN_REVOKED, f"token {found.id} was revoked")
    if state is TokenState.EXPIRED:
        raise _refused(engine, found, holder, TOKEN_EXPIRED, f"token {found.id} has expired")
    if not holder.active:
        raise _refused(engine, found, holder, PERSON_DISABLED, "the token's holder is disabled")
    record(engine, TokenUsed(actor_id=holder.id, token_id=found.id))
    return holder


def _refused(
    engine: Engine, token: ApiToken | None, holder: Person | None, rule: str, detail: str
) -> Refusal:
    record(
        engine,
        TokenRefused(
            actor_id=holder.id if holder else None,
            token_id=token.id if token else None,
            reason=f"{rule}: {detail}",
        ),
    )
    return Refusal(rule, detail, hint="create a new token with `safepupil people token create`")


def _load_token(connection: Connection, token_id: int) -> ApiToken:
    row = connection.execute(sa.select(TOKENS).where(TOKENS.c.id == token_id)).first()
    if row is None:
        raise NotFound(f"no token {token_id}", hint="the token id was printed at creation")
    return _token(row)


def _token(row: sa.Row[Any]) -> ApiToken:
    return ApiToken(
        id=row.id,
        person_id=row.person_id,
        created_at=as_utc(row.created_at),
        expires_at=as_utc(row.expires_at),
        revoked_at=as_utc(row.revoked_at) if row.revoked_at is not None else None,
    )
