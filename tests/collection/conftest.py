"""Small AP census returns built from the format contract (docs/formats.md), in XML
and CSV, for the reader and validation tests."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Callable, Mapping
from pathlib import Path
from xml.sax.saxutils import escape

import pyarrow as pa
import pytest

from safepupil.collection.model import (
    HEADER_COLUMNS,
    RECORD_COLUMNS,
    Finding,
    ParsedReturn,
    ReturnHeader,
)
from safepupil.collection.read_support import records_table
from safepupil.collection.validate import ValidationSettings, validate_return
from safepupil.domain.upn import make_upn

Pupil = dict[str, str | None]
HEADER: dict[str, str] = {
    "collection": "AP",
    "year": "2018",
    "reference_date": "2018-01-18",
    "return_la": "201",
}


def valid_upn(serial: int, la: str = "201") -> str:
    return make_upn(la, f"{1234 + serial // 1000:04d}", 5, f"{serial % 1000:03d}")


def pupil(number: int = 1, **items: str | None) -> Pupil:
    """A clean pupil record (every rule passes); ``items`` override single items."""
    record: Pupil = dict.fromkeys(RECORD_COLUMNS)
    record.update(
        upn=valid_upn(number),
        uln=f"{9000000000 + number}",
        surname=f"Surname{number}",
        forename=f"Forename{number}",
        middle_names="Middle",
        preferred_surname=None,
        dob="2003-04-01",
        sex="M" if number % 2 else "F",
        ethnicity="WBRI",
        address=f"{number} Example Road, Townsville",
        postcode="AB1 2CD",
        uprn=f"1000{number:08d}",
        sen_provision="E",
        sen_type_1="ASD",
        sen_type_2="SLCN",
        placement_la="201",
        urn="100000",
        ukprn="10000001",
        ap_setting_type="OOT",
        placement_reason="MHN",
        placement_start="2017-09-04",
        placement_end=None,
    )
    record.update(items)
    return record


def clean_pupils(count: int = 5) -> list[Pupil]:
    return [pupil(number) for number in range(1, count + 1)]


# --- XML ---------------------------------------------------------------------------

XML_GROUPS: dict[str, tuple[tuple[str, str], ...]] = {
    "PupilIdentifiers": (
        ("UPN", "upn"),
        ("ULN", "uln"),
        ("Surname", "surname"),
        ("Forename", "forename"),
        ("MiddleNames", "middle_names"),
        ("PreferredSurname", "preferred_surname"),
        ("DOB", "dob"),
        ("Sex", "sex"),
    ),
    "PupilCharacteristics": (("Ethnicity", "ethnicity"),),
    "Placement": (
        ("LEA", "placement_la"),
        ("URN", "urn"),
        ("UKPRN", "ukprn"),
        ("APsettingType", "ap_setting_type"),
        ("PlacementReason", "placement_reason"),
        ("EntryDate", "placement_start"),
        ("LeavingDate", "placement_end"),
    ),
}


def _element(name: str, value: str | None) -> str:
    return f"<{name}>{escape(value)}</{name}>" if value is not None else ""


def _shuffled(parts: list[str], rng: random.Random | None) -> list[str]:
    if rng is not None:
        rng.shuffle(parts)
    return parts


def xml_pupil(record: Mapping[str, str | None], rng: random.Random | None = None) -> str:
    groups = []
    for group, items in XML_GROUPS.items():
        inner = [_element(tag, record[column]) for tag, column in items]
        groups.append(f"<{group}>{''.join(_shuffled(inner, rng))}</{group}>")
    address = [_element("AddressLine", line) for line in (record["address"] or "").split(", ")]
    address = [line for line in address if line != "<AddressLine></AddressLine>"]
    # Address lines keep their order (it is the address); the postcode may move.
    address_block = [
        f"<Address>{''.join(address)}{_element('Postcode', record['postcode'])}</Address>"
    ]
    home = _shuffled([*address_block, _element("UPRN", record["uprn"])], rng)
    groups.append(f"<HomeInformation>{''.join(home)}</HomeInformation>")
    needs = [
        f"<SENneed><SENtype>{escape(record[column] or '')}</SENtype>"
        f"<SENtypeRank>{rank}</SENtypeRank></SENneed>"
        for rank, column in ((1, "sen_type_1"), (2, "sen_type_2"))
        if record[column] is not None
    ]
    groups.append(
        "<SpecialEducationalNeeds>"
        f"{_element('SENprovision', record['sen_provision'])}"
        f"<SENneeds>{''.join(_shuffled(needs, rng))}</SENneeds></SpecialEducationalNeeds>"
    )
    return f"<Pupil>{''.join(_shuffled(groups, rng))}</Pupil>"


def xml_return(
    pupils: list[Pupil],
    header: Mapping[str, str] = HEADER,
    *,
    namespace: str | None = None,
    shuffle_seed: int | None = None,
    pretty: bool = True,
) -> str:
    rng = random.Random(shuffle_seed) if shuffle_seed is not None else None
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    head = (
        "<Header><CollectionDetails>"
        f"{_element('Collection', header['collection'])}{_element('Year', header['year'])}"
        f"{_element('ReferenceDate', header['reference_date'])}</CollectionDetails>"
        "<Source><SourceLevel>L</SourceLevel>"
        f"{_element('LEA', header['return_la'])}<SoftwareCode>TEST</SoftwareCode>"
        "<Release>0.1</Release><SerialNo>001</SerialNo>"
        "<DateTime>2018-01-25T11:14:05</DateTime></Source></Header>"
    )
    separator = "\n    " if pretty else ""
    body = separator.join(xml_pupil(p, rng) for p in pupils)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Message{xmlns}>\n  {head}\n  <Pupils>{separator}{body}\n  </Pupils>\n</Message>\n"
    )


# --- CSV ---------------------------------------------------------------------------


def csv_return(pupils: list[Pupil], header: Mapping[str, str] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*HEADER_COLUMNS, *RECORD_COLUMNS])
    for record in pupils:
        row = [header[name] for name in HEADER_COLUMNS]
        row += [record[name] or "" for name in RECORD_COLUMNS]
        writer.writerow(row)
    return out.getvalue()


# --- fixtures ----------------------------------------------------------------------

WriteReturn = Callable[..., Path]


@pytest.fixture
def write_return(tmp_path: Path) -> WriteReturn:
    """Write text (or bytes) to a file under tmp_path and return its path."""

    def write(content: str | bytes, name: str = "ap_census_2018_201.xml") -> Path:
        path = tmp_path / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return path

    return write


@pytest.fixture
def clean_xml(write_return: WriteReturn) -> Path:
    return write_return(xml_return(clean_pupils()))


@pytest.fixture
def clean_csv(write_return: WriteReturn) -> Path:
    return write_return(csv_return(clean_pupils()), "ap_census_2018_201.csv")


# --- in-memory returns for rule tests (no file I/O) --------------------------------


def parsed_return(
    pupils: list[Pupil], header: Mapping[str, str] = HEADER, name: str = "return.csv"
) -> ParsedReturn:
    columns = [
        pa.chunked_array([pa.array([p[c] for p in pupils], pa.string())]) for c in RECORD_COLUMNS
    ]
    return ParsedReturn(
        source=Path(name),
        header=ReturnHeader(
            collection=header["collection"],
            year=int(header["year"]),
            reference_date=dt.date.fromisoformat(header["reference_date"]),
            la=header["return_la"],
        ),
        records=records_table(columns, len(pupils)),
    )


def findings_of(
    pupils: list[Pupil], header: Mapping[str, str] = HEADER, **settings: int
) -> tuple[Finding, ...]:
    return validate_return(parsed_return(pupils, header), ValidationSettings(**settings)).findings


def rule_ids(findings: tuple[Finding, ...]) -> set[str]:
    return {finding.rule_id for finding in findings}
