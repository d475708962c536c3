"""Hypothesis strategies: valid queries on the shipped catalogue, and store-shaped data."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from safepupil.query.model import Query
from safepupil.query.nodes import (
    OPERATORS,
    AgeOn,
    And,
    Compare,
    Count,
    DateRange,
    Filter,
    InSet,
    IsNull,
    Mean,
    Measure,
    Median,
    Not,
    Or,
    Proportion,
    Sum,
)
from safepupil.store.catalogue import Catalogue

AP = "ap_census_2018"
SC = "school_census_2018"
LAS = ["201", "202", "873"]
EQUALITY = ["=", "!="]
YEAR_MONTHS = ["2001-10", "2002-09", "2003-11", "2004-03", "2006-01", "2008-05"]
DATES_START = dt.date(2016, 9, 1)
DATES = st.dates(DATES_START, dt.date(2018, 3, 1))
ORDERED = st.sampled_from(OPERATORS)

_CODES = {
    "sex": ["M", "F", "U"],
    "la": LAS,
    "sen_provision": ["N", "K", "E"],
    "sen_type_1": ["ASD", "SEMH", "MLD"],
    "placement_reason": ["PEX", "SUS", "NSP", "PRG"],
}


def _code_filters(items: list[str]) -> st.SearchStrategy[Filter]:
    def compare(name: str) -> st.SearchStrategy[Filter]:
        return st.builds(
            Compare, st.just(name), st.sampled_from(EQUALITY), st.sampled_from(_CODES[name])
        )

    def in_set(name: str) -> st.SearchStrategy[Filter]:
        codes = st.frozensets(st.sampled_from(_CODES[name]), min_size=1, max_size=3)
        return st.builds(InSet, st.just(name), codes)

    return st.one_of(*(compare(n) for n in items), *(in_set(n) for n in items))


def _leaves(name: str) -> st.SearchStrategy[Filter]:
    common = [
        _code_filters(["sex", "la", "sen_type_1"]),
        st.builds(IsNull, st.sampled_from(["sen_type_1", "birth_year_month"])),
        st.builds(AgeOn, DATES, ORDERED, st.integers(8, 16)),
        st.builds(Compare, st.just("birth_year_month"), ORDERED, st.sampled_from(YEAR_MONTHS)),
    ]
    if name == AP:
        return st.one_of(
            *common,
            _code_filters(["placement_reason"]),
            st.builds(DateRange, st.just("placement_start"), DATES, st.none()),
            st.builds(DateRange, st.just("placement_end"), st.none(), DATES),
            st.lists(DATES, min_size=2, max_size=2).map(
                lambda pair: DateRange("placement_start", min(pair), max(pair))
            ),
            st.builds(Compare, st.just("placement_end"), ORDERED, DATES),
            st.builds(IsNull, st.sampled_from(["placement_end", "placement_reason"])),
            st.builds(
                Compare,
                st.just("placement_reason_withheld"),
                st.sampled_from(EQUALITY),
                st.booleans(),
            ),
        )
    return st.one_of(
        *common,
        _code_filters(["sen_provision"]),
        st.builds(Compare, st.just("sessions_absent"), ORDERED, st.integers(0, 120)),
        st.builds(
            Compare, st.just("attainment8"), ORDERED, st.sampled_from([20, 35.5, 40.25, 40.1])
        ),
        st.builds(Compare, st.just("fsm"), st.sampled_from(EQUALITY), st.booleans()),
        st.builds(IsNull, st.sampled_from(["attainment8", "sessions_absent", "fsm"])),
    )


def filters(name: str) -> st.SearchStrategy[Filter]:
    def extend(inner: st.SearchStrategy[Filter]) -> st.SearchStrategy[Filter]:
        pairs = st.lists(inner, min_size=2, max_size=3).map(tuple)
        return st.one_of(pairs.map(And), pairs.map(Or), inner.map(Not))

    return st.recursive(_leaves(name), extend, max_leaves=5)


_DIMENSIONS = {
    AP: ["la", "region", "england", "sex", "sen_type_1", "broad_need", "age_band", "age",
         "placement_reason", "placement_reason_withheld"],
    SC: ["la", "region", "sex", "fsm", "year_group", "sen_provision", "broad_need", "age_band"],
}  # fmt: skip
_NUMBERS = {AP: ["year"], SC: ["sessions_absent", "attainment8", "sessions_possible"]}


def measures(name: str) -> st.SearchStrategy[Measure]:
    numbers = st.sampled_from(_NUMBERS[name])
    return st.one_of(
        st.just(Count()),
        st.builds(Sum, numbers),
        st.builds(Mean, numbers),
        st.builds(Median, numbers),
        st.builds(Proportion, filters(name)),
    )


@st.composite
def queries(draw: st.DrawFn, catalogue: Catalogue, name: str | None = None) -> Query:
    chosen = name or draw(st.sampled_from([AP, SC]))
    dimensions = draw(st.lists(st.sampled_from(_DIMENSIONS[chosen]), max_size=3, unique=True))
    geography = [d for d in dimensions if d in ("la", "region", "england")]
    dimensions = [d for d in dimensions if d not in geography[1:]]  # one level of the hierarchy
    picked = draw(st.lists(measures(chosen), min_size=1, max_size=3, unique_by=lambda m: m.label))
    where = draw(st.lists(filters(chosen), max_size=1))
    return Query(chosen, tuple(where), tuple(dimensions), tuple(picked), catalogue=catalogue)


# Data come from one drawn Random: drawing every value through hypothesis costs more than
# running both engines, and the queries (drawn item by item) carry the shrinking.
_DAYS = [DATES_START + dt.timedelta(days=n) for n in range(0, 550, 9)]


def _maybe(rng: random.Random, values: Sequence[Any]) -> Any:
    """A value, missing one time in five."""
    return None if rng.random() < 0.2 else rng.choice(values)


@st.composite
def ap_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    rng = draw(st.randoms(use_true_random=False))
    rows = []
    for pupil in range(draw(st.integers(2, 12))):
        for _ in range(rng.choice([1, 1, 2, 3])):
            rows.append(
                {
                    "pupil_id": pupil * 7 + 3,
                    "pupil_token": f"t{pupil}",
                    "la": _maybe(rng, LAS),
                    "year": _maybe(rng, [2017, 2018]),
                    "sex": _maybe(rng, _CODES["sex"]),
                    "sen_type_1": _maybe(rng, _CODES["sen_type_1"]),
                    "birth_year_month": _maybe(rng, YEAR_MONTHS),
                    "placement_reason": _maybe(rng, _CODES["placement_reason"]),
                    "placement_reason_withheld": _maybe(rng, [True, False]),
                    "placement_start": _maybe(rng, _DAYS),
                    "placement_end": _maybe(rng, _DAYS),
                }
            )
    return rows


@st.composite
def school_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    rng = draw(st.randoms(use_true_random=False))
    return [
        {
            "pupil_id": pupil * 5 + 1,
            "pupil_token": f"s{pupil}",
            "la": _maybe(rng, LAS),
            "sex": _maybe(rng, _CODES["sex"]),
            "sen_provision": _maybe(rng, _CODES["sen_provision"]),
            "sen_type_1": _maybe(rng, _CODES["sen_type_1"]),
            "birth_year_month": _maybe(rng, YEAR_MONTHS),
            "fsm": _maybe(rng, [True, False]),
            "year_group": rng.randint(7, 11),
            "sessions_possible": rng.randint(100, 120),
            "sessions_absent": _maybe(rng, range(121)),
            # mostly quarters (exact in float32 and in any order of addition), and one
            # value float32 cannot hold, to pin how a float32 column meets a literal
            "attainment8": _maybe(rng, [*(q / 4 for q in range(361)), *[40.1] * 40]),
        }
        for pupil in range(draw(st.integers(3, 15)))
    ]
