"""Read a submission's statistics-only aggregates into rows for the store.

The LA protected these counts before they left (suppression plus an audit proof); the
store keeps them exactly as released: each cell's shown value (a count or the
suppression symbol), its status and reason, and each item's proof. Nothing here
names a pupil, so the rows cannot be joined to pupil records. Anything not in the
expected shape refuses the whole submission.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from safepupil.collection.policy import AGE_BAND, CODED_ITEMS
from safepupil.errors import IntegrityError, Location
from safepupil.store.catalogue import Dataset

CELL_FIELDS = frozenset({"table", "value", "status", "reason"})
ALLOWED_BREAKDOWNS = frozenset({AGE_BAND, *CODED_ITEMS})
AGGREGATE_SCHEMA = pa.schema(
    [
        ("item", pa.string()),
        ("table_label", pa.string()),
        ("dimensions", pa.map_(pa.string(), pa.string())),
        ("shown", pa.string()),
        ("count", pa.int32()),
        ("status", pa.string()),
        ("reason", pa.string()),
    ]
)
AUDIT_SCHEMA = pa.schema(
    [
        ("item", pa.string()),
        ("population", pa.string()),
        ("age_on", pa.string()),
        ("codes", pa.list_(pa.string())),
        ("tables", pa.list_(pa.list_(pa.string()))),
        ("not_published", pa.string()),  # JSON: breakdowns the LA held back, and why
        ("audit", pa.string()),
    ]
)


@dataclass(frozen=True)
class Aggregates:
    cells: pa.Table  # AGGREGATE_SCHEMA
    audits: pa.Table  # AUDIT_SCHEMA

    @property
    def cell_count(self) -> int:
        return int(self.cells.num_rows)


class _Malformed(Exception):
    """Raised inside the parser; becomes one IntegrityError naming the file."""


def read_aggregates(body: Any, dataset: Dataset, where: Location) -> Aggregates:
    try:
        items = _field(body, "items", list)
        statistics_only = {i.name for i in dataset.items if i.statistics_only}
        cells: list[dict[str, Any]] = []
        audits: list[dict[str, Any]] = []
        for entry in items:
            item, tables = _item_and_tables(entry, statistics_only)
            audits.append(_audit_row(entry, item, tables))
            dimensions = {name for table in tables for name in table}
            cells += [_cell_row(cell, item, dimensions) for cell in _field(entry, "cells", list)]
    except _Malformed as problem:
        raise IntegrityError(
            f"the statistics-only aggregates are not in the expected form ({problem})",
            where=where,
            hint="ask the LA to prepare the return again with `safepupil la prepare`",
        ) from None
    return Aggregates(
        cells=pa.Table.from_pylist(cells, schema=AGGREGATE_SCHEMA),
        audits=pa.Table.from_pylist(audits, schema=AUDIT_SCHEMA),
    )


def _field(body: Any, name: str, kind: type) -> Any:
    if not isinstance(body, dict) or not isinstance(body.get(name), kind):
        raise _Malformed(f"{name} missing or not a {kind.__name__}")
    return body[name]


def _strings(values: Any, name: str) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise _Malformed(f"{name} must be a list of text")
    return values


def _item_and_tables(entry: Any, statistics_only: set[str]) -> tuple[str, list[list[str]]]:
    """The item, and its published tables: the item crossed with coded breakdowns."""
    item = _field(entry, "item", str)
    if item not in statistics_only:
        raise _Malformed(f"{item!r} is not a statistics-only item of the dataset")
    tables = _field(entry, "tables", list)
    for table in tables:
        names = _strings(table, "a table")
        if not names or names[0] != item or not set(names[1:]) <= ALLOWED_BREAKDOWNS:
            raise _Malformed("a table is not the item crossed with coded items or age bands")
    return item, tables


def _audit_row(entry: Mapping[str, Any], item: str, tables: list[list[str]]) -> dict[str, Any]:
    not_published = entry.get("not_published", [])
    if not isinstance(not_published, list):
        raise _Malformed("not_published must be a list")
    return {
        "item": item,
        "population": _field(entry, "population", str),
        "age_on": entry.get("age_on") if isinstance(entry.get("age_on"), str) else None,
        "codes": _strings(entry.get("codes"), "codes"),
        "tables": tables,
        "not_published": json.dumps(not_published, sort_keys=True),
        "audit": json.dumps(entry.get("audit"), sort_keys=True),
    }


def _cell_row(cell: Any, item: str, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(cell, dict):
        raise _Malformed("a cell is not an object")
    dimensions = {k: v for k, v in cell.items() if k not in CELL_FIELDS}
    if (
        item not in dimensions
        or not set(dimensions) <= allowed
        or not all(isinstance(v, str) for v in dimensions.values())
    ):
        raise _Malformed("a cell names a dimension outside its table")
    value = cell.get("value")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _Malformed("a cell's value is neither a count nor a symbol")
    reason = cell.get("reason")
    return {
        "item": item,
        "table_label": _field(cell, "table", str),
        "dimensions": list(dimensions.items()),
        "shown": str(value),
        "count": value if isinstance(value, int) else None,
        "status": _field(cell, "status", str),
        "reason": reason if isinstance(reason, str) else None,
    }
