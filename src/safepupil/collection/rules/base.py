"""The pieces every rule module uses: a Rule, the Hits a check returns, and the
RecordContext that hands checks whole columns (and derived columns, computed once)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from safepupil.collection.model import ParsedReturn, ReturnHeader, Severity
from safepupil.domain.census_calendar import CensusPeriod, census_day, census_period

MONTHS_IN_YEAR = 12
ISO_DATE_LENGTH = 10  # YYYY-MM-DD
ISO_DATE_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9]
ISO_DATE_DASHES = [4, 7]
ZERO, NINE, DASH = ord("0"), ord("9"), ord("-")


@dataclass(frozen=True)
class Rule:
    """One validation rule: an id, a severity (as DfE COLLECT), what is wrong, what to do."""

    id: str
    severity: Severity
    title: str  # what is wrong, without pupil values
    action: str  # what the data officer should do

    @property
    def message(self) -> str:
        return f"{self.title}: {self.action}."


@dataclass(frozen=True)
class Hits:
    """The records one rule flags in one field. ``rows`` are 0-based row indices into
    the table; None means a single file-level finding. ``details`` (one per row) add
    record numbers or similar, never pupil values."""

    rule: Rule
    field: str | None
    rows: np.ndarray | None
    details: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ParsedDates:
    """A column of YYYY-MM-DD strings taken apart; components are 0 where not well-formed."""

    well_formed: np.ndarray  # bool
    year: np.ndarray  # int64
    month: np.ndarray
    day: np.ndarray
    days: np.ndarray  # datetime64[D]; only meaningful where well_formed


@dataclass(frozen=True)
class RecordContext:
    """A return's records as columns, with the census dates and policy values rules need."""

    header: ReturnHeader
    table: pa.Table
    census_day: dt.date
    period: CensusPeriod
    min_age: int
    max_age: int
    _columns: dict[str, pa.Array] = field(default_factory=dict, repr=False, compare=False)
    _dates: dict[str, ParsedDates] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, parsed: ParsedReturn, *, min_age: int, max_age: int) -> RecordContext:
        year = parsed.header.year
        return cls(
            header=parsed.header,
            table=parsed.records,
            census_day=census_day(year),
            period=census_period(year),
            min_age=min_age,
            max_age=max_age,
        )

    @property
    def rows(self) -> int:
        return int(self.table.num_rows)

    @cached_property
    def record_numbers(self) -> np.ndarray:
        return np.asarray(self.table.column("record_no").to_numpy(), dtype=np.int64)

    def column(self, name: str) -> pa.Array:
        """A record column as one contiguous array (combined once, then reused)."""
        if name not in self._columns:
            self._columns[name] = self.table.column(name).combine_chunks()
        return self._columns[name]

    def present(self, name: str) -> np.ndarray:
        """True where the item is given (not null)."""
        return as_mask(pc.is_valid(self.column(name)))

    def dates(self, name: str) -> ParsedDates:
        if name not in self._dates:
            self._dates[name] = parse_iso_dates(self.column(name))
        return self._dates[name]

    @cached_property
    def age_on_census_day(self) -> tuple[np.ndarray, np.ndarray]:
        """(age in whole years on census day, True where the DOB is a well-formed date)."""
        dob = self.dates("dob")
        day = self.census_day
        birthday_to_come = (dob.month > day.month) | (
            (dob.month == day.month) & (dob.day > day.day)
        )
        age = day.year - dob.year - birthday_to_come.astype(np.int64)
        return age, dob.well_formed


Check = Callable[[RecordContext], Iterable[Hits]]


def as_mask(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A numpy bool array from an Arrow boolean array; null counts as False."""
    filled = pc.fill_null(values, False)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)


def rows_where(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask)


def hits_where(rule: Rule, field_name: str | None, mask: np.ndarray) -> list[Hits]:
    """A Hits for the rows where ``mask`` holds, or nothing when none do."""
    rows = rows_where(mask)
    return [Hits(rule, field_name, rows)] if rows.size else []


def fixed_width_bytes(strings: pa.Array, width: int) -> np.ndarray:
    """Strings that are all ``width`` bytes long as an (n, width) uint8 matrix, read
    straight from the Arrow buffers."""
    if len(strings) == 0:
        return np.zeros((0, width), dtype=np.uint8)
    offsets_buffer, data_buffer = strings.buffers()[1], strings.buffers()[2]
    first = strings.offset
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[first : first + len(strings) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data.reshape(len(strings), width)


def _digits_value(matrix: np.ndarray, columns: slice) -> np.ndarray:
    value = np.zeros(len(matrix), dtype=np.int64)
    for column in range(columns.start, columns.stop):
        value = value * 10 + (matrix[:, column].astype(np.int64) - ZERO)
    return value


def parse_iso_dates(column: pa.Array) -> ParsedDates:
    """Take YYYY-MM-DD strings apart, vectorised over their bytes; real calendar dates
    only (no 30 February, no year 0), as ``datetime.date.fromisoformat`` would accept."""
    n = len(column)
    candidate = as_mask(pc.equal(pc.binary_length(column), ISO_DATE_LENGTH))
    year, month, day = (np.zeros(n, dtype=np.int64) for _ in range(3))
    shaped = np.zeros(n, dtype=bool)
    if candidate.any():
        chars = fixed_width_bytes(column.filter(pa.array(candidate)), ISO_DATE_LENGTH)
        digits = chars[:, ISO_DATE_DIGITS]
        shaped[candidate] = ((digits >= ZERO) & (digits <= NINE)).all(axis=1) & (
            chars[:, ISO_DATE_DASHES] == DASH
        ).all(axis=1)
        year[candidate] = _digits_value(chars, slice(0, 4))
        month[candidate] = _digits_value(chars, slice(5, 7))
        day[candidate] = _digits_value(chars, slice(8, 10))
    in_range = shaped & (year >= 1) & (month >= 1) & (month <= MONTHS_IN_YEAR) & (day >= 1)
    safe_year, safe_month = np.where(in_range, year, 1970), np.where(in_range, month, 1)
    safe_day = np.where(in_range, day, 1)
    first_of_month = ((safe_year - 1970) * MONTHS_IN_YEAR + safe_month - 1).astype("datetime64[M]")
    days = first_of_month.astype("datetime64[D]") + (safe_day - 1)
    well_formed = in_range & (days.astype("datetime64[M]") == first_of_month)
    zero = np.int64(0)
    return ParsedDates(
        well_formed=well_formed,
        year=np.where(well_formed, year, zero),
        month=np.where(well_formed, month, zero),
        day=np.where(well_formed, day, zero),
        days=days,
    )


def day_number(day: dt.date) -> np.datetime64:
    return np.datetime64(day.isoformat(), "D")
