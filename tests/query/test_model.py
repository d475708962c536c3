"""The query model: an invalid query cannot be constructed, and each refusal says why."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from safepupil.errors import QueryError
from safepupil.query.model import MAX_DIMENSIONS, MAX_FILTER_DEPTH, Query
from safepupil.query.nodes import (
    AgeOn,
    And,
    Compare,
    Count,
    DateRange,
    InSet,
    IsNull,
    Mean,
    Median,
    Not,
    Or,
    Proportion,
    Sum,
)
from safepupil.store.catalogue import Catalogue, catalogue_from_toml, load_catalogue
from tests.store.test_catalogue import shipped_text

AP = "ap_census_2018"
SC = "school_census_2018"


def make(
    catalogue: Catalogue,
    dataset: str = AP,
    filters: Any = (),
    dimensions: Any = (),
    measures: Any = (Count(),),
) -> Query:
    return Query(dataset, filters, dimensions, measures, catalogue=catalogue)


def test_a_valid_query(catalogue: Catalogue) -> None:
    query = make(
        catalogue,
        filters=(Compare("sex", "=", "F"), InSet("placement_reason", {"PEX", "SUS"})),
        dimensions=("la", "sen_type_1"),
    )
    assert query.dimensions == ("la", "sen_type_1")
    assert query.spec.name == AP


REFUSED = [
    ("unknown dataset", {"dataset": "ap_census_2019"}, "no dataset 'ap_census_2019'"),
    ("unknown item", {"filters": (Compare("sexx", "=", "F"),)}, "no item 'sexx'"),
    (
        "item of another dataset",
        {"measures": (Sum("sessions_absent"),)},
        "no item 'sessions_absent' in dataset ap_census_2018",
    ),
    ("code not in codeset", {"filters": (Compare("sex", "=", "X"),)}, "X not a valid code of sex"),
    (
        "set with an unknown code",
        {"filters": (InSet("placement_reason", {"PEX", "ZZZ"}),)},
        "ZZZ not a valid code",
    ),
    (
        "code not valid on the census date",
        {"filters": (InSet("sen_provision", {"A"}),)},
        "on 2018-01-18",
    ),
    ("unknown LA", {"filters": (Compare("la", "=", "999"),)}, "999 not a valid code of la"),
    (
        "wrong literal type",
        {"filters": (Compare("year", "=", "2018"),)},
        "year is of type integer and cannot be compared with '2018'",
    ),
    (
        "boolean for a number",
        {"filters": (Compare("year", "=", True),)},
        "cannot be compared with True",
    ),
    (
        "number for a boolean",
        {"filters": (Compare("placement_reason_withheld", "=", 1),)},
        "cannot be compared with 1",
    ),
    (
        "text for a date",
        {"filters": (Compare("placement_start", ">", "2017-09-01"),)},
        "placement_start is of type date",
    ),
    (
        "bad year-month",
        {"filters": (Compare("birth_year_month", "<", "2004-13"),)},
        "birth_year_month is of type year_month",
    ),
    ("ordering a code", {"filters": (Compare("sex", "<", "F"),)}, "compare it with = or != only"),
    (
        "date range on a code",
        {"filters": (DateRange("sex", dt.date(2017, 1, 1)),)},
        "a date range needs a date item",
    ),
    (
        "code list on a date",
        {"filters": (InSet("placement_start", {"x"}),)},
        "a list of codes needs a code item",
    ),
    ("measure on a code item", {"measures": (Mean("sex"),)}, "sex is of type code, not a number"),
    ("measure on a boolean", {"measures": (Sum("placement_reason_withheld"),)}, "not a number"),
    (
        "token as a dimension",
        {"dimensions": ("pupil_token",)},
        "pupil_token in dataset ap_census_2018 links records",
    ),
    (
        "token in a filter",
        {"filters": (Compare("pupil_token", "=", "ab12"),)},
        "pupil_token in dataset",
    ),
    ("token in a null test", {"filters": (Not(IsNull("pupil_token")),)}, "pupil_token in dataset"),
    (
        "token in a proportion",
        {"measures": (Proportion(IsNull("pupil_token")),)},
        "pupil_token in dataset",
    ),
    ("token in a median", {"measures": (Median("pupil_token"),)}, "pupil_token in dataset"),
    ("date as a dimension", {"dimensions": ("placement_start",)}, "cannot be a dimension"),
    ("unknown dimension", {"dimensions": ("regon",)}, "did you mean region"),
    ("duplicate dimensions", {"dimensions": ("sex", "sex")}, "dimension named twice: sex"),
    ("two levels of one hierarchy", {"dimensions": ("la", "region")}, "levels of one hierarchy"),
    (
        "too many dimensions",
        {"dimensions": ("sex", "ethnicity", "sen_provision", "sen_type_1", "sen_type_2", "urn")},
        f"at most {MAX_DIMENSIONS} dimensions",
    ),
    ("no measure", {"measures": ()}, "at least one measure"),
    ("duplicate measures", {"measures": (Count(), Count())}, "measure asked for twice: count"),
    ("dimension given as a string", {"dimensions": "la"}, "dimensions must be a list"),
    ("not a measure", {"measures": (Compare("sex", "=", "F"),)}, "expected a measure"),
    ("not a filter", {"filters": (Count(),)}, "expected a condition"),
]


@pytest.mark.parametrize(
    ("fields", "message"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_invalid_queries_cannot_be_built(
    catalogue: Catalogue, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(QueryError) as refused:
        make(catalogue, **fields)
    assert message in str(refused.value)


NODES_REFUSED = [
    ("unknown operator", lambda: Compare("sex", "==", "F"), "unknown comparison '=='"),
    ("empty item name", lambda: Compare("", "=", "F"), "non-empty string"),
    ("non-finite number", lambda: Compare("year", ">", float("nan")), "finite"),
    ("list as a value", lambda: Compare("sex", "=", ["F"]), "a literal must be"),
    (
        "datetime for a date",
        lambda: DateRange("placement_start", dt.datetime(2017, 1, 1)),
        "bounds must be dates",
    ),
    ("empty code set", lambda: InSet("sex", set()), "non-empty list"),
    ("one string as codes", lambda: InSet("sex", "MF"), "not one string"),
    ("open date range", lambda: DateRange("placement_start"), "needs a start or an end"),
    (
        "backwards date range",
        lambda: DateRange("placement_start", dt.date(2018, 1, 1), dt.date(2017, 1, 1)),
        "starts after it ends",
    ),
    ("negative age", lambda: AgeOn(dt.date(2018, 1, 1), ">", -1), "whole number of years"),
    ("fractional age", lambda: AgeOn(dt.date(2018, 1, 1), ">", 11.5), "whole number of years"),
    ("one-term and", lambda: And((IsNull("sex"),)), "at least two conditions"),
]


@pytest.mark.parametrize(
    ("build", "message"), [r[1:] for r in NODES_REFUSED], ids=[r[0] for r in NODES_REFUSED]
)
def test_invalid_nodes_cannot_be_built(build: Any, message: str) -> None:
    with pytest.raises(QueryError) as refused:
        build()
    assert message in str(refused.value)


def test_the_catalogue_is_required(catalogue: Catalogue) -> None:
    with pytest.raises(TypeError):
        Query(AP, (), (), (Count(),))  # type: ignore[call-arg]
    with pytest.raises(QueryError, match="checked against a catalogue"):
        Query(AP, (), (), (Count(),), catalogue="catalogue")  # type: ignore[arg-type]


def test_replace_checks_again(catalogue: Catalogue) -> None:
    query = make(catalogue)
    with pytest.raises(QueryError, match="pupil_token"):
        dataclasses.replace(query, dimensions=("pupil_token",))


def test_deep_nesting_is_refused(catalogue: Catalogue) -> None:
    condition: Any = IsNull("sex")
    for _ in range(MAX_FILTER_DEPTH + 1):
        condition = Not(condition)
    with pytest.raises(QueryError, match="nested more than"):
        make(catalogue, filters=(condition,))


def test_one_shape_for_one_meaning(catalogue: Catalogue) -> None:
    a, b, c = Compare("sex", "=", "F"), IsNull("placement_end"), InSet("la", ["201"])
    assert make(catalogue, filters=(a & (b & c),)) == make(catalogue, filters=(a, b, c))
    assert Or((a, Or((b, c)))) == Or((a, b, c))
    assert InSet("la", ["201", "202"]) == InSet("la", ("202", "201", "201"))


def test_equality_and_hash_ignore_the_catalogue(catalogue: Catalogue) -> None:
    other = catalogue_from_toml(shipped_text())
    assert other is not load_catalogue()
    assert make(catalogue) == make(other) and hash(make(catalogue)) == hash(make(other))
    assert "catalogue" not in repr(make(catalogue))


def test_items_used_names_sources_of_derived_dimensions(catalogue: Catalogue) -> None:
    query = make(
        catalogue,
        filters=(AgeOn(dt.date(2018, 1, 18), ">=", 11),),
        dimensions=("region", "broad_need"),
        measures=(Count(), Proportion(Compare("placement_reason", "=", "PEX"))),
    )
    assert query.items_used() == {"birth_year_month", "la", "sen_type_1", "placement_reason"}
    assert "pupil_token" not in query.items_used()


def test_labels(catalogue: Catalogue) -> None:
    query = make(
        catalogue,
        dataset=SC,
        measures=(
            Count(),
            Sum("sessions_absent"),
            Mean("attainment8"),
            Median("year_group"),
            Proportion(InSet("sen_provision", ["E", "K"]) & ~(Compare("fsm", "=", True))),
        ),
    )
    assert [m.label for m in query.measures] == [
        "count",
        "sum(sessions_absent)",
        "mean(attainment8)",
        "median(year_group)",
        "proportion(sen_provision in (E, K) and not fsm = True)",
    ]
