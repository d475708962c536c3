"""Amendments: accepted corrections applied at the national store, as new versions.

    amendments   one row per applied correction: dataset, LA, pupil_id, item, the new
                 value (as text), its amendment number for that (dataset, LA, pupil,
                 item): 1, 2, ..., the correction's id and when it was applied

Nothing is overwritten: the records keep the value the LA sent, every amendment stays,
and the dataset view (``pupil_store.refresh_dataset_view``) shows the newest amendment
of an item in place of the stored value. An amendment applies to the pupil's records in
that LA's return of that dataset, in whichever version is current, so a later version
of the return does not undo an accepted correction.

This module composes no SQL identifiers (values are bound parameters), so the schema
module can import its rules without a cycle.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

import duckdb

from safepupil.errors import InternalError, NotFound, QueryError, UserError
from safepupil.store.catalogue import Dataset, Item
from safepupil.store.retention import expires_on

# ruff: noqa: S608 - SQL text here names only this module's table and a checked dataset name

AMENDMENTS = "amendments"
AMENDMENTS_DDL = f"""CREATE TABLE IF NOT EXISTS {AMENDMENTS} (
    correction_id INTEGER PRIMARY KEY,
    dataset VARCHAR NOT NULL,
    la VARCHAR NOT NULL,
    pupil_id BIGINT NOT NULL,
    item VARCHAR NOT NULL,
    value VARCHAR,
    amendment_number INTEGER NOT NULL,
    applied_at TIMESTAMP NOT NULL,
    UNIQUE (dataset, la, pupil_id, item, amendment_number))"""
# Items that say which return a record belongs to: correcting them would move the record.
ADDRESSING_ITEMS = frozenset({"la", "year"})
WITHHELD_SUFFIX = "_withheld"  # the flag beside a statistics-only item
YEAR_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MAX_OPEN_CODE = 20  # URN, UKPRN, postcode district: short codes


def correction_refusal(dataset: Dataset, item: Item) -> str | None:
    """Why ``item`` cannot be corrected through the service, or None when it can."""
    if item.type == "token":
        return "it is the pupil's identifier"
    if item.name in ADDRESSING_ITEMS:
        return "it says which return the record belongs to; ask the LA to send the return again"
    if item.statistics_only:
        return "it is statistics-only: it leaves the LA only as protected counts"
    source = item.name.removesuffix(WITHHELD_SUFFIX)
    if source != item.name and any(i.name == source and i.statistics_only for i in dataset.items):
        return "it tells whether a statistics-only item was withheld"
    return None


def is_correctable(dataset: Dataset, item: Item) -> bool:
    return correction_refusal(dataset, item) is None


def normalised_value(dataset: Dataset, item_name: str, text: str, on: dt.date) -> str:
    """The proposed value in the form stored, checked against the item's type and codeset.

    Errors name the item and the type, never the value (it is pupil-level data).
    """
    item = dataset.item(item_name)
    why = correction_refusal(dataset, item)
    if why is not None:
        raise UserError(
            f"{dataset.name}.{item.name} cannot be corrected through the service: {why}",
            hint="a pupil or parent can ask the LA about it directly",
        )
    if on >= expires_on(dataset, item):
        raise UserError(
            f"{dataset.name}.{item.name} passed its retention period on "
            f"{expires_on(dataset, item).isoformat()} and is no longer held",
            hint="there is nothing left to correct",
        )
    value = text.strip()
    if not value:
        raise UserError(f"the proposed value for {item.name} is empty", hint="give the value")
    checked = _typed(dataset, item, value)
    if checked is None:
        raise UserError(
            f"the proposed value is not a valid {item.type} for {dataset.name}.{item.name}",
            hint=_type_hint(dataset, item),
        )
    return checked


def _typed(dataset: Dataset, item: Item, value: str) -> str | None:
    """``value`` normalised for ``item``'s type, or None when it does not fit."""
    if item.type == "code":
        allowed = dataset.allowed_codes(item.name)
        code = value.upper() if allowed is not None else value
        if allowed is not None:
            return code if code in allowed else None
        return code if len(code) <= MAX_OPEN_CODE and code.isprintable() else None
    if item.type == "boolean":
        return {"true": "true", "false": "false"}.get(value.lower())
    if item.type == "year_month":
        return value if YEAR_MONTH.match(value) else None
    try:
        if item.type == "date":
            return dt.date.fromisoformat(value).isoformat()
        if item.type == "integer":
            return str(int(value))
        if item.type == "decimal":
            number = float(value)
            return repr(number) if math.isfinite(number) else None
    except ValueError:
        return None
    return None


def _type_hint(dataset: Dataset, item: Item) -> str:
    allowed = dataset.allowed_codes(item.name) if item.type == "code" else None
    if allowed is not None:
        return f"use one of the codes of {item.codeset}: {', '.join(sorted(allowed))}"
    return {
        "code": f"a code of at most {MAX_OPEN_CODE} characters",
        "boolean": "true or false",
        "year_month": "YYYY-MM",
        "date": "YYYY-MM-DD",
        "integer": "a whole number",
        "decimal": "a number",
    }.get(item.type, "see `safepupil catalogue`")


@dataclass(frozen=True)
class Amendment:
    correction_id: int
    dataset: str
    la: str
    pupil_id: int
    item: str
    amendment_number: int
    applied_at: dt.datetime


def pupil_id_of(store: duckdb.DuckDBPyConnection, pupil_token: str) -> int | None:
    row = store.execute(
        "SELECT pupil_id FROM pupils WHERE pupil_token = ?", [pupil_token]
    ).fetchone()
    return None if row is None else int(row[0])


def has_record(store: duckdb.DuckDBPyConnection, dataset: Dataset, la: str, pupil_id: int) -> bool:
    """Whether the current version of ``la``'s return of ``dataset`` holds the pupil."""
    name = dataset.name
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise InternalError(f"{name!r} is not a catalogue dataset name")
    row = store.execute(
        f'SELECT count(*) FROM "{name}" WHERE la = ? AND pupil_id = ?',
        [la, pupil_id],
    ).fetchone()
    return bool(row and row[0])


def apply_amendment(
    store: duckdb.DuckDBPyConnection,
    *,
    correction_id: int,
    dataset: Dataset,
    la: str,
    pupil_token: str,
    item: str,
    value: str,
    at: dt.datetime,
) -> Amendment:
    """Write the amendment for an accepted correction (once: a second call returns the first).

    ``value`` must come from ``normalised_value``. One DuckDB transaction.
    """
    existing = _amendment_of(store, correction_id)
    if existing is not None:
        return existing
    pupil_id = pupil_id_of(store, pupil_token)
    if pupil_id is None or not has_record(store, dataset, la, pupil_id):
        raise NotFound(
            f"the store holds no record of this pupil in LA {la}'s {dataset.name}",
            hint="check the LA and dataset of the correction",
        )
    store.execute("BEGIN TRANSACTION")
    try:
        row = store.execute(
            f"SELECT coalesce(max(amendment_number), 0) + 1 FROM {AMENDMENTS} "
            "WHERE dataset = ? AND la = ? AND pupil_id = ? AND item = ?",
            [dataset.name, la, pupil_id, item],
        ).fetchone()
        number = int(row[0]) if row else 1
        applied_at = at.astimezone(dt.UTC).replace(tzinfo=None)
        store.execute(
            f"INSERT INTO {AMENDMENTS} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [correction_id, dataset.name, la, pupil_id, item, value, number, applied_at],
        )
    except BaseException:
        store.execute("ROLLBACK")
        raise
    store.execute("COMMIT")
    return Amendment(correction_id, dataset.name, la, pupil_id, item, number, at)


def _amendment_of(store: duckdb.DuckDBPyConnection, correction_id: int) -> Amendment | None:
    row = store.execute(
        "SELECT correction_id, dataset, la, pupil_id, item, amendment_number, applied_at "
        f"FROM {AMENDMENTS} WHERE correction_id = ?",
        [correction_id],
    ).fetchone()
    if row is None:
        return None
    return Amendment(
        correction_id=int(row[0]),
        dataset=str(row[1]),
        la=str(row[2]),
        pupil_id=int(row[3]),
        item=str(row[4]),
        amendment_number=int(row[5]),
        applied_at=row[6].replace(tzinfo=dt.UTC),
    )


def amendment_history(
    store: duckdb.DuckDBPyConnection, dataset: str, la: str, pupil_id: int, item: str
) -> list[tuple[int, int]]:
    """(amendment number, correction id) of every amendment of one item, oldest first."""
    rows = store.execute(
        f"SELECT amendment_number, correction_id FROM {AMENDMENTS} "
        "WHERE dataset = ? AND la = ? AND pupil_id = ? AND item = ? ORDER BY amendment_number",
        [dataset, la, pupil_id, item],
    ).fetchall()
    return [(int(n), int(c)) for n, c in rows]


def require_correctable_dataset(dataset: Dataset, collection_datasets: frozenset[str]) -> None:
    if dataset.name not in collection_datasets:
        raise QueryError(
            f"{dataset.name} is not an LA collection: corrections go to whoever holds it",
            hint="corrections through the service are for LA returns such as ap_census_2018",
        )
