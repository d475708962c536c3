"""The AP census returns on disk: one per LA, valid headers, clean records, exact formats."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from safepupil.collection.model import HEADER_COLUMNS, RECORD_COLUMNS
from safepupil.domain.census_calendar import census_day
from safepupil.domain.local_authorities import local_authorities_on
from safepupil.domain.upn import is_valid_upn
from safepupil.synth import OutputFormat, SynthResult, generate_census
from tests.synth.conftest import file_bytes, la_of, small_spec
from tests.synth.readback import (
    Record,
    Return,
    csv_records,
    file_violations,
    read_csv,
    read_xml,
)

YEAR = 2018
LAS_2018 = {la.code for la in local_authorities_on(census_day(YEAR))}
CSV_HEADER = (
    "collection,year,reference_date,return_la,upn,uln,surname,forename,middle_names,"
    "preferred_surname,dob,sex,ethnicity,address,postcode,uprn,sen_provision,sen_type_1,"
    "sen_type_2,placement_la,urn,ukprn,ap_setting_type,placement_reason,placement_start,"
    "placement_end"
)


def test_one_xml_return_for_each_of_the_152_las(clean_run: SynthResult) -> None:
    names = {path.name for path in clean_run.ap_files}
    assert len(LAS_2018) == 152
    assert names == {f"ap_census_2018_{code}.xml" for code in LAS_2018}
    assert all(path.exists() for path in clean_run.files)
    assert set(clean_run.ap_pupils_by_la) == LAS_2018


def test_headers_name_the_collection_year_census_day_and_la(
    clean_returns: dict[str, Return],
) -> None:
    assert set(clean_returns) == LAS_2018
    for la, returned in clean_returns.items():
        header = returned.header
        assert header["Collection"] == "AP"
        assert header["Year"] == "2018"
        assert header["ReferenceDate"] == "2018-01-18"
        assert header["SourceLevel"] == "L"
        assert header["LEA"] == la
        assert header["SerialNo"] == "001"
        assert dt.datetime.fromisoformat(header["DateTime"]).date() > dt.date(2018, 1, 18)


def test_clean_returns_break_no_rule(
    clean_run: SynthResult, clean_returns: dict[str, Return]
) -> None:
    pupils = 0
    for la, returned in clean_returns.items():
        records = returned.records
        pupils += len(records)
        assert len(records) == clean_run.ap_pupils_by_la[la] >= 1
        broken = [v for v in file_violations(records, la, YEAR) if v]
        assert broken == [], la
        assert {r["placement_la"] for r in records} == {la}
    assert pupils == clean_run.ap_pupils == 24_500


def test_every_upn_is_valid_unique_and_of_its_la(
    clean_run: SynthResult, clean_records: list[Record]
) -> None:
    upns = [r["upn"] or "" for r in clean_records]
    assert all(
        is_valid_upn(u) and u[1:4] == r["return_la"]
        for u, r in zip(upns, clean_records, strict=True)
    )
    assert len(set(upns)) == clean_run.ap_pupils


def test_xml_address_has_one_to_five_lines(clean_records: list[Record]) -> None:
    assert all(1 <= len((r["address"] or "").split(", ")) <= 5 for r in clean_records)


def test_csv_columns_are_exactly_those_of_the_format(tmp_path: Path) -> None:
    result = generate_census(small_spec(file_format=OutputFormat.CSV), tmp_path)
    assert {p.suffix for p in result.ap_files} == {".csv"}
    text = result.ap_files[0].read_text("utf-8")
    assert text.splitlines()[0] == CSV_HEADER
    assert CSV_HEADER.split(",") == [*HEADER_COLUMNS, *RECORD_COLUMNS]
    for path in result.ap_files:
        columns, rows = read_csv(path)
        la = la_of(path)
        assert columns == CSV_HEADER.split(",")
        assert {
            (r["collection"], r["year"], r["reference_date"], r["return_la"]) for r in rows
        } == {("AP", "2018", "2018-01-18", la)}
        assert not any(v for v in file_violations(csv_records(rows), la, YEAR))


def test_csv_and_xml_hold_the_same_records(tmp_path: Path) -> None:
    xml = generate_census(small_spec(), tmp_path / "xml")
    csv = generate_census(small_spec(file_format=OutputFormat.CSV), tmp_path / "csv")
    for xml_path, csv_path in zip(xml.ap_files, csv.ap_files, strict=True):
        assert read_xml(xml_path).records == csv_records(read_csv(csv_path)[1])


def test_same_arguments_give_byte_identical_files(tmp_path: Path) -> None:
    spec = small_spec(inject_errors=0.05)
    first = file_bytes(generate_census(spec, tmp_path / "a").out_dir)
    second = file_bytes(generate_census(spec, tmp_path / "b").out_dir)
    assert first.keys() == second.keys()
    assert first == second


def test_another_seed_gives_other_files(tmp_path: Path) -> None:
    first = file_bytes(generate_census(small_spec(seed=1), tmp_path / "a").out_dir)
    second = file_bytes(generate_census(small_spec(seed=2), tmp_path / "b").out_dir)
    assert first.keys() == second.keys()
    differing = [name for name in first if first[name] != second[name]]
    assert len(differing) == len(first)


def test_rerun_overwrites_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate_census(small_spec(seed=1, inject_errors=0.1), out)
    assert (out / "injected_errors.csv").exists()
    result = generate_census(small_spec(seed=2), out)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(p.name for p in result.files)  # the stale manifest is gone
    assert not any(name.startswith(".") for name in names)
    fresh = generate_census(small_spec(seed=2), tmp_path / "fresh")
    assert file_bytes(out) == file_bytes(fresh.out_dir)


@pytest.mark.parametrize("year", [2016, 2020, 2025])
def test_other_years_have_their_own_las_and_valid_codes(tmp_path: Path, year: int) -> None:
    result = generate_census(small_spec(year=year, school_pupils=0), tmp_path)
    las = {la.code for la in local_authorities_on(census_day(year))}
    assert set(result.ap_pupils_by_la) == las
    for path in result.ap_files[::15]:
        returned = read_xml(path)
        la = la_of(path)
        assert returned.header["Year"] == str(year)
        assert not any(v for v in file_violations(returned.records, la, year))
