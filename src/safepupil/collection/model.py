"""The values that pass between the LA-side steps (read -> validate -> pseudonymise -> seal)."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

# The flat record's columns, in order (docs/formats.md). All strings; absent = null.
RECORD_COLUMNS: tuple[str, ...] = (
    "upn",
    "uln",
    "surname",
    "forename",
    "middle_names",
    "preferred_surname",
    "dob",
    "sex",
    "ethnicity",
    "address",
    "postcode",
    "uprn",
    "sen_provision",
    "sen_type_1",
    "sen_type_2",
    "placement_la",
    "urn",
    "ukprn",
    "ap_setting_type",
    "placement_reason",
    "placement_start",
    "placement_end",
)
HEADER_COLUMNS: tuple[str, ...] = ("collection", "year", "reference_date", "return_la")


def record_schema() -> pa.Schema:
    """Arrow schema of a parsed return: record_no then every record column as a string."""
    fields = [pa.field("record_no", pa.int32(), nullable=False)]
    fields += [pa.field(name, pa.string()) for name in RECORD_COLUMNS]
    return pa.schema(fields)


@dataclass(frozen=True)
class ReturnHeader:
    collection: str  # "AP"
    year: int
    reference_date: dt.date  # census day
    la: str  # the LA making the return (3-digit DfE number)
    software: str = ""
    serial_no: str = ""
    created: str = ""


@dataclass(frozen=True)
class ParsedReturn:
    """A census return read into memory: its header and one row per pupil record."""

    source: Path
    header: ReturnHeader
    records: pa.Table  # schema: record_schema()

    @property
    def pupil_count(self) -> int:
        return int(self.records.num_rows)


class Severity(enum.Enum):
    """As DfE's COLLECT: an error blocks the return; a query needs an explanation."""

    ERROR = "error"
    QUERY = "query"


@dataclass(frozen=True)
class Finding:
    """One validation finding. ``message`` never contains pupil-level values."""

    rule_id: str
    severity: Severity
    file: str
    record: int | None  # 1-based record number; None for a file-level finding
    field: str | None
    message: str  # what is wrong and what to do


@dataclass(frozen=True)
class ValidationReport:
    source: str
    pupils_read: int
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def queries(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.QUERY)

    @property
    def ok(self) -> bool:
        return not self.errors
