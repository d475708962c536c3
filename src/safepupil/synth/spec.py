"""What to generate (SynthSpec, validated when built) and what was generated (SynthResult)."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from safepupil.domain.census_calendar import census_day
from safepupil.domain.local_authorities import local_authorities_on
from safepupil.errors import UserError

DEFAULT_YEAR = 2018
DEFAULT_AP_PUPILS = 24_500  # about the size of the January 2018 AP census
DEFAULT_SCHOOL_PUPILS = 200_000
DEFAULT_SEED = 2018
# From 2016, the first January census after the School Action codes (A, P) ended, to
# 2025, the last January the LA register is known to cover (its last change: April 2023).
FIRST_YEAR = 2016
LAST_YEAR = 2025
MAX_AP_PUPILS = 500_000  # twenty times the real AP census
MAX_SCHOOL_PUPILS = 20_000_000  # two and a half times England's school population


class OutputFormat(enum.Enum):
    XML = "xml"
    CSV = "csv"


@dataclass(frozen=True)
class SynthSpec:
    year: int = DEFAULT_YEAR
    pupils: int = DEFAULT_AP_PUPILS
    school_pupils: int = DEFAULT_SCHOOL_PUPILS
    seed: int = DEFAULT_SEED
    file_format: OutputFormat = OutputFormat.XML
    inject_errors: float = 0.0  # probability that a record carries an injected error

    def __post_init__(self) -> None:
        if not FIRST_YEAR <= self.year <= LAST_YEAR:
            raise UserError(
                f"--year {self.year} is outside the census years this generator knows",
                hint=f"use a year from {FIRST_YEAR} to {LAST_YEAR}",
            )
        _check_range("--pupils", self.pupils, self.la_count, MAX_AP_PUPILS, "one for each LA")
        _check_range("--school-pupils", self.school_pupils, 0, MAX_SCHOOL_PUPILS, "")
        if self.seed < 0:
            raise UserError(f"--seed {self.seed} is negative", hint="use a seed of 0 or more")
        if not (math.isfinite(self.inject_errors) and 0 <= self.inject_errors < 1):
            raise UserError(
                f"--inject-errors {self.inject_errors} is not a rate per record",
                hint="use a number from 0 (no errors) up to but not including 1, e.g. 0.01",
            )

    @property
    def la_count(self) -> int:
        return len(local_authorities_on(census_day(self.year)))


def _check_range(option: str, value: int, low: int, high: int, why_low: str) -> None:
    if low <= value <= high:
        return
    reason = f" ({why_low})" if why_low else ""
    raise UserError(
        f"{option} {value} is out of range",
        hint=f"use {low:,}{reason} to {high:,}",
    )


@dataclass(frozen=True)
class SynthResult:
    spec: SynthSpec
    out_dir: Path
    ap_files: tuple[Path, ...]
    school_census: Path
    manifest: Path | None  # injected_errors.csv, when errors were injected
    ap_pupils_by_la: Mapping[str, int]
    ap_pupils_by_region: Mapping[str, int]
    school_pupils_by_region: Mapping[str, int]
    placement_reasons: Mapping[str, int]  # as generated, before any injected error
    linked_pupils: int  # AP pupils who also appear in the school census
    injected_errors: int

    @property
    def files(self) -> tuple[Path, ...]:
        extra = (self.manifest,) if self.manifest else ()
        return (*self.ap_files, self.school_census, *extra)

    @property
    def ap_pupils(self) -> int:
        return sum(self.ap_pupils_by_la.values())

    @property
    def school_pupils(self) -> int:
        return sum(self.school_pupils_by_region.values())
