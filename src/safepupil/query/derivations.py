"""What derived dimensions and ages mean, defined once for every engine.

The reference engine calls these functions row by row; the DuckDB engine binds the
same look-up tables and thresholds as parameters, and the spec tests hold them equal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

from safepupil.domain.codesets import codeset
from safepupil.domain.local_authorities import local_authorities_on
from safepupil.errors import InternalError
from safepupil.store.catalogue import Dataset, DerivedDimension

ENGLAND = "England"  # the single code of the top of the LA hierarchy
MONTHS_PER_YEAR = 12


def month_number(year: int, month: int) -> int:
    """Months since year 0: the difference of two month numbers is an age in months."""
    return year * MONTHS_PER_YEAR + (month - 1)


def birth_month_number(birth_year_month: str) -> int:
    return month_number(int(birth_year_month[:4]), int(birth_year_month[5:7]))


def age_in_years(birth_year_month: str, on: dt.date) -> int:
    """Whole years from the birth month to the month of ``on`` (see nodes.AgeOn)."""
    return (month_number(on.year, on.month) - birth_month_number(birth_year_month)) // 12


@dataclass(frozen=True)
class AgeBands:
    """Bands of whole years from each start up to the next; the last is open."""

    starts: tuple[int, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        ends = [s - 1 for s in self.starts[1:]]
        closed = [f"{start}-{end}" for start, end in zip(self.starts, ends, strict=False)]
        return (*closed, f"{self.starts[-1]}+")

    def label_of(self, age: int) -> str | None:
        """The band holding ``age``, or None below the first band."""
        chosen = None
        for start, label in zip(self.starts, self.labels, strict=True):
            if age >= start:
                chosen = label
        return chosen


@cache
def region_lookup(dataset: Dataset) -> Mapping[str, str]:
    """LA code -> region, for the LAs that existed on the dataset's reference date."""
    las = local_authorities_on(dataset.reference_date)
    return MappingProxyType({la.code: la.region for la in las})


@cache
def code_group_lookup(dataset: Dataset, derived: DerivedDimension) -> Mapping[str, str]:
    """Code -> group, e.g. SEN type -> broad area of need."""
    name = dataset.item(derived.source).codeset
    if name is None or derived.attribute is None:
        raise InternalError(f"{derived.name} is not a code grouping")
    return MappingProxyType({c.code: c.attribute(derived.attribute) for c in codeset(name)})


def derived_value(
    derived: DerivedDimension, dataset: Dataset, source_value: object
) -> str | int | None:
    """The derived dimension's value for one record whose source item is ``source_value``."""
    if derived.kind == "country":
        return ENGLAND
    if source_value is None:
        return None
    if derived.kind == "region":
        return region_lookup(dataset).get(str(source_value))
    if derived.kind == "code_group":
        return code_group_lookup(dataset, derived).get(str(source_value))
    if derived.on is None:
        raise InternalError(f"{derived.name} has no day to take the age on")
    age = age_in_years(str(source_value), derived.on)
    if derived.kind == "age":
        return age
    return AgeBands(derived.band_starts).label_of(age)
