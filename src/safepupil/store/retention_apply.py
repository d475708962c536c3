"""Remove items past retention from the store (``safepupil retention apply``).

The views already hide an expired item from the day it expires; this removes it from
storage, in every version of the return, so backups and later loads hold it no more:

* an item past retention is set to NULL in every version's records, and the values of
  its amendments are cleared (the amendment rows stay: which correction was applied
  when is history, the value is not);
* a record whose every item is past retention is dropped as a whole, since a row of
  nulls would still say that the pupil was in the census.

All of one run is one DuckDB transaction. ``before_commit`` runs inside it with the
report, so the caller can record the audit event first: if that fails nothing is removed.
Statistics-only aggregates are counts protected at source, not pupil records: kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from safepupil.store.amendments import AMENDMENTS
from safepupil.store.catalogue import Catalogue, Dataset
from safepupil.store.pupil_store import collection_datasets, quoted, transaction
from safepupil.store.retention import Expired, expired_items

# ruff: noqa: S608 - SQL text here is composed only of quoted() identifiers; values are bound

SCHOOL_CENSUS = "school_census"


@dataclass(frozen=True)
class DatasetRemoval:
    dataset: str
    expired: tuple[Expired, ...]
    values_removed: tuple[int, ...]  # per expired item, in the same order
    records_dropped: int
    amendments_cleared: int


@dataclass(frozen=True)
class RetentionReport:
    on: dt.date
    dry_run: bool
    datasets: tuple[DatasetRemoval, ...]


@dataclass(frozen=True)
class _Target:
    dataset: Dataset
    table: str
    scope: str  # a WHERE clause naming this dataset's rows of the table
    params: list[object]


def apply_retention(
    store: duckdb.DuckDBPyConnection,
    catalogue: Catalogue,
    on: dt.date,
    *,
    dry_run: bool = False,
    before_commit: Callable[[RetentionReport], None] | None = None,
) -> RetentionReport:
    """Remove (or, with ``dry_run``, count) what is past retention on ``on``."""
    with transaction(store):
        removals = tuple(
            _remove(store, target, expired, dry_run)
            for target in _targets(store, catalogue)
            if (expired := expired_items(target.dataset, on))
        )
        report = RetentionReport(on=on, dry_run=dry_run, datasets=removals)
        if before_commit is not None and not dry_run:
            before_commit(report)
    return report


def _targets(store: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> list[_Target]:
    targets = []
    for dataset, collection in collection_datasets(catalogue):
        year = int(dataset.name.removeprefix(f"{collection.family}_"))
        targets.append(
            _Target(
                dataset,
                collection.records_table,
                "submission_id IN (SELECT submission_id FROM submissions "
                "WHERE collection = ? AND year = ?)",
                [collection.code, year],
            )
        )
    tables = {row[0] for row in store.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    for dataset in catalogue.datasets:  # loaded whole, one table per year (no versions)
        table = f"{dataset.name}_records"
        if dataset.name.startswith(f"{SCHOOL_CENSUS}_") and table in tables:
            targets.append(_Target(dataset, table, "TRUE", []))
    return targets


def _remove(
    store: duckdb.DuckDBPyConnection, target: _Target, expired: list[Expired], dry_run: bool
) -> DatasetRemoval:
    table = quoted(target.table)
    names = [e.item for e in expired]
    counted = ", ".join(f"count({quoted(name)})" for name in names)
    row = store.execute(
        f"SELECT count(*), {counted} FROM {table} WHERE {target.scope}", target.params
    ).fetchone()
    records, *values = [int(v) for v in row] if row else [0] * (len(names) + 1)
    whole = len(expired) == len(target.dataset.items)
    amendments = _count(
        store,
        f"SELECT count(*) FROM {AMENDMENTS} WHERE dataset = ? AND list_contains(?, item) "
        "AND value IS NOT NULL",
        [target.dataset.name, names],
    )
    if not dry_run:
        if whole:
            store.execute(f"DELETE FROM {table} WHERE {target.scope}", target.params)
        else:
            for name in names:
                store.execute(
                    f"UPDATE {table} SET {quoted(name)} = NULL "
                    f"WHERE {target.scope} AND {quoted(name)} IS NOT NULL",
                    target.params,
                )
        store.execute(
            f"UPDATE {AMENDMENTS} SET value = NULL WHERE dataset = ? AND list_contains(?, item)",
            [target.dataset.name, names],
        )
    return DatasetRemoval(
        dataset=target.dataset.name,
        expired=tuple(expired),
        values_removed=tuple(values),
        records_dropped=records if whole else 0,
        amendments_cleared=amendments,
    )


def _count(store: duckdb.DuckDBPyConnection, statement: str, params: list[object]) -> int:
    row = store.execute(statement, params).fetchone()
    return int(row[0]) if row else 0
