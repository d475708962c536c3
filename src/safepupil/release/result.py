"""What a researcher gets: the protected table, its per-cell report and its proof.

Every value in a ``ProtectedTable`` is already text fit to show: a rounded count, a
rounded statistic or a DfE symbol (``c`` suppressed, ``low``, ``x`` held, ``z`` not
applicable). The audit proof shown here says which cells were audited and that each is
protected, but not the attacker's bounds: those were solved from unrounded values and
live only in the release record.

A ``ProtectedTable`` can only be made by the release pipeline: its constructor demands
a seal that only ``release.pipeline`` is handed, so no other code path can dress a raw
result up as a release.
"""

from __future__ import annotations

import csv
import enum
import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd  # type: ignore[import-untyped]
import pyarrow as pa
import pyarrow.parquet as pq

from safepupil.errors import InternalError, UserError

_SEAL = object()
EXPORT_FORMATS = ("csv", "json", "parquet")


class ReleaseStatus(enum.Enum):
    RELEASED = "released"
    HELD = "held"  # a rule flagged something it cannot settle: a person reviews it


@dataclass(frozen=True)
class CellReport:
    """One cell's fate in plain words (never its true value)."""

    key: tuple[str, ...]
    status: str  # released, primary, secondary, held
    reason: str


@dataclass(frozen=True)
class ProtectedTable:
    release_id: str
    dataset: str
    status: ReleaseStatus
    columns: tuple[str, ...]  # dimensions, then measures
    rows: tuple[tuple[str, ...], ...]  # every value as shown, symbols included
    report: tuple[CellReport, ...]
    audit: Mapping[str, object]  # the proof, without exact bounds
    pupils: int  # distinct pupils in the released cells
    reasons: tuple[str, ...] = ()  # why the release is held, if it is
    seal: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.seal is not _SEAL:
            raise InternalError("a ProtectedTable can only be made by the release pipeline")

    @property
    def checksum(self) -> str:
        """SHA-256 of the CSV export: what the researcher can check their copy against."""
        return hashlib.sha256(self.to_csv_bytes()).hexdigest()

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.rows), columns=list(self.columns), dtype="string")

    def to_csv_bytes(self) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return buffer.getvalue().encode("utf-8")

    def to_json_text(self) -> str:
        document = {
            "release_id": self.release_id,
            "dataset": self.dataset,
            "status": self.status.value,
            "columns": list(self.columns),
            "rows": [list(row) for row in self.rows],
            "cells": [
                {"key": list(c.key), "status": c.status, "reason": c.reason} for c in self.report
            ],
            "audit": dict(self.audit),
            "pupils": self.pupils,
            "reasons": list(self.reasons),
            "checksum_sha256_csv": self.checksum,
        }
        return json.dumps(document, indent=2, sort_keys=True)

    def to_arrow(self) -> pa.Table:
        columns = {name: [row[i] for row in self.rows] for i, name in enumerate(self.columns)}
        return pa.table(columns, schema=pa.schema([(n, pa.string()) for n in self.columns]))

    def export(self, path: Path, form: str) -> None:
        """Write the table as ``csv``, ``json`` or ``parquet`` (to a temporary name first)."""
        if form not in EXPORT_FORMATS:
            raise UserError(f"cannot export as {form}", hint=f"use {', '.join(EXPORT_FORMATS)}")
        partial = path.with_name(path.name + ".partial")
        if form == "csv":
            partial.write_bytes(self.to_csv_bytes())
        elif form == "json":
            partial.write_text(self.to_json_text(), "utf-8")
        else:
            pq.write_table(self.to_arrow(), partial)
        partial.replace(path)


def _sealed(
    *,
    release_id: str,
    dataset: str,
    status: ReleaseStatus,
    columns: tuple[str, ...],
    rows: tuple[tuple[str, ...], ...],
    report: tuple[CellReport, ...],
    audit: Mapping[str, object],
    pupils: int,
    reasons: tuple[str, ...],
) -> ProtectedTable:
    """For ``release.shaping`` only: the one place a ProtectedTable is made."""
    return ProtectedTable(
        release_id=release_id,
        dataset=dataset,
        status=status,
        columns=columns,
        rows=rows,
        report=report,
        audit=audit,
        pupils=pupils,
        reasons=reasons,
        seal=_SEAL,
    )
