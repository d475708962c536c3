"""Date rules: boundary tables for age, placement order and the census period, and
the vectorised date parsing and age compared with the domain's own functions."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safepupil.collection.rules.base import parse_iso_dates
from safepupil.domain.census_calendar import age_on
from tests.collection.conftest import findings_of, pupil, rule_ids

# Census day 2018-01-18; the 2018 census period is 2017-01-20 .. 2018-01-18.


@pytest.mark.parametrize(
    ("dob", "age", "flagged"),
    [
        ("2014-01-18", 4, False),  # 4th birthday on census day
        ("2013-01-19", 4, False),  # 5 tomorrow
        ("2014-01-19", 3, True),  # 4 tomorrow
        ("1998-01-19", 19, False),  # 20 tomorrow
        ("1998-01-18", 20, True),  # 20th birthday on census day
        ("2017-06-01", 0, True),
        ("2019-01-01", -1, True),  # born after census day
        ("2000-02-29", 17, False),  # leap-day birthday
    ],
)
def test_age_on_census_day_boundaries(dob: str, age: int, flagged: bool) -> None:
    born = dt.date.fromisoformat(dob)
    assert age_on(born.year, born.month, born.day, dt.date(2018, 1, 18)) == age
    assert ("AP-AGE-01" in rule_ids(findings_of([pupil(1, dob=dob, uln=None)]))) is flagged


@pytest.mark.parametrize(
    ("min_age", "max_age", "dob", "flagged"),
    [
        (5, 19, "2013-01-19", True),  # 4 is now too young
        (5, 19, "2013-01-18", False),
        (4, 18, "1999-01-18", True),  # 19 is now too old
        (4, 18, "1999-01-19", False),
    ],
)
def test_age_range_comes_from_the_settings(
    min_age: int, max_age: int, dob: str, flagged: bool
) -> None:
    findings = findings_of([pupil(1, dob=dob, uln=None)], min_age=min_age, max_age=max_age)
    assert ("AP-AGE-01" in rule_ids(findings)) is flagged


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2016-09-01", "2017-01-19", {"AP-PLC-02"}),  # ended the day before the period
        ("2016-09-01", "2017-01-20", set()),  # ended on its first day
        ("2018-01-18", None, set()),  # began on census day
        ("2018-01-19", None, {"AP-PLC-02"}),  # began the day after
        ("2017-09-04", "2017-09-04", set()),  # one-day placement
        ("2017-09-04", "2017-09-03", {"AP-PLC-01"}),  # ends before it starts
        ("2015-01-01", "2019-01-01", set()),  # spans the whole period
        ("2018-02-01", "2018-01-01", {"AP-PLC-01", "AP-PLC-02"}),
    ],
)
def test_placement_dates_boundaries(start: str, end: str | None, expected: set[str]) -> None:
    findings = findings_of([pupil(1, placement_start=start, placement_end=end)])
    assert rule_ids(findings) == expected


def test_placement_outside_period_names_the_date_at_fault() -> None:
    findings = findings_of(
        [
            pupil(1, placement_start="2016-01-01", placement_end="2016-12-01"),
            pupil(2, placement_start="2018-03-01"),
        ]
    )
    assert [(f.record, f.field) for f in findings] == [(1, "placement_end"), (2, "placement_start")]


@pytest.mark.parametrize(
    ("value", "well_formed"),
    [
        ("2018-01-18", True),
        ("2016-02-29", True),
        ("2017-02-29", False),
        ("2018-02-30", False),
        ("2018-04-31", False),
        ("2018-13-01", False),
        ("2018-00-10", False),
        ("2018-01-00", False),
        ("0000-01-01", False),
        ("2018-1-18", False),
        ("18-01-2018", False),
        ("2018/01/18", False),
        ("20180118", False),
        ("2018-01-18T00:00", False),
        ("２０１８-01-18", False),  # full-width digits
    ],
)
def test_date_format_boundaries(value: str, well_formed: bool) -> None:
    for field in ("dob", "placement_start", "placement_end"):
        findings = findings_of([pupil(1, **{field: value})])
        assert (("AP-DAT-01", field) in {(f.rule_id, f.field) for f in findings}) is not well_formed


def _python_date(text: str) -> dt.date | None:
    if len(text) != 10 or not all(c.isascii() for c in text):
        return None
    try:
        return dt.date.fromisoformat(text) if text[4] == "-" and text[7] == "-" else None
    except ValueError:
        return None


DATE_LIKE = st.one_of(
    st.dates().map(dt.date.isoformat),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),
    st.text(alphabet="0123456789-/T ", max_size=12),
)


@settings(deadline=None)  # the first call pays for loading codesets and LAs
@given(st.lists(st.one_of(st.none(), DATE_LIKE), max_size=30))
def test_vectorised_dates_agree_with_python(values: list[str | None]) -> None:
    parsed = parse_iso_dates(pa.array(values, pa.string()))
    for index, value in enumerate(values):
        expected = _python_date(value) if value is not None else None
        assert bool(parsed.well_formed[index]) is (expected is not None)
        if expected is not None:
            assert str(parsed.days[index]) == expected.isoformat()
            assert (parsed.year[index], parsed.month[index], parsed.day[index]) == (
                expected.year,
                expected.month,
                expected.day,
            )


@settings(deadline=None)  # the first call pays for loading codesets and LAs
@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2020, 12, 31)))
def test_vectorised_age_agrees_with_the_domain(born: dt.date) -> None:
    too_young_or_old = not 4 <= age_on(born.year, born.month, born.day, dt.date(2018, 1, 18)) <= 19
    findings = findings_of([pupil(1, dob=born.isoformat(), uln=None)])
    assert ("AP-AGE-01" in rule_ids(findings)) is too_young_or_old
