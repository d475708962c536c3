"""The restriction step: permissions, opt-outs, and that engines run nothing else."""

from __future__ import annotations

import dataclasses
from typing import Any

import duckdb
import pytest

from safepupil.errors import InternalError, PermissionDenied
from safepupil.query import restriction
from safepupil.query.builder import dataset, item
from safepupil.query.engines import DuckDBEngine, ReferenceEngine
from safepupil.query.restriction import RestrictedQuery, RestrictionContext, restrict
from safepupil.store.catalogue import Catalogue
from tests.query.conftest import run_on, store_table
from tests.query.spec_data import AP_ROWS

AP = "ap_census_2018"


def _query(catalogue: Catalogue) -> Any:
    return dataset(AP, catalogue).where(item("sex") == "F").by("region").count().build()


def test_allowed_items_pass(catalogue: Catalogue) -> None:
    context = RestrictionContext(
        allowed_items=frozenset({"sex", "la"}), excluded_tokens=frozenset({"t1"})
    )
    restricted = restrict(_query(catalogue), context)
    assert restricted.query == _query(catalogue)
    assert restricted.excluded_tokens == {"t1"}


def test_items_outside_the_project_are_refused_by_name(catalogue: Catalogue) -> None:
    with pytest.raises(PermissionDenied) as refused:
        restrict(_query(catalogue), RestrictionContext(allowed_items=frozenset({"sex"})))
    assert "not approved to use la of dataset ap_census_2018" in str(refused.value)  # via region


def test_a_proportion_condition_needs_permission_too(catalogue: Catalogue) -> None:
    query = dataset(AP, catalogue).proportion(item("placement_reason") == "PEX").build()
    with pytest.raises(PermissionDenied, match="placement_reason"):
        restrict(query, RestrictionContext(allowed_items=frozenset({"sex", "la"})))


def test_a_restricted_query_cannot_be_made_or_changed_elsewhere(catalogue: Catalogue) -> None:
    with pytest.raises(InternalError, match="only be made by restrict"):
        RestrictedQuery(_query(catalogue), frozenset(), seal=object())
    restricted = restrict(
        _query(catalogue), RestrictionContext(allowed_items=None, excluded_tokens=frozenset({"t1"}))
    )
    with pytest.raises(AttributeError):
        restricted.excluded_tokens = frozenset()  # type: ignore[misc]
    with pytest.raises(TypeError):
        dataclasses.replace(restricted, excluded_tokens=frozenset())  # type: ignore[type-var]
    assert "t1" not in repr(restricted)  # tokens are never printed


@pytest.mark.parametrize("engine", [ReferenceEngine(), DuckDBEngine()], ids=["reference", "duckdb"])
def test_engines_refuse_a_plain_query(catalogue: Catalogue, engine: Any) -> None:
    table = store_table(catalogue.dataset(AP), AP_ROWS)
    source = table if isinstance(engine, ReferenceEngine) else duckdb.connect()
    with pytest.raises(InternalError, match="only restrict"):
        engine.run(_query(catalogue), source)


def test_every_run_goes_through_restrict(
    catalogue: Catalogue, engine_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spy on the real restrict(): the seal it holds is what engines check."""
    calls: list[Any] = []
    real = restriction.restrict

    def spy(query: Any, context: RestrictionContext) -> RestrictedQuery:
        calls.append(query)
        return real(query, context)

    monkeypatch.setattr(restriction, "restrict", spy)
    monkeypatch.setattr("tests.query.conftest.restrict", spy)
    run_on(engine_name, _query(catalogue), store_table(catalogue.dataset(AP), AP_ROWS))
    assert calls == [_query(catalogue)]


def test_exclusions_reach_the_contributors(catalogue: Catalogue, engine_name: str) -> None:
    context = RestrictionContext(allowed_items=None, excluded_tokens=frozenset({"t2", "nobody"}))
    result = run_on(
        engine_name,
        _query(catalogue),
        store_table(catalogue.dataset(AP), AP_ROWS),
        context=context,
        with_margins=True,
    )
    assert 2 not in result.contributors
    assert all(2 not in cell.contributors for cell in result.cells)
