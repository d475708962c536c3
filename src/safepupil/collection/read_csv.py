"""Read an AP census return in the CSV of docs/formats.md.

pyarrow's streaming CSV reader does the parsing; every column is read as a string,
trimmed, and empty values become nulls. The header items repeated on every line
must agree, or the return is refused at the first line that differs.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from safepupil.collection.model import HEADER_COLUMNS, RECORD_COLUMNS, ParsedReturn
from safepupil.collection.read_support import (
    Utf8CheckingReader,
    header_from_items,
    open_for_reading,
    records_table,
)
from safepupil.errors import InputFileError, Location

REQUIRED_COLUMNS = (*HEADER_COLUMNS, *RECORD_COLUMNS)
HEADER_ITEM_OF_COLUMN = {
    "collection": "collection",
    "year": "year",
    "reference_date": "reference_date",
    "return_la": "la",
}
BLOCK_BYTES = 1 << 20  # pyarrow reads the file in blocks of this size
FIRST_RECORD_LINE = 2  # line 1 is the column names
_FORMAT_HINT = "the CSV must follow docs/formats.md; export the return again"


def read_csv_return(path: Path) -> ParsedReturn:
    """Read a CSV return. Raises InputFileError for anything unreadable."""
    _check_utf8(path)
    _check_column_names(_column_names(path), path)
    batches = _read_batches(path)
    header_values = _check_header_columns_agree(batches, path)
    items = {HEADER_ITEM_OF_COLUMN[name]: value for name, value in header_values.items()}
    header = header_from_items(items, path)
    rows = sum(batch.num_rows for batch in batches)
    columns = [
        pa.chunked_array([batch.column(name) for batch in batches], type=pa.string())
        for name in RECORD_COLUMNS
    ]
    return ParsedReturn(source=path, header=header, records=records_table(columns, rows))


def _column_names(path: Path) -> list[str]:
    with open_for_reading(path) as raw:
        first_line = raw.readline()
    text = codecs.decode(first_line, "utf-8-sig")  # UTF-8 already checked; drop any BOM
    return next(csv.reader([text.rstrip("\r\n")]), [])


def _check_column_names(names: list[str], path: Path) -> None:
    where = Location(file=str(path), position="line 1")
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if len(missing) == len(REQUIRED_COLUMNS):
        raise InputFileError(
            "the CSV has none of the columns of an AP census return",
            where=where,
            hint="check this is an AP census return; its columns are in docs/formats.md",
        )
    if missing:
        raise InputFileError(
            f"the CSV has no column {', '.join(missing)}",
            where=where,
            hint="the first line names the columns of docs/formats.md",
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InputFileError(
            f"the CSV names column {', '.join(repeated)} more than once",
            where=where,
            hint="name each column once",
        )


def _read_batches(path: Path) -> list[pa.RecordBatch]:
    first_bad_row: list[int | None] = []

    def note_bad_row(row: pacsv.InvalidRow) -> str:
        first_bad_row.append(row.number)
        return "error"

    options = {
        # no threads: then pyarrow knows the line number of a bad row
        "read_options": pacsv.ReadOptions(use_threads=False, block_size=BLOCK_BYTES),
        "parse_options": pacsv.ParseOptions(invalid_row_handler=note_bad_row),
        "convert_options": pacsv.ConvertOptions(
            column_types={name: pa.string() for name in REQUIRED_COLUMNS},
            include_columns=list(REQUIRED_COLUMNS),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    }
    try:
        with pacsv.open_csv(str(path), **options) as reader:
            return [_tidy(batch) for batch in reader if batch.num_rows]
    except OSError as error:
        raise InputFileError(
            f"cannot read the file ({error.strerror or type(error).__name__})",
            where=Location(file=str(path)),
            hint="check the path and that you may read the file",
        ) from None
    except pa.ArrowException:
        raise _csv_error(first_bad_row, path) from None


def _tidy(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Trim every value; an empty or all-blank value is absent (null)."""
    columns = []
    for column in batch.columns:
        trimmed = pc.utf8_trim_whitespace(column)
        columns.append(pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed))
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def _csv_error(bad_rows: list[int | None], path: Path) -> InputFileError:
    # pyarrow's own message quotes the offending line, which holds pupil values:
    # it is never passed on, only the kind of problem and where it is.
    position = f"line {bad_rows[0]}" if bad_rows and bad_rows[0] else None
    if bad_rows:
        message = (
            "a line has the wrong number of values (an unclosed quote, or the file is cut off?)"
        )
    else:
        message = "the CSV could not be parsed"
    return InputFileError(
        message, where=Location(file=str(path), position=position), hint=_FORMAT_HINT
    )


def _check_utf8(path: Path) -> None:
    """Refuse a file that is not UTF-8, naming the line and column of the first bad byte.

    Checked before pyarrow parses, so pyarrow never meets (or quotes) undecodable text.
    """
    with open_for_reading(path) as raw:
        reader = Utf8CheckingReader(raw, str(path))
        while reader.read(BLOCK_BYTES):
            pass


def _check_header_columns_agree(batches: list[pa.RecordBatch], path: Path) -> dict[str, str]:
    if not batches:
        raise InputFileError(
            "the CSV has no pupil lines, so no header items",
            where=Location(file=str(path)),
            hint="a CSV return needs at least one pupil; send an LA with no pupils as XML",
        )
    first = {name: batches[0].column(name)[0].as_py() for name in HEADER_COLUMNS}
    lines_before = 0
    for batch in batches:
        for name in HEADER_COLUMNS:
            differs = _differs_from(batch.column(name), first[name])
            if differs is not None:
                raise InputFileError(
                    f"the {name} column differs from the first pupil line",
                    where=Location(
                        file=str(path),
                        position=f"line {FIRST_RECORD_LINE + lines_before + differs}",
                        field=name,
                    ),
                    hint="every line of a return carries the same header items",
                )
        lines_before += batch.num_rows
    return {name: value or "" for name, value in first.items()}


def _differs_from(column: pa.Array, expected: str | None) -> int | None:
    """Index of the first value in ``column`` that is not ``expected``, else None."""
    if expected is None:
        same = pc.is_null(column)
    else:
        same = pc.fill_null(pc.equal(column, expected), False)
    if pc.all(same).as_py():
        return None
    return int(pc.index(same, False).as_py())
