"""Render an AP census return as CBDS-style XML (docs/formats.md).

Absent items (None) are left out, as are groups whose items are all absent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape

from safepupil import __version__
from safepupil.collection.model import ReturnHeader

Record = Mapping[str, str | None]
INDENT = "  "
ADDRESS_LINE_SEPARATOR = ", "

# (element, flat-record column) per group, in the order of docs/formats.md.
IDENTIFIERS = (
    ("UPN", "upn"),
    ("ULN", "uln"),
    ("Surname", "surname"),
    ("Forename", "forename"),
    ("MiddleNames", "middle_names"),
    ("PreferredSurname", "preferred_surname"),
    ("DOB", "dob"),
    ("Sex", "sex"),
)
CHARACTERISTICS = (("Ethnicity", "ethnicity"),)
PLACEMENT = (
    ("LEA", "placement_la"),
    ("URN", "urn"),
    ("UKPRN", "ukprn"),
    ("APsettingType", "ap_setting_type"),
    ("PlacementReason", "placement_reason"),
    ("EntryDate", "placement_start"),
    ("LeavingDate", "placement_end"),
)
SEN_NEEDS = (("sen_type_1", "1"), ("sen_type_2", "2"))


def render_xml(header: ReturnHeader, records: Sequence[Record]) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<Message>"]
    lines += _header(header)
    lines.append(f"{INDENT}<Pupils>")
    for record in records:
        lines += _pupil(record, depth=2)
    lines.append(f"{INDENT}</Pupils>")
    lines.append("</Message>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _element(depth: int, name: str, value: str) -> str:
    return f"{INDENT * depth}<{name}>{escape(value)}</{name}>"


def _header(header: ReturnHeader) -> list[str]:
    return [
        f"{INDENT}<Header>",
        f"{INDENT * 2}<CollectionDetails>",
        _element(3, "Collection", header.collection),
        _element(3, "Year", str(header.year)),
        _element(3, "ReferenceDate", header.reference_date.isoformat()),
        f"{INDENT * 2}</CollectionDetails>",
        f"{INDENT * 2}<Source>",
        _element(3, "SourceLevel", "L"),
        _element(3, "LEA", header.la),
        _element(3, "SoftwareCode", header.software),
        _element(3, "Release", __version__),
        _element(3, "SerialNo", header.serial_no),
        _element(3, "DateTime", header.created),
        f"{INDENT * 2}</Source>",
        f"{INDENT}</Header>",
    ]


def _group(depth: int, name: str, children: list[str]) -> list[str]:
    if not children:
        return []
    return [f"{INDENT * depth}<{name}>", *children, f"{INDENT * depth}</{name}>"]


def _items(record: Record, items: Sequence[tuple[str, str]], depth: int) -> list[str]:
    return [
        _element(depth, element, value)
        for element, column in items
        if (value := record.get(column)) is not None
    ]


def _pupil(record: Record, depth: int) -> list[str]:
    inner = depth + 1
    children = (
        _group(inner, "PupilIdentifiers", _items(record, IDENTIFIERS, inner + 1))
        + _group(inner, "PupilCharacteristics", _items(record, CHARACTERISTICS, inner + 1))
        + _group(inner, "HomeInformation", _home(record, inner + 1))
        + _group(inner, "SpecialEducationalNeeds", _sen(record, inner + 1))
        + _group(inner, "Placement", _items(record, PLACEMENT, inner + 1))
    )
    return _group(depth, "Pupil", children)


def _home(record: Record, depth: int) -> list[str]:
    address = record.get("address")
    lines = address.split(ADDRESS_LINE_SEPARATOR) if address else []
    parts = [_element(depth + 1, "AddressLine", line) for line in lines]
    parts += _items(record, (("Postcode", "postcode"),), depth + 1)
    return _group(depth, "Address", parts) + _items(record, (("UPRN", "uprn"),), depth)


def _sen(record: Record, depth: int) -> list[str]:
    needs = []
    for column, rank in SEN_NEEDS:
        need = record.get(column)
        if need is not None:
            needs.append(
                f"{INDENT * (depth + 1)}<SENneed><SENtype>{escape(need)}</SENtype>"
                f"<SENtypeRank>{rank}</SENtypeRank></SENneed>"
            )
    provision = _items(record, (("SENprovision", "sen_provision"),), depth)
    return provision + _group(depth, "SENneeds", needs)
