"""Appending to the audit log and reading it back.

``record`` is the one way an event enters the log. Appends are serialised by locking
the chain-head row before reading it: on PostgreSQL with ``SELECT ... FOR UPDATE``; on
SQLite by making a write the transaction's first statement, which takes the database's
write lock at once, as ``BEGIN IMMEDIATE`` would (a transaction that read first and
wrote later could instead meet another writer and fail with "database is locked").
Two appends therefore never see the same head, and sequence numbers have no gaps.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from safepupil.audit.chain import ChainedFields, canonical_json, entry_hash
from safepupil.audit.events import EVENT_KINDS, AuditEvent
from safepupil.audit.tables import CHAIN_HEAD_ID, AuditChainHead, AuditLogRow
from safepupil.errors import ConfigError, InternalError, UserError

DEFAULT_LIST_LIMIT = 50
MAX_LIST_LIMIT = 10_000


@dataclass(frozen=True)
class ChainHead:
    seq: int  # 0 for an empty log
    hash: str


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    recorded_at: dt.datetime
    kind: str
    actor_id: int | None
    project_id: int | None
    pupils: int | None
    payload: Mapping[str, object]
    prev_hash: str
    hash: str


def record(
    target: Engine | Connection, event: AuditEvent, *, at: dt.datetime | None = None
) -> AuditEntry:
    """Append ``event``. Given an Engine, in a transaction of its own, committed on return;
    given a Connection, inside the caller's transaction (committed when the caller commits,
    so the event and the change it describes are written together or not at all)."""
    if type(event) is not EVENT_KINDS.get(event.kind):
        raise InternalError(f"{type(event).__name__} is not a registered audit event kind")
    if isinstance(target, Engine):
        with writing(target) as connection:
            return _append(connection, event, at)
    return _append(target, event, at)


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction holding the audit chain's lock from its first statement. Service
    functions that change the control plane and record what they did use it, so every
    writer takes the same lock first and no two can wait on each other."""
    with _writers_of(engine), engine.begin() as connection:
        lock_chain(connection)
        yield connection


# SQLite has no queue for its write lock: a writer that finds it taken sleeps and tries
# again, sleeping longer each time (up to 100 ms), so newcomers keep overtaking a writer
# that has waited a while. Measured with seven threads writing at about a third of the
# lock's capacity: waits of 0.3 s at the 95th percentile and 1.3 s at worst. The writers
# of one process therefore queue on a lock of their own first, which wakes the next as
# soon as it is free; only writers in other processes meet SQLite's retries. Re-entrant,
# so a writer that writes again on another connection meets SQLite's lock as before.
# PostgreSQL queues ``SELECT ... FOR UPDATE`` itself.
_process_writers: dict[str, threading.RLock] = {}
_process_writers_lock = threading.Lock()


def _writers_of(engine: Engine) -> contextlib.AbstractContextManager[object]:
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    database = engine.url.render_as_string(hide_password=True)
    with _process_writers_lock:
        return _process_writers.setdefault(database, threading.RLock())


def lock_chain(connection: Connection) -> ChainHead:
    """Take the chain's lock (held until the transaction ends) and return its head."""
    where = AuditChainHead.id == CHAIN_HEAD_ID
    query = sa.select(AuditChainHead.seq, AuditChainHead.hash).where(where)
    if connection.dialect.name == "sqlite":
        connection.execute(sa.update(AuditChainHead).where(where).values(seq=AuditChainHead.seq))
    else:
        query = query.with_for_update()
    row = connection.execute(query).one_or_none()
    if row is None:
        raise _not_migrated()
    return ChainHead(seq=row.seq, hash=row.hash)


def _not_migrated() -> ConfigError:
    return ConfigError(
        "the control plane has no audit chain head: it has not been migrated",
        hint="run `safepupil init --home HOME` to bring the control plane up to date",
    )


def _append(connection: Connection, event: AuditEvent, at: dt.datetime | None) -> AuditEntry:
    head = lock_chain(connection)
    fields = ChainedFields(
        seq=head.seq + 1,
        recorded_at=at or dt.datetime.now(dt.UTC),
        kind=event.kind,
        actor_id=event.actor_id,
        project_id=event.project_id,
        pupils=event.pupils_touched(),
        payload=canonical_json(event.payload()),
    )
    digest = entry_hash(head.hash, fields)
    connection.execute(
        sa.insert(AuditLogRow),
        {**_columns(fields), "prev_hash": head.hash, "hash": digest},
    )
    connection.execute(
        sa.update(AuditChainHead)
        .where(AuditChainHead.id == CHAIN_HEAD_ID)
        .values(seq=fields.seq, hash=digest)
    )
    return _entry(fields, head.hash, digest)


def _columns(fields: ChainedFields) -> dict[str, object]:
    return {
        "seq": fields.seq,
        "recorded_at": fields.recorded_at,
        "kind": fields.kind,
        "actor_id": fields.actor_id,
        "project_id": fields.project_id,
        "pupils": fields.pupils,
        "payload": fields.payload,
    }


def _entry(fields: ChainedFields, prev_hash: str, digest: str) -> AuditEntry:
    return AuditEntry(
        seq=fields.seq,
        recorded_at=fields.recorded_at,
        kind=fields.kind,
        actor_id=fields.actor_id,
        project_id=fields.project_id,
        pupils=fields.pupils,
        payload=decode_payload(fields.payload),
        prev_hash=prev_hash,
        hash=digest,
    )


def decode_payload(text: str) -> dict[str, object]:
    """The payload as stored; text that is not a JSON object (tampering) is shown raw."""
    try:
        value = json.loads(text)
    except ValueError:
        return {"unreadable_payload": text}
    return value if isinstance(value, dict) else {"unreadable_payload": text}


def read_chain_head(engine: Engine) -> ChainHead:
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(AuditChainHead.seq, AuditChainHead.hash).where(
                AuditChainHead.id == CHAIN_HEAD_ID
            )
        ).one_or_none()
    if row is None:
        raise _not_migrated()
    return ChainHead(seq=row.seq, hash=row.hash)


def read_entries(
    engine: Engine, *, kind: str | None = None, limit: int = DEFAULT_LIST_LIMIT
) -> list[AuditEntry]:
    """The newest ``limit`` entries (of ``kind``, if given), oldest first."""
    if kind is not None and kind not in EVENT_KINDS:
        raise UserError(
            f"no audit event kind {kind!r}", hint=f"known kinds: {', '.join(EVENT_KINDS)}"
        )
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise UserError(f"the limit must be between 1 and {MAX_LIST_LIMIT}")
    query = sa.select(AuditLogRow.__table__).order_by(AuditLogRow.seq.desc()).limit(limit)
    if kind is not None:
        query = query.where(AuditLogRow.kind == kind)
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [entry_from_row(row) for row in reversed(rows)]


def entry_from_row(values: sa.RowMapping) -> AuditEntry:
    return AuditEntry(
        seq=int(values["seq"]),
        recorded_at=_as_utc(values["recorded_at"]),
        kind=str(values["kind"]),
        actor_id=values["actor_id"],
        project_id=values["project_id"],
        pupils=values["pupils"],
        payload=decode_payload(str(values["payload"])),
        prev_hash=str(values["prev_hash"]),
        hash=str(values["hash"]),
    )


def _as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands times back without a zone; safepupil writes UTC only."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
