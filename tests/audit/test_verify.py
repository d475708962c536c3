"""Tampering with the audit log is found, at the right entry, on SQLite and PostgreSQL.

Each attack first removes the append-only triggers, as someone with the database
owner's rights could; the hash chain is what must still show the change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from safepupil.audit.chain import ChainedFields, canonical_json, entry_hash
from safepupil.audit.events import KeyUsed, PersonAdded, ReleaseMade, TokenUsed
from safepupil.audit.log import read_chain_head, record
from safepupil.audit.tables import AuditLogRow
from safepupil.audit.verify import PublishedHead, verify_log
from safepupil.errors import UserError

ENTRIES = 6  # entry 4 is a release of 120 pupils
Attack = Callable[[sa.Connection], None]


def fill(engine: sa.Engine) -> None:
    record(engine, PersonAdded(person_id=1, roles=("custodian",)))
    record(engine, TokenUsed(actor_id=1, token_id=1))
    record(engine, KeyUsed(key_id="k1", purpose="open submission"))
    record(
        engine,
        ReleaseMade(actor_id=2, project_id=1, release_id="r1", query_id="q1", cells=4, pupils=120),
    )
    record(engine, KeyUsed(key_id="k2", purpose="open submission"))
    record(engine, TokenUsed(actor_id=1, token_id=1))


def drop_append_only_guard(connection: sa.Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.execute(sa.text("DROP TRIGGER audit_log_no_update"))
        connection.execute(sa.text("DROP TRIGGER audit_log_no_delete"))
    else:
        connection.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER USER"))


def attack(engine: sa.Engine, how: Attack) -> None:
    with engine.begin() as connection:
        drop_append_only_guard(connection)
        how(connection)


def sql(*statements: str) -> Attack:
    def run(connection: sa.Connection) -> None:
        for statement in statements:
            connection.execute(sa.text(statement))

    return run


def forged_row(connection: sa.Connection, seq: int) -> dict[str, object]:
    """A well-formed entry at ``seq`` that links correctly to entry ``seq - 1``."""
    prev = connection.execute(
        sa.text("SELECT hash FROM audit_log WHERE seq = :seq"), {"seq": seq - 1}
    ).scalar_one()
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    payload = canonical_json({"key_id": "forged", "purpose": "cover story"})
    fields = ChainedFields(seq, at, "key_used", None, None, None, payload)
    return {
        "seq": seq, "recorded_at": at, "kind": "key_used", "actor_id": None,
        "project_id": None, "pupils": None, "payload": payload,
        "prev_hash": prev, "hash": entry_hash(prev, fields),
    }  # fmt: skip


INSERT = sa.text(
    "INSERT INTO audit_log (seq, recorded_at, kind, actor_id, project_id, pupils, payload, "
    "prev_hash, hash) VALUES (:seq, :recorded_at, :kind, :actor_id, :project_id, :pupils, "
    ":payload, :prev_hash, :hash)"
)


def insert_in_the_middle(connection: sa.Connection) -> None:
    # Make room at 4 (two steps, so no two rows share a number on the way).
    sql(
        "UPDATE audit_log SET seq = -(seq + 1) WHERE seq >= 4",
        "UPDATE audit_log SET seq = -seq WHERE seq < 0",
    )(connection)
    connection.execute(INSERT, forged_row(connection, 4))


def append_at_the_end(connection: sa.Connection) -> None:
    connection.execute(INSERT, forged_row(connection, ENTRIES + 1))


def swap(first: int, second: int) -> Attack:
    return sql(
        f"UPDATE audit_log SET seq = -1 WHERE seq = {first}",
        f"UPDATE audit_log SET seq = {first} WHERE seq = {second}",
        f"UPDATE audit_log SET seq = {second} WHERE seq = -1",
    )


ATTACKS: list[tuple[str, Attack, int, str]] = [
    (
        "payload edited",
        sql("""UPDATE audit_log SET payload = '{"key_id":"k9","purpose":"x"}' WHERE seq = 3"""),
        3,
        "entry 3 was edited",
    ),
    ("pupil count edited", sql("UPDATE audit_log SET pupils = 12 WHERE seq = 4"), 4, "edited"),
    ("actor edited", sql("UPDATE audit_log SET actor_id = 5 WHERE seq = 2"), 2, "edited"),
    ("kind edited", sql("UPDATE audit_log SET kind = 'sign_in' WHERE seq = 6"), 6, "edited"),
    (
        "payload re-spaced",
        sql("""UPDATE audit_log SET payload = '{"token_id": 1}' WHERE seq = 2"""),
        2,
        "edited",
    ),
    ("middle entry deleted", sql("DELETE FROM audit_log WHERE seq = 3"), 3, "entry 3 is missing"),
    (
        "two entries deleted",
        sql("DELETE FROM audit_log WHERE seq IN (2, 3)"),
        2,
        "entries 2..3 are missing",
    ),
    ("first entry deleted", sql("DELETE FROM audit_log WHERE seq = 1"), 1, "entry 1 is missing"),
    ("two entries swapped", swap(2, 5), 2, "entry 2 does not link to entry 1"),
    ("neighbours swapped", swap(3, 4), 3, "entry 3 does not link to entry 2"),
    ("forged entry inserted", insert_in_the_middle, 5, "entry 5 does not link to entry 4"),
    ("forged entry appended", append_at_the_end, 7, "beyond the recorded chain head"),
    ("tail deleted", sql("DELETE FROM audit_log WHERE seq >= 5"), 5, "tail was deleted"),
    (
        "chain head edited",
        sql("UPDATE audit_chain_head SET hash = '" + "a" * 64 + "'"),
        6,
        "does not match the recorded chain head",
    ),
    (
        "entry renumbered to 0",
        sql("UPDATE audit_log SET seq = 0 WHERE seq = 6"),
        0,
        "out of place",
    ),
]


def test_an_untouched_log_verifies_and_reports_its_head(engine: sa.Engine) -> None:
    fill(engine)
    result = verify_log(engine)
    assert result.ok and result.entries == ENTRIES
    assert result.head == read_chain_head(engine) and result.head.seq == ENTRIES


def test_an_empty_log_verifies(engine: sa.Engine) -> None:
    result = verify_log(engine)
    assert result.ok and result.entries == 0 and result.head.seq == 0


@pytest.mark.parametrize(
    ("how", "seq", "problem"),
    [attack_case[1:] for attack_case in ATTACKS],
    ids=[attack_case[0] for attack_case in ATTACKS],
)
def test_tampering_is_found_at_the_first_entry_it_breaks(
    engine: sa.Engine, how: Attack, seq: int, problem: str
) -> None:
    fill(engine)
    attack(engine, how)
    result = verify_log(engine)
    assert not result.ok and result.failure is not None
    assert (result.failure.seq, problem in result.failure.problem) == (seq, True), result.failure


def rewrite_everything(connection: sa.Connection) -> None:
    """The attack a chain alone cannot show: edit entry 3, recompute every hash after it
    and the chain head, exactly as safepupil would have."""
    connection.execute(
        sa.text("""UPDATE audit_log SET payload = '{"key_id":"k9","purpose":"x"}' WHERE seq = 3""")
    )
    table = AuditLogRow.__table__
    rows = connection.execute(sa.select(table).order_by(table.c.seq)).mappings().all()
    prev = rows[0]["prev_hash"]
    for row in rows:
        fields = ChainedFields(
            row["seq"], row["recorded_at"], row["kind"], row["actor_id"],
            row["project_id"], row["pupils"], row["payload"],
        )  # fmt: skip
        digest = entry_hash(prev, fields)
        connection.execute(
            sa.text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE seq = :s"),
            {"p": prev, "h": digest, "s": row["seq"]},
        )
        prev = digest
    connection.execute(sa.text("UPDATE audit_chain_head SET hash = :h"), {"h": prev})


def test_a_rewritten_log_is_found_by_a_head_published_before(engine: sa.Engine) -> None:
    fill(engine)
    published = PublishedHead(seq=verify_log(engine).head.seq, hash=verify_log(engine).head.hash)
    attack(engine, rewrite_everything)
    assert verify_log(engine).ok  # the chain alone is consistent again
    result = verify_log(engine, [published])
    assert result.failure is not None and result.failure.seq == ENTRIES
    assert "differs from the head published" in result.failure.problem


def test_earlier_published_heads_stay_valid_as_the_log_grows(engine: sa.Engine) -> None:
    fill(engine)
    early = verify_log(engine).head
    record(engine, TokenUsed(actor_id=1, token_id=2))
    heads = [PublishedHead.parse(f"{early.seq}:{early.hash}")]
    assert verify_log(engine, heads).ok
    beyond = PublishedHead(seq=ENTRIES + 5, hash=early.hash)
    failure = verify_log(engine, [beyond]).failure
    assert failure is not None and "log ends at entry 7" in failure.problem


@pytest.mark.parametrize(
    "text", ["6", "six:" + "a" * 64, "0:" + "a" * 64, "6:" + "g" * 64, "6:abc"]
)
def test_a_malformed_published_head_is_refused(text: str) -> None:
    with pytest.raises(UserError, match="SEQ:HASH"):
        PublishedHead.parse(text)
