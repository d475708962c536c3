"""The Python builder and restricted SQL compile to equal model objects."""

from __future__ import annotations

import datetime as dt

import pytest

from safepupil.errors import QueryError
from safepupil.query.builder import QueryBuilder, age_on, dataset, item
from safepupil.query.model import Query
from safepupil.query.nodes import And, Compare, Count, InSet
from safepupil.query.sql import parse_sql
from safepupil.store.catalogue import Catalogue

AP = "ap_census_2018"
YES = True  # item("fsm") == YES reads as the DSL; a literal True trips E712
SC = "school_census_2018"

PAIRS = [
    (
        "SELECT la, sen_type_1, COUNT(*) FROM ap_census_2018 "
        "WHERE sex = 'F' AND placement_reason IN ('PEX','SUS') GROUP BY la, sen_type_1",
        lambda c: (
            dataset(AP, c)
            .where(item("sex") == "F", item("placement_reason").isin(["PEX", "SUS"]))
            .by("la", "sen_type_1")
            .count()
        ),
    ),
    (
        "SELECT la, COUNT(DISTINCT pupil_token) FROM ap_census_2018 GROUP BY la",
        lambda c: dataset(AP, c).by("la").count(),
    ),
    (
        "select sex, avg(sessions_absent), sum(sessions_absent), median(attainment8) "
        "from school_census_2018 group by sex",
        lambda c: (
            dataset(SC, c)
            .by("sex")
            .mean("sessions_absent")
            .sum("sessions_absent")
            .median("attainment8")
        ),
    ),
    (
        "SELECT region, PROPORTION(fsm = TRUE) FROM school_census_2018"
        " WHERE year_group >= 7 GROUP BY region",
        lambda c: (
            dataset(SC, c)
            .where(item("year_group") >= 7)
            .by("region")
            .proportion(item("fsm") == YES)
        ),
    ),
    (
        "SELECT COUNT(*) FROM ap_census_2018"
        " WHERE placement_start BETWEEN DATE '2017-09-01' AND '2017-12-31'",
        lambda c: (
            dataset(AP, c)
            .where(item("placement_start").between(dt.date(2017, 9, 1), dt.date(2017, 12, 31)))
            .count()
        ),
    ),
    (
        "SELECT COUNT(*) FROM ap_census_2018"
        " WHERE AGE_ON(DATE '2018-01-18') >= 14 AND 16 > age_on('2018-01-18')",
        lambda c: (
            dataset(AP, c)
            .where(age_on(dt.date(2018, 1, 18)) >= 14, age_on(dt.date(2018, 1, 18)) < 16)
            .count()
        ),
    ),
    (
        "SELECT COUNT(*) FROM ap_census_2018"
        " WHERE placement_end IS NULL OR NOT (sen_type_1 IS NOT NULL)",
        lambda c: (
            dataset(AP, c)
            .where(item("placement_end").is_null() | ~item("sen_type_1").is_not_null())
            .count()
        ),
    ),
    (
        "SELECT COUNT(*) FROM ap_census_2018"
        " WHERE placement_reason NOT IN ('PEX') AND sex <> 'M' AND 2017 < year",
        lambda c: (
            dataset(AP, c)
            .where(~item("placement_reason").isin(["PEX"]), item("sex") != "M", item("year") > 2017)
            .count()
        ),
    ),
    (
        "SELECT COUNT(*) FROM school_census_2018"
        " WHERE attainment8 BETWEEN 20 AND 40.5 AND sessions_absent > -1",
        lambda c: (
            dataset(SC, c)
            .where(
                (item("attainment8") >= 20) & (item("attainment8") <= 40.5),
                item("sessions_absent") > -1,
            )
            .count()
        ),
    ),
    (
        'SELECT "broad_need", AGE_BAND, count(*)'
        " FROM SCHOOL_CENSUS_2018 GROUP BY age_band, broad_need",
        lambda c: dataset(SC, c).by("broad_need", "age_band").count(),
    ),
    (
        "SELECT COUNT(*) FROM ap_census_2018 WHERE (sex = 'F' AND (la = '201' AND year = 2018))",
        lambda c: (
            dataset(AP, c)
            .where(item("sex") == "F")
            .where(item("la") == "201", item("year") == 2018)
            .count()
        ),
    ),
]


@pytest.mark.parametrize(("sql", "build"), PAIRS, ids=[p[0][:60] for p in PAIRS])
def test_both_front_ends_make_the_same_query(catalogue: Catalogue, sql: str, build: object) -> None:
    from_sql = parse_sql(sql, catalogue)
    from_python = build(catalogue).build()  # type: ignore[operator]
    assert isinstance(from_sql, Query)
    assert from_sql == from_python


def test_builder_steps_are_immutable(catalogue: Catalogue) -> None:
    base = dataset(AP, catalogue).where(item("sex") == "F")
    by_la, by_region = base.by("la").count(), base.by("region").count()
    assert base.dimensions == () and base.measures == ()
    assert by_la.build().dimensions == ("la",) and by_region.build().dimensions == ("region",)


def test_builder_makes_model_nodes(catalogue: Catalogue) -> None:
    query = (
        dataset(AP, catalogue)
        .where((item("sex") == "F") & item("la").isin(["201"]))
        .count()
        .build()
    )
    assert query.filters == (Compare("sex", "=", "F"), InSet("la", frozenset({"201"})))
    assert query.measures == (Count(),)
    assert isinstance(item("sex") == "F", Compare)
    assert isinstance((item("sex") == "F") & (item("la") == "201"), And)


def test_builder_fails_early_on_a_misspelt_dataset(catalogue: Catalogue) -> None:
    with pytest.raises(QueryError, match="did you mean ap_census_2018"):
        dataset("ap_census", catalogue)


def test_builder_checks_on_build(catalogue: Catalogue) -> None:
    half: QueryBuilder = dataset(AP, catalogue).by("pupil_token")
    with pytest.raises(QueryError, match="pupil_token"):
        half.count().build()


def test_item_references_cannot_be_hashed() -> None:
    with pytest.raises(TypeError):
        hash(item("sex"))
