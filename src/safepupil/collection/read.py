"""Read a census return, XML or CSV, into a ParsedReturn (docs/formats.md).

Every way a file can be unreadable (missing, empty, not UTF-8, malformed, truncated,
hostile) ends in one InputFileError naming the file and, where known, the position.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from safepupil.collection.model import ParsedReturn
from safepupil.collection.read_csv import read_csv_return
from safepupil.collection.read_xml import read_xml_return
from safepupil.errors import InputFileError, Location

READERS: dict[str, Callable[[Path], ParsedReturn]] = {
    ".xml": read_xml_return,
    ".csv": read_csv_return,
}
RETURN_SUFFIXES: tuple[str, ...] = tuple(READERS)


def read_return(path: Path) -> ParsedReturn:
    """Read ``path`` (``.xml`` or ``.csv``, by suffix) into a ParsedReturn.

    Raises InputFileError for a missing, unreadable, empty, malformed, truncated or
    hostile file, with the file, the position or record where known, and a hint.
    """
    path = Path(path)
    _check_readable(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise InputFileError(
            f"cannot tell the format of a {path.suffix or 'suffix-less'} file",
            where=Location(file=str(path)),
            hint="name the return ap_census_<year>_<la>.xml or .csv (docs/formats.md)",
        )
    return reader(path)


def _check_readable(path: Path) -> None:
    where = Location(file=str(path))
    try:
        if not path.is_file():
            raise InputFileError(
                "no such file" if not path.exists() else "this is not a file",
                where=where,
                hint="check the path of the return",
            )
        size = path.stat().st_size
    except OSError as error:
        raise InputFileError(
            f"cannot read the file ({error.strerror or type(error).__name__})",
            where=where,
            hint="check the path and that you may read the file",
        ) from None
    if size == 0:
        raise InputFileError(
            "the file is empty",
            where=where,
            hint="export the return again from the management information system",
        )
