"""Contributor bitmaps made from per-code bitmaps kept per process (code_bitmaps.py).

The kept bitmaps are a cache of the store, so these tests change the store under them
(a pupil moved to another cell, two pupils swapping cells, a pupil added) and deliberately
poison them, and check every answer against the engine listing each cell's ids."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pyroaring import FrozenBitMap

from safepupil.query.builder import dataset, item
from safepupil.query.engines.code_bitmaps import (
    KEPT,
    CellsDisagree,
    CodeBitmapCache,
    Level,
    Population,
    TokenIds,
    cell_bitmaps,
)
from safepupil.query.engines.duckdb_engine import DuckDBEngine, explain
from safepupil.query.model import Query
from safepupil.query.restriction import RestrictionContext, restrict
from safepupil.query.results import QueryResult
from safepupil.store.catalogue import Catalogue
from tests.query.conftest import assert_results_agree, store_table
from tests.query.spec_data import SCHOOL_ROWS

SC = "school_census_2018"
FAST, LISTED = DuckDBEngine(), DuckDBEngine(list_ids=True)


@pytest.fixture
def on_file(tmp_path: Path, catalogue: Catalogue) -> Iterator[duckdb.DuckDBPyConnection]:
    """A database file holding the spec school census as a table (bitmaps are kept per
    file, so this is the case the service runs in)."""
    connection = duckdb.connect(str(tmp_path / "store.duckdb"))
    rows = store_table(catalogue.dataset(SC), SCHOOL_ROWS)  # noqa: F841 - read by DuckDB
    connection.execute(f"CREATE TABLE {SC} AS SELECT * FROM rows")
    yield connection
    connection.close()


def _run(
    engine: DuckDBEngine, query: Query, source: duckdb.DuckDBPyConnection, **kw: Any
) -> QueryResult:
    context = RestrictionContext(allowed_items=None, **kw)
    return engine.run(restrict(query, context), source, with_margins=True)


def _both_agree(query: Query, source: duckdb.DuckDBPyConnection, **kw: Any) -> QueryResult:
    fast = _run(FAST, query, source, **kw)
    assert_results_agree(_run(LISTED, query, source, **kw), fast)
    return fast


def _queries(catalogue: Catalogue) -> list[Query]:
    base = dataset(SC, catalogue)
    return [
        base.by("la", "sen_provision", "sex").count().sum("sessions_absent").build(),
        base.by("region", "sex").count().build(),  # a derived level (LA -> region)
        base.by("age_band").count().build(),  # derived from a non-dimension item
        base.by("sex").count().build(),
        base.where(item("sessions_absent") > 3).by("la", "sex").count().build(),  # filtered
    ]


def test_one_record_per_pupil_queries_use_code_bitmaps(catalogue: Catalogue) -> None:
    def listed(query: Query, margins: bool = False) -> bool:
        sql = explain(restrict(query, RestrictionContext(None)), with_margins=margins).sql
        assert ("list(" in sql) != ("id_sum" in sql)
        return "list(" in sql

    school = dataset(SC, catalogue)
    assert not listed(school.by("la", "sex").count().build(), margins=True)
    assert not listed(school.where(item("sex") == "F").by("la").count().build())
    # several records per pupil: a pupil may hold several codes of one level
    assert listed(dataset("ap_census_2018", catalogue).by("la").count().build())
    # medians with margins are computed by DuckDB for every family: ids listed
    assert listed(school.by("la").median("sessions_absent").build(), margins=True)


def test_kept_bitmaps_follow_every_change_to_the_store(
    on_file: duckdb.DuckDBPyConnection, catalogue: Catalogue
) -> None:
    for query in _queries(catalogue):
        _both_agree(query, on_file)  # the first runs make and keep the bitmaps
    first, second, third = (SCHOOL_ROWS[i]["pupil_id"] for i in range(3))
    assert SCHOOL_ROWS[1]["sex"] != SCHOOL_ROWS[2]["sex"]  # so the swap below moves ids
    changes = [
        # one pupil moves to another cell: counts change
        f"UPDATE {SC} SET sex = CASE sex WHEN 'F' THEN 'M' ELSE 'F' END WHERE pupil_id = {first}",
        # two pupils swap LA and sex: every count stays the same, only the ids move
        f"""UPDATE {SC} AS t SET la = o.la, sex = o.sex FROM
            (SELECT pupil_id, la, sex FROM {SC} WHERE pupil_id IN ({second}, {third})) AS o
            WHERE t.pupil_id IN ({second}, {third}) AND o.pupil_id <> t.pupil_id""",
        # a new pupil
        f"INSERT INTO {SC} SELECT * REPLACE (pupil_id + 1000 AS pupil_id) FROM {SC} "
        f"WHERE pupil_id = {second}",
    ]
    for change in changes:
        on_file.execute(change)
        for query in _queries(catalogue):
            _both_agree(query, on_file)


def test_poisoned_bitmaps_are_made_again(
    on_file: duckdb.DuckDBPyConnection, catalogue: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    query = dataset(SC, catalogue).by("sex").count().build()
    _both_agree(query, on_file)
    database = on_file.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    assert database is not None
    key = (str(database[0]), SC, "sex")
    kept = KEPT.get(key)
    assert kept is not None
    # one pupil of each sex swapped: every count stays right, only the ids are wrong
    girls, boys = kept.bitmaps["F"], kept.bitmaps["M"]
    girl, boy = girls.min(), boys.min()
    one = FrozenBitMap
    stale = {
        **kept.bitmaps,
        "F": (girls - one([girl])) | one([boy]),
        "M": (boys - one([boy])) | one([girl]),
    }
    KEPT.put(key, Level.of(stale))
    with caplog.at_level(logging.WARNING):
        _both_agree(query, on_file)
    assert "disagreed" not in caplog.text  # made again from the store, not given up on


def test_excluded_pupils_leave_every_cell(
    on_file: duckdb.DuckDBPyConnection, catalogue: Catalogue
) -> None:
    excluded = frozenset({SCHOOL_ROWS[0]["pupil_token"], SCHOOL_ROWS[2]["pupil_token"]})
    query = dataset(SC, catalogue).by("la", "sex").count().build()
    result = _both_agree(query, on_file, excluded_tokens=excluded)
    gone = {r["pupil_id"] for r in SCHOOL_ROWS if r["pupil_token"] in excluded}
    assert not result.contributors & FrozenBitMap(gone)


def test_cells_that_cannot_be_made_raise(
    on_file: duckdb.DuckDBPyConnection, catalogue: Catalogue
) -> None:
    spec = catalogue.dataset(SC)
    wrong_count = ([10**6], [0])  # a cell of a million pupils no code holds
    everyone = Population(None, FrozenBitMap())
    with pytest.raises(CellsDisagree, match="do not give the statement's cells"):
        cell_bitmaps(on_file, spec, ["sex"], [("F",)], wrong_count, everyone, CodeBitmapCache())


def test_the_cache_keeps_to_its_capacity_in_bytes() -> None:
    pupils = FrozenBitMap(range(0, 200_000, 3))  # array and bitset containers
    size = pupils.get_statistics()["n_bytes_bitset_containers"]
    size += pupils.get_statistics()["n_bytes_array_containers"]
    cache = CodeBitmapCache(capacity=2 * size + size // 2)  # room for two entries
    for name in ("a", "b", "c"):
        cache.put(("db", "ds", name), Level.of({"x": pupils}))
    assert cache.get(("db", "ds", "a")) is None  # the least recently used went
    assert cache.get(("db", "ds", "b")) is not None and cache.get(("db", "ds", "c")) is not None
    cache.put(("db", "ds", "b"), Level.of({"x": pupils}))  # put again: counted once
    cache.put(("db", "other", "d"), Level.of({"x": pupils}))
    assert cache.get(("db", "ds", "c")) is None and cache.get(("db", "ds", "b")) is not None
    cache.forget("db", "ds")
    assert cache.get(("db", "ds", "b")) is None and cache.get(("db", "other", "d")) is not None


def test_excluded_tokens_are_looked_up_once_and_missing_ones_again(
    on_file: duckdb.DuckDBPyConnection, catalogue: Catalogue
) -> None:
    spec, ids = catalogue.dataset(SC), TokenIds()
    token, pupil = SCHOOL_ROWS[0]["pupil_token"], SCHOOL_ROWS[0]["pupil_id"]
    assert ids.of(on_file, spec, frozenset({token, "later"})) == FrozenBitMap([pupil])
    # a second lookup of the same token would now find nothing: the kept id is used
    on_file.execute(f"UPDATE {SC} SET pupil_token = 'renamed' WHERE pupil_id = {pupil}")
    # a token not found before is looked up again (it may have been loaded since)
    on_file.execute(f"UPDATE {SC} SET pupil_token = 'later' WHERE pupil_id = {pupil + 1}")
    found = ids.of(on_file, spec, frozenset({token, "later"}))
    assert found == FrozenBitMap([pupil, pupil + 1])
