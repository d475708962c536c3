"""Property: every engine gives the reference engine's answer, on random data and queries."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safepupil.query.model import Query
from safepupil.query.restriction import RestrictionContext
from safepupil.store.catalogue import Catalogue, load_catalogue
from tests.query.conftest import assert_results_agree, run_on, store_table
from tests.query.strategies import AP, SC, ap_rows, queries, school_rows

CATALOGUE = load_catalogue()
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _agree(
    catalogue: Catalogue,
    query: Query,
    rows: list[dict[str, Any]],
    margins: bool,
    excluded: frozenset[str],
) -> None:
    table = store_table(catalogue.dataset(query.dataset), rows)
    context = RestrictionContext(allowed_items=None, excluded_tokens=excluded)
    expected = run_on("reference", query, table, with_margins=margins, context=context)
    for engine_name in ("duckdb", "duckdb-listed"):
        got = run_on(engine_name, query, table, with_margins=margins, context=context)
        assert_results_agree(expected, got)


@pytest.mark.slow
@SETTINGS
@given(
    query=queries(CATALOGUE, AP),
    rows=ap_rows(),
    margins=st.booleans(),
    excluded=st.frozensets(st.sampled_from(["t0", "t1", "t9"]), max_size=2),
)
def test_engines_agree_on_ap_census(
    query: Query, rows: list[dict[str, Any]], margins: bool, excluded: frozenset[str]
) -> None:
    _agree(CATALOGUE, query, rows, margins, excluded)


@pytest.mark.slow
@SETTINGS
@given(
    query=queries(CATALOGUE, SC),
    rows=school_rows(),
    margins=st.booleans(),
    excluded=st.frozensets(st.sampled_from(["s0", "s1", "s9"]), max_size=2),
)
def test_engines_agree_on_school_census(
    query: Query, rows: list[dict[str, Any]], margins: bool, excluded: frozenset[str]
) -> None:
    _agree(CATALOGUE, query, rows, margins, excluded)
