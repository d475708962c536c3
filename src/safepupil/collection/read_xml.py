"""Read an AP census return in the CBDS-style XML of docs/formats.md.

Streaming: the prolog is checked first (``xml_prolog``): a file that declares a DTD,
and so could declare entities or external references, is refused before parsing; the
rest is read by the standard library's C iterparse, which rejects any undeclared
entity. Each <Pupil> is flattened into column buffers
and removed from the tree as soon as it ends, so memory holds one pupil's elements
plus the Arrow columns built so far.
"""

from __future__ import annotations

import contextlib
import enum
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import Element
from xml.parsers.expat import ErrorString

from safepupil.collection.model import RECORD_COLUMNS, ParsedReturn, ReturnHeader
from safepupil.collection.read_support import (
    ColumnBuffer,
    Utf8CheckingReader,
    header_from_items,
    open_for_reading,
)
from safepupil.collection.xml_prolog import refuse_dtd
from safepupil.errors import InputFileError, Location

# Each record item by its element's local name: unique within a <Pupil>, so any
# grouping and any order of elements reads the same.
ITEM_ELEMENTS: dict[str, str] = {
    "UPN": "upn",
    "ULN": "uln",
    "Surname": "surname",
    "Forename": "forename",
    "MiddleNames": "middle_names",
    "PreferredSurname": "preferred_surname",
    "DOB": "dob",
    "Sex": "sex",
    "Ethnicity": "ethnicity",
    "Postcode": "postcode",
    "UPRN": "uprn",
    "SENprovision": "sen_provision",
    "LEA": "placement_la",  # the only <LEA> inside a <Pupil> is the placement's
    "URN": "urn",
    "UKPRN": "ukprn",
    "APsettingType": "ap_setting_type",
    "PlacementReason": "placement_reason",
    "EntryDate": "placement_start",
    "LeavingDate": "placement_end",
}
ADDRESS_LINE, SEN_NEED = "AddressLine", "SENneed"
SEN_TYPE_BY_RANK = {"1": "sen_type_1", "2": "sen_type_2"}
ADDRESS_SEPARATOR = ", "

HEADER_PATHS: dict[tuple[str, ...], str] = {
    ("CollectionDetails", "Collection"): "collection",
    ("CollectionDetails", "Year"): "year",
    ("CollectionDetails", "ReferenceDate"): "reference_date",
    ("Source", "LEA"): "la",
    ("Source", "SoftwareCode"): "software",
    ("Source", "SerialNo"): "serial_no",
    ("Source", "DateTime"): "created",
}

_COLUMN_INDEX = {name: index for index, name in enumerate(RECORD_COLUMNS)}
_ADDRESS_SLOT, _SEN_NEED_SLOT, _OTHER_SLOT = -1, -2, -3
_TRUNCATED = 3  # expat's XML_ERROR_NO_ELEMENTS: the document ended too soon
_STRUCTURE_HINT = "the XML must follow docs/formats.md; export the return again"


class _Kind(enum.Enum):
    PUPILS = "Pupils"
    PUPIL = "Pupil"
    HEADER = "Header"


def _local(tag: str) -> str:
    """The local name of a tag, without any namespace URI."""
    return tag.rpartition("}")[2]


class _KindOfTag(dict[str, "_Kind | None"]):
    """Tag (with any namespace) -> the element kinds the reader acts on; memoised."""

    def __missing__(self, tag: str) -> _Kind | None:
        local = _local(tag)
        kind = next((k for k in _Kind if k.value == local), None)
        self[tag] = kind
        return kind


class _SlotOfTag(dict[str, int]):
    """Tag -> record column index, or a special slot; memoised."""

    def __missing__(self, tag: str) -> int:
        local = _local(tag)
        if local in ITEM_ELEMENTS:
            slot = _COLUMN_INDEX[ITEM_ELEMENTS[local]]
        else:
            slot = {ADDRESS_LINE: _ADDRESS_SLOT, SEN_NEED: _SEN_NEED_SLOT}.get(local, _OTHER_SLOT)
        self[tag] = slot
        return slot


def read_xml_return(path: Path) -> ParsedReturn:
    """Read an XML return. Raises InputFileError for anything unreadable."""
    refuse_dtd(path)
    with open_for_reading(path) as raw:
        buffer, header_items = _parse(raw, path)
    header = _header(header_items, path)
    return ParsedReturn(source=path, header=header, records=buffer.table())


def _parse(raw: BinaryIO, path: Path) -> tuple[ColumnBuffer, dict[str, str | None] | None]:
    buffer = ColumnBuffer()
    header_items: dict[str, str | None] | None = None
    source = Utf8CheckingReader(raw, str(path))
    kinds, slots = _KindOfTag(), _SlotOfTag()
    container: Element | None = None  # the <Pupils> element, to drop each pupil once read
    try:
        # Safe: refuse_dtd has proved the file declares no DTD, so no entities exist.
        events = ET.iterparse(source, events=("start", "end"))  # noqa: S314
        for event, element in events:
            kind = kinds[element.tag]
            if kind is None:
                continue
            if event == "start":
                container = element if kind is _Kind.PUPILS else container
            elif kind is _Kind.PUPIL:
                buffer.add(_pupil_values(element, slots, path, buffer.rows + 1))
                _forget(element, container)
            elif kind is _Kind.HEADER:
                header_items = _header_items(element, header_items, path)
    except ET.ParseError as error:
        raise _parse_error(error, path) from None
    return buffer, header_items


def _forget(pupil: Element, container: Element | None) -> None:
    """Drop a pupil's elements once read, so the tree never holds more than one pupil."""
    pupil.clear()
    if container is not None:
        # Pupils read in this chunk are at the front of <Pupils>: found at once.
        with contextlib.suppress(ValueError):  # not a direct child: cleared is enough
            container.remove(pupil)


def _text(element: Element) -> str | None:
    text = element.text
    if text is None:
        return None
    return text.strip() or None


def _pupil_values(
    pupil: Element, slots: _SlotOfTag, path: Path, record_no: int
) -> list[str | None]:
    values: list[str | None] = [None] * len(RECORD_COLUMNS)
    address_lines: list[str] = []
    for element in pupil.iter():
        slot = slots[element.tag]
        if slot >= 0:
            value = _text(element)
            if value is not None:
                if values[slot] is not None:
                    raise _repeated_item(RECORD_COLUMNS[slot], path, record_no)
                values[slot] = value
        elif slot == _ADDRESS_SLOT:
            line = _text(element)
            if line:
                address_lines.append(line)
        elif slot == _SEN_NEED_SLOT:
            _store_sen_need(values, element, path, record_no)
    if address_lines:
        values[_COLUMN_INDEX["address"]] = ADDRESS_SEPARATOR.join(address_lines)
    return values


def _repeated_item(column: str, path: Path, record_no: int) -> InputFileError:
    return InputFileError(
        f"the record has more than one {column} item",
        where=Location(file=str(path), row=record_no, field=column),
        hint="give each item once per <Pupil> (docs/formats.md)",
    )


def _store_sen_need(values: list[str | None], need: Element, path: Path, record_no: int) -> None:
    parts = {_local(child.tag): _text(child) for child in need}
    sen_type, rank = parts.get("SENtype"), parts.get("SENtypeRank")
    if sen_type is None:
        return
    if rank is None:  # no rank: the first free place, primary before secondary
        free = [c for c in SEN_TYPE_BY_RANK.values() if values[_COLUMN_INDEX[c]] is None]
        column = free[0] if free else "sen_type_2"
    elif rank in SEN_TYPE_BY_RANK:
        column = SEN_TYPE_BY_RANK[rank]
    else:
        raise InputFileError(
            "a SEN need has a rank other than 1 (primary) or 2 (secondary)",
            where=Location(file=str(path), row=record_no, field="sen_type"),
            hint="give at most two SEN needs, ranked 1 and 2",
        )
    index = _COLUMN_INDEX[column]
    if values[index] is not None:
        raise _repeated_item(column, path, record_no)
    values[index] = sen_type


def _header_items(
    element: Element, earlier: dict[str, str | None] | None, path: Path
) -> dict[str, str | None]:
    if earlier is not None:
        raise InputFileError(
            "the file has more than one <Header>",
            where=Location(file=str(path)),
            hint="send one return per file, with one <Header>",
        )
    return _items(element, HEADER_PATHS)


def _items(element: Element, paths: dict[tuple[str, ...], str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    stack: list[tuple[tuple[str, ...], Element]] = [((), element)]
    while stack:
        prefix, current = stack.pop()
        for child in current:
            child_path = (*prefix, _local(child.tag))
            if child_path in paths:
                found[paths[child_path]] = _text(child)
            else:
                stack.append((child_path, child))
    return found


def _header(items: dict[str, str | None] | None, path: Path) -> ReturnHeader:
    if items is None:
        raise InputFileError(
            "the file has no <Header>",
            where=Location(file=str(path)),
            hint="a return starts with a <Header> giving the collection, year, "
            "reference date and LEA (docs/formats.md)",
        )
    return header_from_items(items, path)


def _parse_error(error: ET.ParseError, path: Path) -> InputFileError:
    line, column = error.position
    position = f"line {line}, column {column + 1}"
    if error.code == _TRUNCATED:
        message = "the XML ends before it is complete (the file may be truncated)"
    else:
        message = f"the XML is not well-formed ({ErrorString(error.code)})"
    return InputFileError(
        message, where=Location(file=str(path), position=position), hint=_STRUCTURE_HINT
    )
