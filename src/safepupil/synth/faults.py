"""Applying planned errors to one return's records, and cutting an XML file short."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, MutableMapping, Sequence

import numpy as np

from safepupil.domain.census_calendar import CensusPeriod, census_day, census_period
from safepupil.domain.codesets import codeset
from safepupil.domain.upn import CHECK_ALPHABET
from safepupil.synth.inject import (
    CODED_FIELDS,
    MANDATORY_FIELDS,
    ErrorKind,
    InjectedError,
    PlannedError,
    expired_codes,
)
from safepupil.synth.marginals import codes_restricted_by_sex

Record = MutableMapping[str, str | None]

UNKNOWN_CODE_CANDIDATES = ("Z9", "XQ", "Q0", "ZZZ", "X1")
TOO_YOUNG_AGES = (1, 3)  # below the plausible 4..19 of docs/formats.md
TOO_OLD_AGES = (20, 25)
END_BEFORE_START_MAX_DAYS = 30
EARLY_END_MAX_DAYS_BEFORE_PERIOD = 365
EARLY_PLACEMENT_MAX_DAYS = 300
LATE_START_MAX_DAYS_AFTER_CENSUS = 90
CUT_ELEMENT = b"<Surname>"  # the XML file is cut inside this element of its middle record


class _Context:
    """What every fault needs: the file, the census dates and a random stream."""

    def __init__(self, file: str, year: int, rng: np.random.Generator) -> None:
        self.file = file
        self.day = census_day(year)
        self.period: CensusPeriod = census_period(year)
        self.expired = expired_codes(year)
        self.rng = rng

    def days(self, low: int, high: int) -> dt.timedelta:
        return dt.timedelta(days=int(self.rng.integers(low, high + 1)))

    def choose(self, options: Sequence[str]) -> str:
        return options[int(self.rng.integers(0, len(options)))]


def apply_errors(
    records: Sequence[Record],
    planned: Sequence[PlannedError],
    *,
    file: str,
    year: int,
    rng: np.random.Generator,
) -> list[InjectedError]:
    """Put each planned error into ``records`` (changed in place); returns the manifest rows."""
    context = _Context(file, year, rng)
    injected = []
    for error in planned:
        record = records[error.record]
        if error.kind is ErrorKind.DUPLICATE_UPN:
            assert error.source is not None
            record["upn"] = records[error.source]["upn"]
            field, detail = "upn", f"UPN copied from record {error.source + 1}"
        else:
            field, detail = _FAULTS[error.kind](record, context)
        injected.append(InjectedError(file, error.record + 1, field, error.kind, detail))
    return injected


def _wrong_check_letter(record: Record, context: _Context) -> tuple[str, str]:
    upn = record["upn"] or ""
    letter = context.choose([c for c in CHECK_ALPHABET if c != upn[:1]])
    record["upn"] = letter + upn[1:]
    return "upn", "check letter replaced by another letter"


def _sex_is_fixed(record: Record) -> bool:
    # Leave sex alone where the placement reason is drawn for one sex only (pregnancy),
    # or the record would carry a second, unplanned inconsistency.
    return record.get("placement_reason") in codes_restricted_by_sex("placement_reason")


def _unknown_code(record: Record, context: _Context) -> tuple[str, str]:
    fields = [
        f
        for f in CODED_FIELDS
        if record.get(f) is not None and not (f == "sex" and _sex_is_fixed(record))
    ]
    field = context.choose(fields)
    known = codeset(CODED_FIELDS[field])
    record[field] = context.choose([c for c in UNKNOWN_CODE_CANDIDATES if c not in known])
    return field, f"{field} set to a code not in the {known.name} codeset"


def _code_not_valid(record: Record, context: _Context) -> tuple[str, str]:
    field, code = context.expired[int(context.rng.integers(0, len(context.expired)))]
    record[field] = code
    return field, f"{field} set to {code}, not valid on census day"


def _missing_mandatory(record: Record, context: _Context) -> tuple[str, str]:
    fields = [f for f in MANDATORY_FIELDS if not (f == "sex" and _sex_is_fixed(record))]
    field = context.choose(fields)
    record[field] = None
    return field, f"{field} removed"


def _dob_out_of_range(record: Record, context: _Context) -> tuple[str, str]:
    # A pupil with a ULN is made too old rather than too young: a ULN below 14 would be a
    # second fault.
    too_old = record.get("uln") is not None or bool(context.rng.integers(0, 2))
    low, high = TOO_OLD_AGES if too_old else TOO_YOUNG_AGES
    age = int(context.rng.integers(low, high + 1))
    latest = context.day.replace(year=context.day.year - age)
    earliest = context.day.replace(year=context.day.year - age - 1) + dt.timedelta(days=1)
    record["dob"] = (earliest + context.days(0, (latest - earliest).days)).isoformat()
    side = "above 19" if too_old else "below 4"
    return "dob", f"age on census day {side}"


def _end_before_start(record: Record, context: _Context) -> tuple[str, str]:
    # Both dates stay inside the period, so the placement still overlaps it.
    first, last = context.period.start, context.period.end
    start = first + context.days(END_BEFORE_START_MAX_DAYS + 1, (last - first).days)
    record["placement_start"] = start.isoformat()
    record["placement_end"] = (start - context.days(1, END_BEFORE_START_MAX_DAYS)).isoformat()
    return "placement_end", "leaving date before entry date"


def _outside_period(record: Record, context: _Context) -> tuple[str, str]:
    if context.rng.integers(0, 2):
        end = context.period.start - context.days(1, EARLY_END_MAX_DAYS_BEFORE_PERIOD)
        start = end - context.days(0, EARLY_PLACEMENT_MAX_DAYS)
        record["placement_start"], record["placement_end"] = start.isoformat(), end.isoformat()
        return "placement_end", "placement ended before the census period began"
    start = context.period.end + context.days(1, LATE_START_MAX_DAYS_AFTER_CENSUS)
    record["placement_start"], record["placement_end"] = start.isoformat(), None
    return "placement_start", "placement began after census day"


_FAULTS: dict[ErrorKind, Callable[[Record, _Context], tuple[str, str]]] = {
    ErrorKind.WRONG_CHECK_LETTER: _wrong_check_letter,
    ErrorKind.UNKNOWN_CODE: _unknown_code,
    ErrorKind.CODE_NOT_VALID_ON_CENSUS_DATE: _code_not_valid,
    ErrorKind.MISSING_MANDATORY: _missing_mandatory,
    ErrorKind.DOB_OUT_OF_RANGE: _dob_out_of_range,
    ErrorKind.PLACEMENT_END_BEFORE_START: _end_before_start,
    ErrorKind.PLACEMENT_OUTSIDE_PERIOD: _outside_period,
}


def truncate_xml(xml: bytes, *, file: str) -> tuple[bytes, InjectedError]:
    """``xml`` cut off inside the surname of its middle record, and the manifest row."""
    starts = []
    position = xml.find(CUT_ELEMENT)
    while position >= 0:
        starts.append(position)
        position = xml.find(CUT_ELEMENT, position + 1)
    if not starts:
        cut = len(xml) // 2
        detail = "file cut off half way"
    else:
        middle = len(starts) // 2
        cut = starts[middle] + len(CUT_ELEMENT) + 1  # one character into the surname
        detail = f"file cut off inside record {middle + 1} of {len(starts)}"
    error = InjectedError(file, None, None, ErrorKind.MALFORMED_XML, detail)
    return xml[:cut], error
