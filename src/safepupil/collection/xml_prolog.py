"""Refuse any XML return that declares a DTD, before a fast parser sees it.

Entities (billion laughs) and external references can only be declared in a DTD, and
a DTD can only stand in the prolog, before the root element. So a prolog made only of
the XML declaration, comments, processing instructions and white space proves that the
document has none, and the C parser can then read it at full speed. Anything else in
the prolog, or a prolog too long to look at, is refused.
"""

from __future__ import annotations

from pathlib import Path

from safepupil.errors import InputFileError, Location

PROLOG_LIMIT = 64 * 1024  # bytes; a real return's prolog is one line
_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n"


def refuse_dtd(path: Path) -> None:
    """Raise InputFileError unless the file's prolog is free of DTDs and declarations."""
    try:
        with path.open("rb") as stream:
            head = stream.read(PROLOG_LIMIT)
    except OSError:
        return  # the reader reports unreadable files itself
    body = head.removeprefix(_BOM)
    problem, offset = _prolog_problem(body)
    if problem:
        raise InputFileError(
            f"the file {problem}, which a return must not have",
            where=Location(file=str(path), position=_line_and_column(body, offset)),
            hint="refused for safety: export the return again as plain XML without <!DOCTYPE>",
        )


def _prolog_problem(head: bytes) -> tuple[str | None, int]:
    """What is wrong with the prolog (None when nothing), and the byte offset where."""
    too_long = "has a prolog too long to check"
    position = 0
    while True:
        position = _skip_whitespace(head, position)
        if position >= len(head):
            return (None if len(head) < PROLOG_LIMIT else too_long), 0
        start = position
        if head.startswith(b"<?", position):
            position = _after(head, position, b"?>")
        elif head.startswith(b"<!--", position):
            position = _after(head, position, b"-->")
        elif head.startswith(b"<!", position):
            return "declares a DTD or entities", position
        else:
            return None, 0  # the root element (or text the parser will reject)
        if position < 0:
            return (None if len(head) < PROLOG_LIMIT else too_long), start


def _line_and_column(head: bytes, offset: int) -> str:
    before = head[:offset]
    line = before.count(b"\n") + 1
    column = offset - (before.rfind(b"\n") + 1) + 1
    return f"line {line}, column {column}"


def _skip_whitespace(head: bytes, position: int) -> int:
    while position < len(head) and head[position] in _WHITESPACE:
        position += 1
    return position


def _after(head: bytes, position: int, end: bytes) -> int:
    found = head.find(end, position + 2)
    return -1 if found < 0 else found + len(end)
