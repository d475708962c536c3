"""Reading synthetic returns back in the tests, independently of the synth package.

A small reader written from docs/formats.md with the standard library and defusedxml,
so a writer bug cannot hide behind a reader that shares its code.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import defusedxml.ElementTree as ElementTree

from safepupil.collection.model import RECORD_COLUMNS
from safepupil.domain.census_calendar import age_on, census_day, census_period
from safepupil.domain.codesets import codeset
from safepupil.domain.upn import UpnProblem, upn_problem

Record = dict[str, str | None]

ITEM_ELEMENTS = {
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
    "URN": "urn",
    "UKPRN": "ukprn",
    "APsettingType": "ap_setting_type",
    "PlacementReason": "placement_reason",
    "EntryDate": "placement_start",
    "LeavingDate": "placement_end",
}
MANDATORY = (
    "upn",
    "surname",
    "forename",
    "dob",
    "sex",
    "sen_provision",
    "placement_reason",
    "placement_start",
)
CODED = {
    "sex": "sex",
    "ethnicity": "ethnicity",
    "sen_provision": "sen_provision",
    "sen_type_1": "sen_type",
    "sen_type_2": "sen_type",
    "ap_setting_type": "ap_setting_type",
    "placement_reason": "placement_reason",
}
PLAUSIBLE_AGES = (4, 19)


@dataclass(frozen=True)
class Return:
    header: dict[str, str]
    records: list[Record]


def read_xml(path: Path) -> Return:
    root = ElementTree.parse(path).getroot()
    header = {
        element.tag: element.text or ""
        for element in root.find("Header").iter()
        if len(element) == 0
    }
    records = [_pupil(pupil) for pupil in root.find("Pupils").findall("Pupil")]
    return Return(header=header, records=records)


def _pupil(pupil: object) -> Record:
    record: Record = dict.fromkeys(RECORD_COLUMNS)
    lines = []
    for element in pupil.iter():  # type: ignore[attr-defined]
        if element.tag in ITEM_ELEMENTS:
            record[ITEM_ELEMENTS[element.tag]] = element.text
        elif element.tag == "AddressLine":
            lines.append(element.text)
        elif element.tag == "SENneed":
            rank = element.findtext("SENtypeRank")
            record[f"sen_type_{rank}"] = element.findtext("SENtype")
    placement = pupil.find("Placement")  # type: ignore[attr-defined]
    record["placement_la"] = placement.findtext("LEA") if placement is not None else None
    record["address"] = ", ".join(lines) if lines else None
    return record


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def csv_records(rows: list[dict[str, str]]) -> list[Record]:
    return [{name: (row[name] or None) for name in RECORD_COLUMNS} for row in rows]


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def violations(record: Record, return_la: str, year: int) -> set[str]:
    """The error kinds of docs/formats.md that ``record`` breaks (duplicates apart)."""
    found = {"missing_mandatory" for name in MANDATORY if not record.get(name)}
    day = census_day(year)
    upn = record.get("upn")
    if upn:
        problem = upn_problem(upn)
        if problem is UpnProblem.WRONG_CHECK_LETTER:
            found.add("wrong_check_letter")
        elif problem is not None or upn[1:4] != return_la:
            found.add("bad_upn")
    for name, codeset_name in CODED.items():
        value = record.get(name)
        if value:
            code = codeset(codeset_name).get(value)
            if code is None:
                found.add("unknown_code")
            elif not code.is_valid_on(day):
                found.add("code_not_valid_on_census_date")
    dob = _date(record.get("dob"))
    if (
        dob
        and not PLAUSIBLE_AGES[0] <= age_on(dob.year, dob.month, dob.day, day) <= PLAUSIBLE_AGES[1]
    ):
        found.add("dob_out_of_range")
    start, end = _date(record.get("placement_start")), _date(record.get("placement_end"))
    if start and end and end < start:
        found.add("placement_end_before_start")
    if start and not census_period(year).overlaps(start, end):
        found.add("placement_outside_period")
    return found


def file_violations(records: list[Record], return_la: str, year: int) -> list[set[str]]:
    """Per record (in file order), its violations, with duplicate_upn on the later record."""
    seen: set[str] = set()
    result = []
    for record in records:
        found = violations(record, return_la, year)
        upn = record.get("upn")
        if upn and upn in seen:
            found.add("duplicate_upn")
        if upn:
            seen.add(upn)
        result.append(found)
    return result
