import datetime as dt

import pytest

from safepupil.domain.census_calendar import age_on, census_day, census_period


@pytest.mark.parametrize(
    ("year", "day"),
    [
        (2017, dt.date(2017, 1, 19)),
        (2018, dt.date(2018, 1, 18)),
        (2019, dt.date(2019, 1, 17)),
        (2015, dt.date(2015, 1, 15)),
        (2026, dt.date(2026, 1, 15)),
        (2021, dt.date(2021, 1, 21)),
    ],
)
def test_census_day_is_third_thursday(year: int, day: dt.date) -> None:
    assert census_day(year) == day
    assert day.weekday() == 3 and 15 <= day.day <= 21


def test_2018_period_is_364_days() -> None:
    period = census_period(2018)
    assert (period.start, period.end, period.days) == (
        dt.date(2017, 1, 20),
        dt.date(2018, 1, 18),
        364,
    )


@pytest.mark.parametrize(
    ("start", "end", "overlaps"),
    [
        (dt.date(2017, 1, 1), dt.date(2017, 1, 19), False),  # ends on the previous census day
        (dt.date(2017, 1, 1), dt.date(2017, 1, 20), True),  # ends on the first day of the period
        (dt.date(2018, 1, 18), None, True),  # starts on census day, ongoing
        (dt.date(2018, 1, 19), None, False),  # starts the day after census day
        (dt.date(2016, 5, 1), None, True),  # long ongoing placement
        (dt.date(2017, 6, 1), dt.date(2017, 7, 1), True),  # left AP during the period
    ],
)
def test_placement_overlap_boundaries(start: dt.date, end: dt.date | None, overlaps: bool) -> None:
    assert census_period(2018).overlaps(start, end) is overlaps


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        ((2003, 1, 18), dt.date(2018, 1, 18), 15),
        ((2003, 1, 19), dt.date(2018, 1, 18), 14),
        ((2002, 2, 28), dt.date(2018, 1, 18), 15),
    ],
)
def test_age_on(birth: tuple[int, int, int], on: dt.date, age: int) -> None:
    assert age_on(*birth, on) == age
