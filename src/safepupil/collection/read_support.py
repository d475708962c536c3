"""What the XML and CSV readers share: opening a file, checking it is UTF-8 as it
streams past, building Arrow columns in batches, and turning header items into a
ReturnHeader."""

from __future__ import annotations

import codecs
import datetime as dt
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa

from safepupil.collection.model import RECORD_COLUMNS, ReturnHeader, record_schema
from safepupil.errors import InputFileError, Location

BATCH_ROWS = 8192  # pupils per Arrow chunk: bounds the Python lists held at once
HEAD_BYTES = 64 * 1024  # how much of the start of a file is kept to locate a DOCTYPE
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
CENSUS_YEAR = re.compile(r"^(19|20)[0-9]{2}$")  # 1900-2099
REQUIRED_HEADER_ITEMS = ("collection", "year", "reference_date", "la")
NOT_UTF8_HINT = "save the return as UTF-8 (docs/formats.md) and try again"


@contextmanager
def open_for_reading(path: Path) -> Iterator[BinaryIO]:
    """Open ``path`` for binary reading; an OS error becomes an InputFileError."""
    try:
        handle = path.open("rb")
    except OSError as error:
        raise InputFileError(
            f"cannot read the file ({error.strerror or type(error).__name__})",
            where=Location(file=str(path)),
            hint="check the path and that you may read the file",
        ) from None
    with handle:
        yield handle


class Utf8CheckingReader:
    """A binary reader that fails with the line and column of the first byte that is
    not UTF-8, while passing the bytes on unchanged to the parser."""

    def __init__(self, raw: BinaryIO, file: str) -> None:
        self._raw = raw
        self._file = file
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._line = 1
        self._since_newline = 0
        self._head = b""

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if len(self._head) < HEAD_BYTES:
            self._head += data[: HEAD_BYTES - len(self._head)]
        try:
            self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as error:
            raise self._not_utf8(data, max(error.start, 0)) from None
        self._advance(data)
        return data

    def _advance(self, data: bytes) -> None:
        newlines = data.count(b"\n")
        self._line += newlines
        if newlines:
            self._since_newline = len(data) - data.rfind(b"\n") - 1
        else:
            self._since_newline += len(data)

    def _not_utf8(self, data: bytes, bad: int) -> InputFileError:
        before = data[:bad]
        line = self._line + before.count(b"\n")
        column = (bad - before.rfind(b"\n")) if b"\n" in before else self._since_newline + bad + 1
        return InputFileError(
            "the file is not UTF-8 text",
            where=Location(file=self._file, position=f"line {line}, column {column}"),
            hint=NOT_UTF8_HINT,
        )

    def position(self, marker: bytes = b"<!DOCTYPE") -> str | None:
        """Line and column of ``marker`` near the start of the file, if it is there."""
        at = self._head.find(marker)
        if at < 0:
            return None
        before = self._head[:at]
        line = before.count(b"\n") + 1
        column = at - before.rfind(b"\n")
        return f"line {line}, column {column}"


class ColumnBuffer:
    """Record values appended a pupil at a time, turned into Arrow chunks every
    BATCH_ROWS pupils so no per-pupil Python objects outlive their batch."""

    def __init__(self) -> None:
        self.rows = 0
        self._pending: list[list[str | None]] = []
        self._chunks: list[list[pa.Array]] = [[] for _ in RECORD_COLUMNS]

    def add(self, values: list[str | None]) -> None:
        self._pending.append(values)
        self.rows += 1
        if len(self._pending) >= BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        for chunks, column in zip(self._chunks, zip(*self._pending, strict=True), strict=True):
            chunks.append(pa.array(column, type=pa.string()))
        self._pending = []

    def table(self) -> pa.Table:
        self._flush()
        columns = [pa.chunked_array(chunks, type=pa.string()) for chunks in self._chunks]
        return records_table(columns, self.rows)


def records_table(columns: list[pa.ChunkedArray], rows: int) -> pa.Table:
    """The flat record table: record_no (1-based) then the record columns in order."""
    record_no = pa.array(np.arange(1, rows + 1, dtype=np.int32), type=pa.int32())
    return pa.Table.from_arrays([record_no, *columns], schema=record_schema())


def header_from_items(items: Mapping[str, str | None], path: Path) -> ReturnHeader:
    """A ReturnHeader from header items keyed collection, year, reference_date, la."""
    where = Location(file=str(path))
    missing = [name for name in REQUIRED_HEADER_ITEMS if not items.get(name)]
    if missing:
        raise InputFileError(
            f"the header has no {', '.join(missing)}",
            where=where,
            hint="the header gives the collection, year, reference date and LA (docs/formats.md)",
        )
    year, reference_date = items["year"] or "", items["reference_date"] or ""
    if not CENSUS_YEAR.match(year):
        raise InputFileError(
            "the header's year is not a census year (YYYY)",
            where=where,
            hint="give the year of the January census, e.g. 2018",
        )
    day = parse_iso_date(reference_date)
    if day is None:
        raise InputFileError(
            "the header's reference date is not a date in the form YYYY-MM-DD",
            where=where,
            hint="give census day, e.g. 2018-01-18 for the January 2018 census",
        )
    return ReturnHeader(
        collection=items["collection"] or "",
        year=int(year),
        reference_date=day,
        la=items["la"] or "",
        software=items.get("software") or "",
        serial_no=items.get("serial_no") or "",
        created=items.get("created") or "",
    )


def parse_iso_date(text: str) -> dt.date | None:
    """The date written exactly as YYYY-MM-DD, else None."""
    if not ISO_DATE.match(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
