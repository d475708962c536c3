"""Appending to the audit log and reading it back, on SQLite and PostgreSQL: the chain
links, the log is append-only in the database, and concurrent appends stay one chain."""

from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from safepupil.audit.chain import ChainedFields, canonical_json, entry_hash
from safepupil.audit.events import AuditEvent, KeyUsed, PersonAdded, ReleaseMade, TokenUsed
from safepupil.audit.log import read_chain_head, read_entries, record, writing
from safepupil.audit.tables import GENESIS_HASH
from safepupil.audit.verify import verify_log
from safepupil.controlplane.database import create_control_engine, sqlite_url
from safepupil.controlplane.migrate import upgrade_to_head
from safepupil.errors import InternalError, UserError
from tests.audit.appender import append_many

PER_WRITER = 40


def url_of(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_entries_are_numbered_from_one_and_each_links_to_the_last(engine: sa.Engine) -> None:
    first = record(engine, PersonAdded(person_id=1, roles=("custodian",)))
    second = record(engine, TokenUsed(actor_id=1, token_id=9))
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH and second.prev_hash == first.hash
    head = read_chain_head(engine)
    assert (head.seq, head.hash) == (2, second.hash)
    [a, b] = read_entries(engine)
    assert (a.hash, b.hash) == (first.hash, second.hash)
    assert b.kind == "token_used" and b.actor_id == 1 and b.payload == {"token_id": 9}


def test_the_stored_hash_is_sha256_over_the_previous_hash_and_the_canonical_row(
    engine: sa.Engine,
) -> None:
    at = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)
    event = ReleaseMade(
        actor_id=4, project_id=2, release_id="r9", query_id="q3", cells=6, pupils=812
    )
    entry = record(engine, event, at=at)
    payload = '{"cells":6,"query_id":"q3","release_id":"r9"}'  # sorted keys, no spaces
    fields = ChainedFields(1, at, "release_made", 4, 2, 812, payload)
    assert entry.hash == entry_hash(GENESIS_HASH, fields)
    with engine.connect() as connection:
        row = connection.execute(sa.text("SELECT payload, pupils FROM audit_log")).one()
    assert (row.payload, row.pupils) == (payload, 812)
    assert canonical_json({"b": 1, "a": [1, 2]}) == '{"a":[1,2],"b":1}'


def test_an_event_recorded_in_a_rolled_back_transaction_leaves_no_trace(
    engine: sa.Engine,
) -> None:
    record(engine, KeyUsed(key_id="k1", purpose="seal"))
    with pytest.raises(RuntimeError), engine.begin() as connection:
        record(connection, KeyUsed(key_id="k2", purpose="seal"))
        raise RuntimeError("the change this event describes failed")
    assert read_chain_head(engine).seq == 1
    assert [e.payload["key_id"] for e in read_entries(engine)] == ["k1"]
    record(engine, KeyUsed(key_id="k3", purpose="seal"))
    assert verify_log(engine).ok


def test_listing_filters_by_kind_and_keeps_the_newest(engine: sa.Engine) -> None:
    for number in range(5):
        record(engine, KeyUsed(key_id=f"k{number}", purpose="seal"))
        record(engine, TokenUsed(actor_id=1, token_id=number + 1))
    newest = read_entries(engine, kind="key_used", limit=2)
    assert [e.payload["key_id"] for e in newest] == ["k3", "k4"]
    assert [e.seq for e in read_entries(engine, limit=3)] == [8, 9, 10]
    with pytest.raises(UserError, match="no audit event kind 'key_use'"):
        read_entries(engine, kind="key_use")
    with pytest.raises(UserError, match="between 1 and"):
        read_entries(engine, limit=0)


def test_only_registered_kinds_can_be_recorded(engine: sa.Engine) -> None:
    @dataclass(frozen=True, kw_only=True)
    class Stray(AuditEvent):
        kind: ClassVar[str] = "key_used"  # borrows a kind it does not own

    with pytest.raises(InternalError, match="not a registered"):
        record(engine, Stray())


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET payload = '{}'", "DELETE FROM audit_log"]
)
def test_the_database_refuses_to_change_or_delete_entries(
    engine: sa.Engine, statement: str
) -> None:
    record(engine, KeyUsed(key_id="k", purpose="seal"))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(sa.text(statement))
    assert verify_log(engine).ok


def test_two_threads_appending_at_once_make_one_unbroken_chain(engine: sa.Engine) -> None:
    start = threading.Barrier(2)
    threads = [
        threading.Thread(target=append_many, args=(url_of(engine), name, PER_WRITER, start))
        for name in ("a", "b")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    check_both_writers_landed(engine)


def test_two_processes_appending_at_once_make_one_unbroken_chain(engine: sa.Engine) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    processes = [
        context.Process(target=append_many, args=(url_of(engine), name, PER_WRITER, start))
        for name in ("a", "b")
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert [p.exitcode for p in processes] == [0, 0]
    check_both_writers_landed(engine)


def check_both_writers_landed(engine: sa.Engine) -> None:
    entries = read_entries(engine, limit=2 * PER_WRITER)
    assert [e.seq for e in entries] == list(range(1, 2 * PER_WRITER + 1))
    writers = [str(e.payload["key_id"]).split("-")[0] for e in entries]
    assert writers.count("a") == writers.count("b") == PER_WRITER
    switches = sum(1 for x, y in itertools.pairwise(writers) if x != y)
    assert switches >= 2, "the writers did not overlap: the test proved nothing"
    result = verify_log(engine)
    assert result.ok and result.entries == 2 * PER_WRITER == result.head.seq


def test_a_writer_waits_for_another_thread_of_its_process_before_reaching_sqlite(
    tmp_path: Path,
) -> None:
    """SQLite makes a blocked writer sleep and retry, up to 100 ms at a time, so a writer
    that has waited a while is overtaken by newcomers; writers of one process queue on a
    lock of their own first, and only the one at the head of that queue meets SQLite's."""
    engine = create_control_engine(sqlite_url(tmp_path / "control.db"))
    upgrade_to_head(engine)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with writing(engine) as connection:
            record(connection, KeyUsed(key_id="first", purpose="holds the lock"))
            holding.set()
            release.wait(timeout=30)

    def second() -> None:
        record(engine, KeyUsed(key_id="second", purpose="waits for it"))

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(timeout=30)
    waiter = threading.Thread(target=second)
    waiter.start()
    time.sleep(0.3)
    try:
        assert waiter.is_alive()
        # Waiting before it checks out a connection: not in SQLite's sleep-and-retry loop.
        assert engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    finally:
        release.set()
        holder.join()
        waiter.join()
    assert [e.payload["key_id"] for e in read_entries(engine)] == ["first", "second"]
    assert verify_log(engine).ok
    engine.dispose()
