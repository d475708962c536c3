"""DuckDB engine specifics: no researcher text in SQL, the checks it makes on the store."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest

from safepupil.errors import InternalError
from safepupil.query.builder import age_on, dataset, item
from safepupil.query.engines.duckdb_engine import explain
from safepupil.query.restriction import RestrictionContext, restrict
from safepupil.query.sql import parse_sql
from safepupil.store.catalogue import Catalogue
from tests.query.conftest import run_on, store_table
from tests.query.spec_data import SCHOOL_ROWS

SC = "school_census_2018"
YES = True  # item("fsm") == YES: a literal True trips E712


def test_researcher_values_are_parameters_never_sql_text(catalogue: Catalogue) -> None:
    """Security property 1: codes, numbers, dates and tokens reach DuckDB only as parameters."""
    query = parse_sql(
        "SELECT region, age_band, PROPORTION(sen_type_1 IN ('SEMH', 'PMLD')), AVG(sessions_absent) "
        "FROM school_census_2018 WHERE sex = 'F' AND attainment8 > 37.75 "
        "AND AGE_ON(DATE '2017-12-25') >= 13 GROUP BY region, age_band",
        catalogue,
    )
    context = RestrictionContext(
        allowed_items=None, excluded_tokens=frozenset({"tok-Robert'); DROP"})
    )
    plan = explain(restrict(query, context), with_margins=True)
    for literal in ("SEMH", "PMLD", "'F'", "37.75", "2017", "DROP", "London", "11-13"):
        assert literal not in plan.sql
    values = plan.params.values()
    assert "SEMH" in values and 37.75 in values and ["tok-Robert'); DROP"] in values
    assert dt.date(2017, 12, 25) not in values  # ages bind a month number, not the date


def test_identifiers_are_quoted_catalogue_names(catalogue: Catalogue) -> None:
    query = dataset(SC, catalogue).where(item("fsm") == YES).by("sex").count().build()
    plan = explain(restrict(query, RestrictionContext(allowed_items=None)))
    assert 'FROM "school_census_2018" AS t' in plan.sql
    assert 't."sex"' in plan.sql and 't."fsm" = $p' in plan.sql


def _connection_with(table: pa.Table, name: str = SC) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.register("incoming", table)
    connection.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')
    return connection


def test_a_broken_one_row_per_pupil_promise_is_caught(catalogue: Catalogue) -> None:
    rows = [*SCHOOL_ROWS, {**SCHOOL_ROWS[0], "la": "873"}]  # pupil 10 twice
    query = dataset(SC, catalogue).by("sex").count().build()
    restricted = restrict(query, RestrictionContext(allowed_items=None))
    connection = _connection_with(store_table(catalogue.dataset(SC), rows))
    from safepupil.query.engines import DuckDBEngine

    with pytest.raises(InternalError, match="one record per pupil"):
        DuckDBEngine().run(restricted, connection)


def test_store_errors_do_not_quote_stored_values(catalogue: Catalogue) -> None:
    rows = [{**SCHOOL_ROWS[0], "birth_year_month": "secret-value"}]
    query = dataset(SC, catalogue).where(age_on(dt.date(2018, 1, 18)) > 3).count().build()
    restricted = restrict(query, RestrictionContext(allowed_items=None))
    connection = _connection_with(store_table(catalogue.dataset(SC), rows))
    from safepupil.query.engines import DuckDBEngine

    with pytest.raises(InternalError) as failed:
        DuckDBEngine().run(restricted, connection)
    assert "secret" not in str(failed.value) and "school_census_2018" in str(failed.value)


def test_pupil_ids_must_fit_a_32_bit_bitmap(catalogue: Catalogue) -> None:
    table = store_table(catalogue.dataset(SC), SCHOOL_ROWS)
    table = table.set_column(
        0, "pupil_id", pa.array([2**33 + i for i in range(len(SCHOOL_ROWS))], pa.int64())
    )
    query = dataset(SC, catalogue).count().build()
    connection = _connection_with(table)
    from safepupil.query.engines import DuckDBEngine

    with pytest.raises(InternalError, match="outside"):
        DuckDBEngine().run(restrict(query, RestrictionContext(allowed_items=None)), connection)


def test_bitmaps_serialise(catalogue: Catalogue, engine_name: str) -> None:
    from pyroaring import BitMap

    query = dataset(SC, catalogue).by("la").count().build()
    result = run_on(
        engine_name, query, store_table(catalogue.dataset(SC), SCHOOL_ROWS), with_margins=True
    )
    blob = result.contributors.serialize()
    assert BitMap.deserialize(blob) == BitMap(range(10, 18))
