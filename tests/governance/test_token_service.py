"""API tokens through the service, on SQLite and PostgreSQL: shown once, kept as hashes,
refused when unknown, expired, revoked or held by a disabled person; every use recorded."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from safepupil.audit.log import read_entries
from safepupil.errors import NotFound
from safepupil.governance import service
from safepupil.governance.refusals import Refusal
from safepupil.governance.tokens import TokenState, new_token, token_hash
from tests.governance.support import add_cast

NOW = dt.datetime.now(dt.UTC)


def every_stored_text(engine: sa.Engine) -> str:
    """Every value in every table, as text: where a leaked secret would show."""
    texts = []
    with engine.connect() as connection:
        for table in sa.inspect(engine).get_table_names():
            for row in connection.execute(sa.text(f'SELECT * FROM "{table}"')):
                texts.extend(str(value) for value in row)
    return "\n".join(texts)


def test_a_token_authenticates_its_holder_and_only_its_hash_is_kept(engine: sa.Engine) -> None:
    cast = add_cast(engine)
    issued = service.create_token(engine, cast.member.id, days=7, actor_id=cast.member.id, now=NOW)
    assert issued.expires_at == NOW + dt.timedelta(days=7)
    assert issued.secret not in repr(issued)
    assert service.authenticate_token(engine, issued.secret, now=NOW) == cast.member
    stored = every_stored_text(engine)
    assert issued.secret not in stored and token_hash(issued.secret) in stored
    [created, used] = read_entries(engine, limit=2)
    assert created.kind == "token_created" and created.payload["token_id"] == issued.token_id
    assert used.kind == "token_used" and used.actor_id == cast.member.id


@pytest.mark.parametrize(
    ("token", "rule"),
    [
        (new_token(), "token-unknown"),
        ("not a token", "token-unknown"),
        ("", "token-unknown"),
    ],
)
def test_unknown_tokens_are_refused_and_recorded(engine: sa.Engine, token: str, rule: str) -> None:
    with pytest.raises(Refusal) as raised:
        service.authenticate_token(engine, token)
    assert raised.value.rule == rule
    [entry] = read_entries(engine)
    assert entry.kind == "token_refused" and entry.payload["token_id"] is None
    assert token not in str(entry.payload) or token == ""


def test_a_token_stops_working_when_it_expires(engine: sa.Engine) -> None:
    cast = add_cast(engine)
    issued = service.create_token(engine, cast.member.id, days=1, now=NOW)
    last_moment = NOW + dt.timedelta(days=1) - dt.timedelta(microseconds=1)
    assert service.authenticate_token(engine, issued.secret, now=last_moment) == cast.member
    with pytest.raises(Refusal) as raised:
        service.authenticate_token(engine, issued.secret, now=NOW + dt.timedelta(days=1))
    assert raised.value.rule == "token-expired"


def test_a_revoked_token_and_a_disabled_holder_are_refused(engine: sa.Engine) -> None:
    cast = add_cast(engine)
    first = service.create_token(engine, cast.member.id, now=NOW)
    second = service.create_token(engine, cast.member.id, now=NOW)
    revoked = service.revoke_token(engine, first.token_id, actor_id=cast.member.id, now=NOW)
    assert revoked.state(NOW) is TokenState.REVOKED
    assert service.revoke_token(engine, first.token_id) == revoked  # the first time is kept
    with pytest.raises(Refusal, match="was revoked"):
        service.authenticate_token(engine, first.secret)
    assert service.authenticate_token(engine, second.secret) == cast.member
    service.disable_person(engine, cast.member.id)
    with pytest.raises(Refusal) as raised:
        service.authenticate_token(engine, second.secret)
    assert raised.value.rule == "person-disabled"
    with pytest.raises(Refusal, match="disabled"):
        service.create_token(engine, cast.member.id)
    assert [t.id for t in service.list_tokens(engine, cast.member.id)] == [1, 2]
    refusals = read_entries(engine, kind="token_refused")
    assert [e.payload["token_id"] for e in refusals] == [first.token_id, second.token_id]
    assert len(read_entries(engine, kind="token_revoked")) == 1


def test_only_the_holder_or_a_custodian_makes_and_revokes_tokens(engine: sa.Engine) -> None:
    cast = add_cast(engine)
    with pytest.raises(Refusal):
        service.create_token(engine, cast.member.id, actor_id=cast.applicant.id)
    issued = service.create_token(engine, cast.member.id, actor_id=cast.custodian.id)
    with pytest.raises(Refusal) as raised:
        service.revoke_token(engine, issued.token_id, actor_id=cast.applicant.id)
    assert raised.value.rule == "not-the-token-holder"
    service.revoke_token(engine, issued.token_id, actor_id=cast.custodian.id)
    with pytest.raises(NotFound, match="no token 99"):
        service.revoke_token(engine, 99)
