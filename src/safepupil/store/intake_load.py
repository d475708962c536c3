"""Write one checked submission into the store, all of it or none of it.

Everything below runs in one DuckDB transaction: the submission's row, pupil ids for
tokens never seen before, the records, the aggregates, and the previous version
marked superseded. DuckDB makes the commit durable through its write-ahead log, so a
process killed at any point leaves either the old store or the new one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from safepupil.errors import ConfigError, IntegrityError, InternalError, Location
from safepupil.store.intake_aggregates import Aggregates
from safepupil.store.intake_checks import REPREPARE, Addressed
from safepupil.store.pupil_store import (
    CURRENT,
    SUPERSEDED,
    assign_pupil_ids,
    ensure_records_table,
    quoted,
    refresh_dataset_view,
    transaction,
)

# ruff: noqa: S608 - SQL text here is composed only of quoted() identifiers; values are bound

INCOMING_RECORDS = "incoming_records"
INCOMING_CELLS = "incoming_cells"
INCOMING_AUDITS = "incoming_audits"
KEY_ID_FACT = "pseudonym_key_id"


@dataclass(frozen=True)
class Submission:
    """A checked submission ready to load: where it goes and what identifies it."""

    addressed: Addressed
    sha256: str
    received_at: dt.datetime
    header: Mapping[str, Any]
    signer: str  # fingerprint of the registered LA key that verified it


@dataclass(frozen=True)
class Loaded:
    submission_id: int
    collection: str
    year: int
    la: str
    version: int
    records: int
    new_pupils: int
    superseded_version: int | None


def loaded_version(store: duckdb.DuckDBPyConnection, sha256: str) -> Loaded | None:
    """The version a file with this SHA-256 was loaded as, if it was."""
    row = store.execute(
        "SELECT submission_id, collection, year, la, version, records FROM submissions "
        "WHERE sha256 = ?",
        [sha256],
    ).fetchone()
    if row is None:
        return None
    submission_id, collection, year, la, version, records = row
    return Loaded(submission_id, collection, year, la, version, records, 0, None)


def load_submission(
    store: duckdb.DuckDBPyConnection,
    submission: Submission,
    records: pa.Table,
    aggregates: Aggregates,
    where: Location,
    inside_transaction: Callable[[], None] | None = None,
) -> Loaded:
    try:
        with transaction(store):
            _check_key_id(store, submission, where)
            loaded = _write(store, submission, records, aggregates)
            if inside_transaction is not None:
                inside_transaction()
            _supersede(store, loaded)
            return loaded
    except duckdb.Error as error:
        raise _store_failure(error, where) from None
    finally:
        for name in (INCOMING_RECORDS, INCOMING_CELLS, INCOMING_AUDITS):
            store.unregister(name)


def _check_key_id(
    store: duckdb.DuckDBPyConnection, submission: Submission, where: Location
) -> None:
    """Tokens made under another pseudonymisation key would never link: refuse them."""
    given = submission.header.get("pseudonym_key_id")
    if not isinstance(given, str) or not given:
        raise IntegrityError(
            "the submission does not say which pseudonymisation key made its tokens",
            where=where,
            hint=REPREPARE,
        )
    row = store.execute("SELECT value FROM store_info WHERE name = ?", [KEY_ID_FACT]).fetchone()
    if row is None:
        store.execute("INSERT INTO store_info VALUES (?, ?)", [KEY_ID_FACT, given])
    elif row[0] != given:
        raise IntegrityError(
            f"the pupil tokens were made with pseudonymisation key {given}, but the store "
            f"holds tokens made with key {row[0]}",
            where=where,
            hint="the LA tool must use the key custodian's current key; ask the LA to check "
            "it with `safepupil keys show` and prepare the return again",
        )


def _write(
    store: duckdb.DuckDBPyConnection,
    submission: Submission,
    records: pa.Table,
    aggregates: Aggregates,
) -> Loaded:
    addressed = submission.addressed
    ensure_records_table(store, addressed.collection, addressed.dataset)
    refresh_dataset_view(store, addressed.collection, addressed.dataset)
    previous = _current_version(store, addressed)
    submission_id, version = _next_numbers(store, addressed)
    _insert_submission(store, submission, submission_id, version, records, aggregates)
    store.register(INCOMING_RECORDS, records)
    new_pupils = assign_pupil_ids(store, INCOMING_RECORDS).new_pupils
    written = _insert_records(store, addressed, submission_id, records.column_names)
    if written != records.num_rows:
        raise InternalError("a record found no pupil id while loading a submission")
    _insert_aggregates(store, submission_id, aggregates)
    return Loaded(
        submission_id=submission_id,
        collection=addressed.collection.code,
        year=addressed.year,
        la=addressed.la,
        version=version,
        records=written,
        new_pupils=new_pupils,
        superseded_version=previous[1] if previous else None,
    )


def _current_version(
    store: duckdb.DuckDBPyConnection, addressed: Addressed
) -> tuple[int, int] | None:
    row = store.execute(
        "SELECT submission_id, version FROM submissions "
        "WHERE collection = ? AND year = ? AND la = ? AND status = ?",
        [addressed.collection.code, addressed.year, addressed.la, CURRENT],
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else None


def _next_numbers(store: duckdb.DuckDBPyConnection, addressed: Addressed) -> tuple[int, int]:
    row = store.execute(
        "SELECT (SELECT coalesce(max(submission_id), 0) + 1 FROM submissions), "
        "coalesce(max(version), 0) + 1 FROM submissions "
        "WHERE collection = ? AND year = ? AND la = ?",
        [addressed.collection.code, addressed.year, addressed.la],
    ).fetchone()
    if row is None:
        raise InternalError("no next submission number")
    return int(row[0]), int(row[1])


def _insert_submission(
    store: duckdb.DuckDBPyConnection,
    submission: Submission,
    submission_id: int,
    version: int,
    records: pa.Table,
    aggregates: Aggregates,
) -> None:
    header, addressed = submission.header, submission.addressed
    store.execute(
        "INSERT INTO submissions (submission_id, collection, year, la, version, sha256, "
        "received_at, created, signer, pseudonym_key_id, policy_sha256, records, "
        "aggregate_cells, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            submission_id,
            addressed.collection.code,
            addressed.year,
            addressed.la,
            version,
            submission.sha256,
            submission.received_at.astimezone(dt.UTC).replace(tzinfo=None),
            _text(header.get("created")),
            submission.signer,
            _text(header.get("pseudonym_key_id")),
            _text(header.get("policy_sha256")),
            records.num_rows,
            aggregates.cell_count,
            CURRENT,
        ],
    )


def _insert_records(
    store: duckdb.DuckDBPyConnection, addressed: Addressed, submission_id: int, columns: list[str]
) -> int:
    listed = ", ".join(quoted(name) for name in columns)
    picked = ", ".join(f"i.{quoted(name)}" for name in columns)
    row = store.execute(
        f"INSERT INTO {quoted(addressed.collection.records_table)} "
        f"(submission_id, pupil_id, {listed}) "
        f"SELECT ?, p.pupil_id, {picked} FROM {INCOMING_RECORDS} AS i "
        "JOIN pupils AS p USING (pupil_token)",
        [submission_id],
    ).fetchone()
    return int(row[0]) if row else 0


def _insert_aggregates(
    store: duckdb.DuckDBPyConnection, submission_id: int, aggregates: Aggregates
) -> None:
    store.register(INCOMING_CELLS, aggregates.cells)
    store.register(INCOMING_AUDITS, aggregates.audits)
    store.execute(
        f"INSERT INTO statistics_only_aggregates SELECT ?, * FROM {INCOMING_CELLS}",
        [submission_id],
    )
    store.execute(
        f"INSERT INTO statistics_only_audits SELECT ?, * FROM {INCOMING_AUDITS}",
        [submission_id],
    )


def _supersede(store: duckdb.DuckDBPyConnection, loaded: Loaded) -> None:
    store.execute(
        "UPDATE submissions SET status = ?, superseded_by = ? "
        "WHERE collection = ? AND year = ? AND la = ? AND status = ? AND submission_id <> ?",
        [
            SUPERSEDED,
            loaded.submission_id,
            loaded.collection,
            loaded.year,
            loaded.la,
            CURRENT,
            loaded.submission_id,
        ],
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _store_failure(error: duckdb.Error, where: Location) -> ConfigError | InternalError:
    # DuckDB's message may quote a stored value: only the error's kind is reported.
    if isinstance(error, duckdb.IOException):
        return ConfigError(
            f"writing to the store failed ({type(error).__name__}); nothing was loaded",
            where=where,
            hint="check the disk has space and the store folder is writable, then retry",
        )
    return InternalError(f"the store refused a write ({type(error).__name__}); nothing was loaded")
