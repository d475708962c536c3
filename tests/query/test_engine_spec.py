"""Spec tests: (data, query, expected cells), each run on every engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from safepupil.query.builder import QueryBuilder, age_on, dataset, item
from safepupil.query.restriction import RestrictionContext
from safepupil.store.catalogue import Catalogue
from tests.query.conftest import run_on, same_number, store_table
from tests.query.spec_data import AP_ROWS, SCHOOL_ROWS

AP = "ap_census_2018"
SC = "school_census_2018"
YES = True  # item("fsm") == YES: a literal True trips E712
CENSUS_DAY = dt.date(2018, 1, 18)
LONDON, EAST, ENGLAND = "London", "East of England", "England"


@dataclass(frozen=True)
class Case:
    name: str
    dataset: str
    build: Callable[[QueryBuilder], QueryBuilder]
    expected: dict[tuple[Any, ...], tuple[Any, ...]]  # interior codes -> measure values
    excluded: frozenset[str] = frozenset()


CASES = [
    Case(
        "count by la",
        AP,
        lambda q: q.by("la").count(),
        {("201",): (1,), ("202",): (3,), ("873",): (2,)},
    ),
    Case("count everyone, pupils not records", AP, lambda q: q.count(), {(): (5,)}),
    Case(
        "code set filter",
        AP,
        lambda q: q.where(item("placement_reason").isin(["PEX", "SUS"])).by("sex").count(),
        {("F",): (2,), ("M",): (1,)},
    ),
    Case(
        "not equal leaves out missing values",
        AP,
        lambda q: q.where(item("placement_reason") != "PEX").count(),
        {(): (3,)},
    ),
    Case(
        "not in leaves out missing values",
        AP,
        lambda q: q.where(~item("placement_reason").isin(["PEX"])).count(),
        {(): (3,)},
    ),
    Case(
        "is null: ongoing placements",
        AP,
        lambda q: q.where(item("placement_end").is_null()).count(),
        {(): (3,)},
    ),
    Case(
        "date range",
        AP,
        lambda q: (
            q.where(item("placement_start").between(dt.date(2017, 9, 1), dt.date(2017, 12, 31)))
            .by("la")
            .count()
        ),
        {("201",): (1,), ("202",): (2,)},
    ),
    Case(
        "open-ended date range",
        AP,
        lambda q: q.where(item("placement_start").between(None, dt.date(2017, 6, 30))).count(),
        {(): (2,)},
    ),
    Case(
        "age on census day at least 14",
        AP,
        lambda q: q.where(age_on(CENSUS_DAY) >= 14).count(),
        {(): (2,)},
    ),
    Case(
        "age on census day under 13",
        AP,
        lambda q: q.where(age_on(CENSUS_DAY) < 13).by("sex").count(),
        {("F",): (1,), ("U",): (1,)},
    ),
    Case(
        "age in the birth month counts the birthday as passed",
        AP,
        lambda q: q.where(age_on(dt.date(2017, 11, 1)) == 14).count(),
        {(): (1,)},
    ),
    Case("region from la", AP, lambda q: q.by("region").count(), {(EAST,): (2,), (LONDON,): (4,)}),
    Case("england", AP, lambda q: q.by("england").count(), {(ENGLAND,): (5,)}),
    Case(
        "broad need from sen_type_1",
        AP,
        lambda q: q.by("broad_need").count(),
        {
            (None,): (1,),
            ("Cognition and learning",): (1,),
            ("Communication and interaction",): (1,),
            ("Social, emotional and mental health",): (2,),
        },
    ),
    Case(
        "age band",
        AP,
        lambda q: q.by("age_band").count(),
        {("11-13",): (3,), ("14-15",): (1,), ("5-10",): (1,)},
    ),
    Case(
        "age",
        AP,
        lambda q: q.by("age").count(),
        {(9,): (1,), (11,): (1,), (13,): (2,), (14,): (1,)},
    ),
    Case(
        "proportion per la",
        AP,
        lambda q: q.by("la").proportion(item("placement_reason") == "PEX"),
        {("201",): (1.0,), ("202",): (0.0,), ("873",): (0.5,)},
    ),
    Case(
        "opted-out pupils are left out",
        AP,
        lambda q: q.by("la").count(),
        {("201",): (1,), ("202",): (2,), ("873",): (1,)},
        excluded=frozenset({"t2"}),
    ),
    Case(
        "empty result",
        AP,
        lambda q: q.where(item("sex") == "U", item("la") == "201").by("la").count(),
        {},
    ),
    Case(
        "empty result without dimensions",
        AP,
        lambda q: q.where(item("sex") == "U", item("la") == "201").count(),
        {},
    ),
    Case(
        "or with a missing value",
        AP,
        lambda q: q.where(
            (item("placement_reason") == "PEX") | (item("sen_type_1") == "SEMH")
        ).count(),
        {(): (4,)},
    ),
    Case(
        "not with a missing value",
        AP,
        lambda q: q.where(~(item("sen_type_1") == "SEMH")).count(),
        {(): (2,)},
    ),
    Case(
        "boolean item",
        AP,
        lambda q: q.where(item("placement_reason_withheld") == YES).count(),
        {(): (1,)},
    ),
    Case(
        "year-month comparison",
        AP,
        lambda q: q.where(item("birth_year_month") >= "2004-01").count(),
        {(): (3,)},
    ),
    Case(
        "sum over several records per pupil",
        AP,
        lambda q: q.sum("year").mean("year"),
        {(): (2018 * 6, 2018.0)},
    ),
    Case(
        "mean by la",
        SC,
        lambda q: q.by("la").mean("sessions_absent"),
        {("201",): (40 / 3,), ("202",): (40.0,), ("873",): (52.5,)},
    ),
    Case(
        "sum by sex",
        SC,
        lambda q: q.by("sex").sum("sessions_absent"),
        {("F",): (60,), ("M",): (165,)},
    ),
    Case("median of a decimal", SC, lambda q: q.median("attainment8"), {(): (40.0,)}),
    Case(
        "median with an empty cell",
        SC,
        lambda q: q.by("la").median("attainment8"),
        {("201",): (45.25,), ("202",): (None,), ("873",): (30.25,)},
    ),
    Case(
        "proportion of a boolean",
        SC,
        lambda q: q.by("sen_provision").proportion(item("fsm") == YES),
        {("E",): (0.5,), ("K",): (2 / 3,), ("N",): (1 / 3,)},
    ),
    Case("decimal filter", SC, lambda q: q.where(item("attainment8") > 35).count(), {(): (2,)}),
    Case(
        "integer and boolean dimensions",
        SC,
        lambda q: q.by("year_group", "fsm").count(),
        {
            (7, False): (1,),
            (7, True): (1,),
            (8, True): (1,),
            (9, False): (1,),
            (10, False): (1,),
            (11, False): (1,),
            (11, True): (2,),
        },
    ),
    Case(
        "several measures",
        SC,
        lambda q: (
            q.where(item("la") != "873").count().sum("sessions_absent").median("sessions_absent")
        ),
        {(): (6, 120, 20.0)},
    ),
]


def _table(catalogue: Catalogue, name: str) -> Any:
    return store_table(catalogue.dataset(name), AP_ROWS if name == AP else SCHOOL_ROWS)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_spec(case: Case, engine_name: str, catalogue: Catalogue) -> None:
    query = case.build(dataset(case.dataset, catalogue)).build()
    context = RestrictionContext(allowed_items=None, excluded_tokens=case.excluded)
    result = run_on(engine_name, query, _table(catalogue, case.dataset), context=context)
    got = {cell.codes: tuple(v.value for v in cell.values) for cell in result.interior}
    assert set(got) == set(case.expected)
    for codes, values in case.expected.items():
        assert all(same_number(a, b) for a, b in zip(got[codes], values, strict=True)), codes
    assert not result.margins


def test_top_two_are_per_pupil_totals(engine_name: str, catalogue: Catalogue) -> None:
    query = dataset(AP, catalogue).sum("year").build()
    (cell,) = run_on(engine_name, query, _table(catalogue, AP)).cells
    assert (cell.values[0].top1, cell.values[0].top2) == (4036, 2018)  # pupil 2: two records
    assert cell.values[0].n_pupils == 5


def test_top_two_and_counts_of_a_magnitude(engine_name: str, catalogue: Catalogue) -> None:
    query = dataset(SC, catalogue).by("sex").sum("sessions_absent").build()
    result = run_on(engine_name, query, _table(catalogue, SC))
    girls, boys = result.cell("F").values[0], result.cell("M").values[0]
    assert (girls.top1, girls.top2, girls.n_pupils) == (30, 20, 3)  # pupil 14 has no value
    assert (boys.top1, boys.top2, boys.n_pupils) == (100, 60, 4)
    assert result.cell("F").n_pupils == 4


def test_a_lone_contributor_has_no_second(engine_name: str, catalogue: Catalogue) -> None:
    query = dataset(SC, catalogue).by("la").median("attainment8").build()
    result = run_on(engine_name, query, _table(catalogue, SC))
    assert (result.cell("873").values[0].top1, result.cell("873").values[0].top2) == (30.25, None)
    assert result.cell("202").values[0].n_pupils == 0


def test_proportion_numerator(engine_name: str, catalogue: Catalogue) -> None:
    query = dataset(AP, catalogue).by("la").proportion(item("placement_reason") == "PEX").build()
    result = run_on(engine_name, query, _table(catalogue, AP))
    value = result.cell("873").values[0]
    assert (value.numerator, value.n_pupils) == (1, 2)


def test_contributors(engine_name: str, catalogue: Catalogue) -> None:
    query = dataset(AP, catalogue).by("region").count().build()
    result = run_on(engine_name, query, _table(catalogue, AP))
    assert set(result.cell(LONDON).contributors) == {1, 2, 4, 5}
    assert set(result.cell(EAST).contributors) == {2, 3}
    assert set(result.contributors) == {1, 2, 3, 4, 5}


def test_margins_of_the_la_hierarchy(engine_name: str, catalogue: Catalogue) -> None:
    query = dataset(AP, catalogue).by("la").count().build()
    result = run_on(engine_name, query, _table(catalogue, AP), with_margins=True)
    margins = {(c.levels, c.codes): (c.n_pupils, set(c.contributors)) for c in result.margins}
    assert margins == {
        (("region",), (EAST,)): (2, {2, 3}),
        (("region",), (LONDON,)): (4, {1, 2, 4, 5}),
        (("england",), (ENGLAND,)): (5, {1, 2, 3, 4, 5}),  # pupil 2 once, not twice
    }
    assert [c.codes for c in result.interior] == [("201",), ("202",), ("873",)]


def test_margins_of_two_dimensions(engine_name: str, catalogue: Catalogue) -> None:
    query = dataset(SC, catalogue).by("sex", "fsm").count().sum("sessions_absent").build()
    result = run_on(engine_name, query, _table(catalogue, SC), with_margins=True)
    families = [c.levels for c in result.cells]
    assert families == sorted(
        families, key=[("sex", "fsm"), ("sex", None), (None, "fsm"), (None, None)].index
    )
    total = next(c for c in result.cells if c.levels == (None, None))
    assert total.codes == (None, None)
    assert (total.n_pupils, total.values[1].value, total.values[1].top1, total.values[1].top2) == (
        8,
        225,
        100,
        60,
    )
    girls = next(c for c in result.cells if c.levels == ("sex", None) and c.codes == ("F", None))
    assert (girls.n_pupils, girls.values[1].value) == (4, 60)
    fsm = next(c for c in result.cells if c.levels == (None, "fsm") and c.codes == (None, True))
    assert set(fsm.contributors) == {11, 13, 15, 17}


def test_margins_with_several_records_per_pupil_and_median(
    engine_name: str, catalogue: Catalogue
) -> None:
    query = dataset(AP, catalogue).by("sex", "region").count().median("year").build()
    result = run_on(engine_name, query, _table(catalogue, AP), with_margins=True)
    total = next(c for c in result.cells if c.levels == (None, "england"))
    assert (total.n_pupils, total.values[1].value, total.values[1].n_pupils) == (5, 2018.0, 5)
    boys_england = next(
        c for c in result.cells if c.levels == ("sex", "england") and c.codes[0] == "M"
    )
    assert boys_england.n_pupils == 2  # pupils 2 and 4; pupil 2 has records in two regions
