"""The local authorities of England, versioned by date.

An LA code can end (Dorset 835 became 838 in April 2019) and new ones start, so
every look-up says on which day it is asked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from safepupil.domain._data import parse_optional_date, read_rows


@dataclass(frozen=True)
class LocalAuthority:
    code: str  # DfE 3-digit LA number, e.g. "201"
    name: str
    region: str
    ons_region_code: str
    ons_code: str
    valid_from: dt.date | None
    valid_to: dt.date | None  # inclusive

    def exists_on(self, day: dt.date) -> bool:
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_to and day > self.valid_to)


@cache
def all_local_authorities() -> tuple[LocalAuthority, ...]:
    """Every LA that has ever existed in the register, current or not."""
    return tuple(
        LocalAuthority(
            code=row["la_code"],
            name=row["la_name"],
            region=row["region_name"],
            ons_region_code=row["ons_region_code"],
            ons_code=row["ons_la_code"],
            valid_from=parse_optional_date(row["valid_from"]),
            valid_to=parse_optional_date(row["valid_to"]),
        )
        for row in read_rows("local_authorities.csv")
    )


def local_authorities_on(day: dt.date) -> tuple[LocalAuthority, ...]:
    """The LAs of England on ``day`` (152 in January 2018)."""
    return tuple(la for la in all_local_authorities() if la.exists_on(day))


def la_by_code(code: str, day: dt.date) -> LocalAuthority | None:
    """The LA with this code on ``day``, or None when no LA had that code then."""
    for la in all_local_authorities():
        if la.code == code and la.exists_on(day):
            return la
    return None


def is_known_la_code(code: str) -> bool:
    """True when ``code`` was ever a DfE LA number (UPNs keep the LA that issued them)."""
    return any(la.code == code for la in all_local_authorities())


def regions_on(day: dt.date) -> tuple[str, ...]:
    return tuple(sorted({la.region for la in local_authorities_on(day)}))
