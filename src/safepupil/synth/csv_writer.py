"""Render an AP census return as CSV (docs/formats.md): header items repeated on every line."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from safepupil.collection.model import HEADER_COLUMNS, RECORD_COLUMNS, ReturnHeader

Record = Mapping[str, str | None]


def render_csv(header: ReturnHeader, records: Sequence[Record]) -> bytes:
    buffer = io.StringIO()
    # "\n" line endings whatever the platform, so files are byte-identical everywhere.
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow((*HEADER_COLUMNS, *RECORD_COLUMNS))
    leading = (header.collection, str(header.year), header.reference_date.isoformat(), header.la)
    for record in records:
        writer.writerow((*leading, *(record.get(name) or "" for name in RECORD_COLUMNS)))
    return buffer.getvalue().encode("utf-8")
