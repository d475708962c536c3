"""Fixtures for the query tests: the shipped catalogue, tables typed as the store types
them, and a runner that sends one query through restrict() to any engine."""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from safepupil.query.engines import DuckDBEngine, ReferenceEngine
from safepupil.query.model import Query
from safepupil.query.restriction import RestrictionContext, restrict
from safepupil.query.results import QueryResult
from safepupil.store.catalogue import Catalogue, Dataset, load_catalogue

# "duckdb" makes contributors from per-code bitmaps where it can; "duckdb-listed" always
# lists each cell's pupil ids. Both must give the reference engine's answer.
ENGINE_NAMES = ["reference", "duckdb", "duckdb-listed"]
_ARROW_TYPES = {
    "code": pa.string(),
    "token": pa.string(),
    "year_month": pa.string(),
    "date": pa.date32(),
    "integer": pa.int16(),
    "decimal": pa.float32(),
    "boolean": pa.bool_(),
}

Runner = Callable[..., QueryResult]


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


def store_table(dataset: Dataset, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Rows as the national store holds them: every catalogue item, typed, plus pupil_id."""
    fields = [pa.field("pupil_id", pa.uint32())]
    fields += [pa.field(i.name, _ARROW_TYPES[i.type]) for i in dataset.items]
    schema = pa.schema(fields)
    listed = list(rows)
    return pa.table({f.name: pa.array([r.get(f.name) for r in listed], f.type) for f in schema})


def run_on(
    engine_name: str,
    query: Query,
    table: pa.Table,
    *,
    with_margins: bool = False,
    context: RestrictionContext | None = None,
) -> QueryResult:
    restricted = restrict(query, context or RestrictionContext(allowed_items=None))
    if engine_name == "reference":
        return ReferenceEngine().run(restricted, table, with_margins=with_margins)
    connection = _shared_connection()
    connection.register(query.dataset, table)  # an Arrow table seen as the dataset's table
    try:
        engine = DuckDBEngine(list_ids=engine_name == "duckdb-listed")
        return engine.run(restricted, connection, with_margins=with_margins)
    finally:
        connection.unregister(query.dataset)


@functools.cache
def _shared_connection() -> duckdb.DuckDBPyConnection:
    """One in-memory database for the session: opening one costs more than a query."""
    return duckdb.connect()


@pytest.fixture(params=ENGINE_NAMES)
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def same_number(left: object, right: object) -> bool:
    if left is None or right is None:
        return left is right
    assert isinstance(left, int | float) and isinstance(right, int | float)
    return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9)


def assert_results_agree(left: QueryResult, right: QueryResult) -> None:
    """Equal cells, codes, counts and contributors; values equal up to float rounding."""
    assert left.dimensions == right.dimensions and left.measures == right.measures
    assert [(c.levels, c.codes) for c in left.cells] == [(c.levels, c.codes) for c in right.cells]
    assert left.contributors == right.contributors
    for mine, theirs in zip(left.cells, right.cells, strict=True):
        assert (mine.n_pupils, mine.interior) == (theirs.n_pupils, theirs.interior), mine.codes
        assert mine.contributors == theirs.contributors, mine.codes
        for a, b in zip(mine.values, theirs.values, strict=True):
            assert (a.n_pupils, a.numerator) == (b.n_pupils, b.numerator), mine.codes
            for field in ("value", "top1", "top2"):
                assert same_number(getattr(a, field), getattr(b, field)), (mine.codes, field)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
