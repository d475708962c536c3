"""Census dates: census day is the third Thursday of January; the AP census period
runs from the day after the previous census day through census day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

THURSDAY = 3  # date.weekday(): Monday is 0


def census_day(year: int) -> dt.date:
    """The third Thursday of January of ``year`` (2018 -> 2018-01-18)."""
    first = dt.date(year, 1, 1)
    first_thursday = first + dt.timedelta(days=(THURSDAY - first.weekday()) % 7)
    return first_thursday + dt.timedelta(weeks=2)


@dataclass(frozen=True)
class CensusPeriod:
    start: dt.date  # inclusive
    end: dt.date  # inclusive: census day

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end

    def overlaps(self, start: dt.date, end: dt.date | None) -> bool:
        """True when a placement from ``start`` to ``end`` (None = ongoing) touches the period."""
        return start <= self.end and (end is None or end >= self.start)


def census_period(year: int) -> CensusPeriod:
    """The AP census period for the census of January ``year`` (2018: 2017-01-20..2018-01-18)."""
    return CensusPeriod(
        start=census_day(year - 1) + dt.timedelta(days=1),
        end=census_day(year),
    )


def age_on(birth_year: int, birth_month: int, birth_day: int, on: dt.date) -> int:
    """Age in whole years on ``on``."""
    had_birthday = (on.month, on.day) >= (birth_month, birth_day)
    return on.year - birth_year - (0 if had_birthday else 1)
