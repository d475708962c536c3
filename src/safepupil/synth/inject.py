"""Known errors put into synthetic returns, so a validator's recall can be measured.

Planning picks which records get which kind of error from the record counts alone;
applying changes one file's records. Each injected record carries exactly one error,
and every kind occurs at least once whenever the rate is above zero (so every check
is exercised even at tiny rates). A duplicate UPN is copied from an earlier record
that carries no error itself.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from safepupil.domain.census_calendar import census_day
from safepupil.domain.codesets import codeset


class ErrorKind(enum.Enum):
    WRONG_CHECK_LETTER = "wrong_check_letter"
    UNKNOWN_CODE = "unknown_code"
    CODE_NOT_VALID_ON_CENSUS_DATE = "code_not_valid_on_census_date"
    MISSING_MANDATORY = "missing_mandatory"
    DUPLICATE_UPN = "duplicate_upn"
    DOB_OUT_OF_RANGE = "dob_out_of_range"
    PLACEMENT_END_BEFORE_START = "placement_end_before_start"
    PLACEMENT_OUTSIDE_PERIOD = "placement_outside_period"
    MALFORMED_XML = "malformed_xml"


RECORD_KINDS = tuple(kind for kind in ErrorKind if kind is not ErrorKind.MALFORMED_XML)
MANIFEST_COLUMNS = ("file", "record", "field", "kind", "detail")
# The mandatory items of docs/formats.md, as flat-record columns.
MANDATORY_FIELDS = (
    "upn",
    "surname",
    "forename",
    "dob",
    "sex",
    "sen_provision",
    "placement_reason",
    "placement_start",
)
# Coded items and the codeset each is checked against.
CODED_FIELDS = {
    "sex": "sex",
    "ethnicity": "ethnicity",
    "sen_provision": "sen_provision",
    "sen_type_1": "sen_type",
    "sen_type_2": "sen_type",
    "ap_setting_type": "ap_setting_type",
    "placement_reason": "placement_reason",
}
MIN_RECORDS_TO_TRUNCATE = 2  # so the cut falls inside the file, not before its only record
SOURCE_TRIES = 20


@dataclass(frozen=True)
class InjectedError:
    file: str
    record: int | None  # 1-based position in the file; None for a file-level error
    field: str | None
    kind: ErrorKind
    detail: str

    def manifest_row(self) -> tuple[str, str, str, str, str]:
        record = "" if self.record is None else str(self.record)
        return (self.file, record, self.field or "", self.kind.value, self.detail)


@dataclass(frozen=True)
class PlannedError:
    record: int  # 0-based position in the file
    kind: ErrorKind
    source: int | None = None  # duplicate_upn: the earlier record whose UPN is copied


@dataclass(frozen=True)
class InjectionPlan:
    by_file: Mapping[int, tuple[PlannedError, ...]]  # file position -> its errors
    truncated_file: int | None  # the file to cut off (XML only)

    @property
    def record_errors(self) -> int:
        return sum(len(errors) for errors in self.by_file.values())


def expired_codes(year: int) -> tuple[tuple[str, str], ...]:
    """(field, code) pairs of codes in their codeset but not valid on census day."""
    day = census_day(year)
    return tuple(
        (field, code.code)
        for field, name in CODED_FIELDS.items()
        for code in codeset(name)
        if not code.is_valid_on(day)
    )


def available_kinds(year: int) -> tuple[ErrorKind, ...]:
    if expired_codes(year):
        return RECORD_KINDS
    return tuple(k for k in RECORD_KINDS if k is not ErrorKind.CODE_NOT_VALID_ON_CENSUS_DATE)


def plan_injection(
    counts: np.ndarray, rate: float, rng: np.random.Generator, *, year: int, truncate: bool
) -> InjectionPlan:
    """Which records of which files get which error, from the files' record counts."""
    if rate <= 0:
        return InjectionPlan(by_file={}, truncated_file=None)
    truncated = _file_to_truncate(counts, rng) if truncate else None
    usable = counts.copy()
    if truncated is not None:
        usable[truncated] = 0  # a cut-off file's records cannot be checked one by one
    files = np.repeat(np.arange(len(usable)), usable)
    firsts = np.concatenate(([0], np.cumsum(usable)[:-1]))
    positions = np.arange(len(files)) - np.repeat(firsts, usable)
    kinds = available_kinds(year)
    wanted = min(max(round(rate * len(files)), len(kinds)), len(files))
    kind_list = list(np.resize(np.array(kinds, dtype=object), wanted))
    planned = _plan_duplicates(files, positions, kind_list.count(ErrorKind.DUPLICATE_UPN), rng)
    others = [k for k in kind_list if k is not ErrorKind.DUPLICATE_UPN]
    planned += _plan_others(files, positions, others, planned, rng)
    by_file: dict[int, list[PlannedError]] = {}
    for file, error in planned:
        by_file.setdefault(file, []).append(error)
    return InjectionPlan(
        by_file={f: tuple(sorted(e, key=lambda x: x.record)) for f, e in sorted(by_file.items())},
        truncated_file=truncated,
    )


def _plan_others(
    files: np.ndarray,
    positions: np.ndarray,
    kinds: list[ErrorKind],
    duplicates: list[tuple[int, PlannedError]],
    rng: np.random.Generator,
) -> list[tuple[int, PlannedError]]:
    """Records for the other kinds, avoiding duplicates and their (clean) sources."""
    taken = {(f, e.record) for f, e in duplicates} | {(f, e.source) for f, e in duplicates}
    rng.shuffle(kinds)
    free = (
        (int(files[i]), int(positions[i]))
        for i in rng.permutation(len(files))
        if (int(files[i]), int(positions[i])) not in taken
    )
    # At very high rates there are fewer free records than kinds left: the rest are dropped.
    pairs = zip(free, kinds, strict=False)
    return [(file, PlannedError(record, kind)) for (file, record), kind in pairs]


def _file_to_truncate(counts: np.ndarray, rng: np.random.Generator) -> int:
    candidates = np.flatnonzero(counts >= MIN_RECORDS_TO_TRUNCATE)
    pool = candidates if len(candidates) else np.flatnonzero(counts >= 1)
    return int(rng.choice(pool))


def _plan_duplicates(
    files: np.ndarray, positions: np.ndarray, wanted: int, rng: np.random.Generator
) -> list[tuple[int, PlannedError]]:
    """Later records whose UPN is set to that of a clean earlier record in the same file."""
    later = np.flatnonzero(positions >= 1)
    chosen = rng.permutation(later)[:wanted]
    targets = {(int(files[i]), int(positions[i])) for i in chosen}
    planned = []
    for index in chosen:
        file, record = int(files[index]), int(positions[index])
        source = _clean_earlier_record(file, record, targets, rng)
        if source is not None:
            planned.append((file, PlannedError(record, ErrorKind.DUPLICATE_UPN, source)))
    return planned


def _clean_earlier_record(
    file: int, record: int, targets: set[tuple[int, int]], rng: np.random.Generator
) -> int | None:
    for _ in range(SOURCE_TRIES):
        candidate = int(rng.integers(0, record))
        if (file, candidate) not in targets:
            return candidate
    # Nearly every earlier record is itself a target (very high rates): look at them all.
    return next((p for p in range(record) if (file, p) not in targets), None)
