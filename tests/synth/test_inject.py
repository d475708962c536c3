"""Injected errors: the manifest is complete and exact, so a validator's recall can be measured."""

from __future__ import annotations

import csv
import re
from collections import Counter
from xml.etree.ElementTree import ParseError

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safepupil.collection.model import RECORD_COLUMNS
from safepupil.synth import SynthResult
from safepupil.synth.inject import RECORD_KINDS, ErrorKind, plan_injection
from tests.synth.conftest import la_of
from tests.synth.readback import csv_records, file_violations, read_csv, read_xml

YEAR = 2018
ALL_RECORD_KINDS = {
    "wrong_check_letter",
    "unknown_code",
    "code_not_valid_on_census_date",
    "missing_mandatory",
    "duplicate_upn",
    "dob_out_of_range",
    "placement_end_before_start",
    "placement_outside_period",
}


def _manifest(result: SynthResult) -> list[dict[str, str]]:
    assert result.manifest is not None
    with result.manifest.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["file", "record", "field", "kind", "detail"]
        return list(reader)


def test_kinds_in_code_match_the_format() -> None:
    assert {kind.value for kind in RECORD_KINDS} == ALL_RECORD_KINDS
    assert {kind.value for kind in ErrorKind} == ALL_RECORD_KINDS | {"malformed_xml"}


def test_xml_manifest_covers_every_kind_and_one_malformed_file(injected_xml: SynthResult) -> None:
    rows = _manifest(injected_xml)
    kinds = Counter(row["kind"] for row in rows)
    assert set(kinds) == ALL_RECORD_KINDS | {"malformed_xml"}
    assert kinds["malformed_xml"] == 1
    assert len(rows) == injected_xml.injected_errors
    records = injected_xml.ap_pupils
    assert 0.02 * records <= len(rows) <= 0.04 * records


def test_csv_manifest_covers_every_record_kind_and_no_malformed_file(
    injected_csv: SynthResult,
) -> None:
    kinds = {row["kind"] for row in _manifest(injected_csv)}
    assert kinds == ALL_RECORD_KINDS


def test_the_malformed_file_really_fails_to_parse(injected_xml: SynthResult) -> None:
    (row,) = [r for r in _manifest(injected_xml) if r["kind"] == "malformed_xml"]
    assert row["record"] == "" and row["field"] == ""
    path = injected_xml.out_dir / row["file"]
    with pytest.raises(ParseError):
        read_xml(path)
    assert re.search(rb"<Surname>[^<]$", path.read_bytes())  # cut inside an element


def _expected(rows: list[dict[str, str]]) -> dict[str, dict[int, set[str]]]:
    expected: dict[str, dict[int, set[str]]] = {}
    for row in rows:
        if row["record"]:
            record = int(row["record"])
            assert record not in expected.get(row["file"], {}), "two errors in one record"
            expected.setdefault(row["file"], {})[record] = {row["kind"]}
    return expected


@pytest.mark.parametrize("fixture", ["injected_xml", "injected_csv"])
def test_each_injected_record_carries_exactly_its_error(
    request: pytest.FixtureRequest, fixture: str
) -> None:
    result: SynthResult = request.getfixturevalue(fixture)
    rows = _manifest(result)
    expected = _expected(rows)
    malformed = {r["file"] for r in rows if r["kind"] == "malformed_xml"}
    for path in result.ap_files:
        if path.name in malformed:
            continue
        if path.suffix == ".xml":
            records = read_xml(path).records
        else:
            records = csv_records(read_csv(path)[1])
        found = {
            number: kinds
            for number, kinds in enumerate(file_violations(records, la_of(path), YEAR), start=1)
            if kinds
        }
        assert found == expected.get(path.name, {}), path.name


def test_manifest_fields_name_what_was_changed(injected_xml: SynthResult) -> None:
    rows = [r for r in _manifest(injected_xml) if r["record"]]
    assert all(r["field"] in RECORD_COLUMNS for r in rows)
    by_file: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_file.setdefault(row["file"], []).append(row)
    for name, file_rows in by_file.items():
        records = read_xml(injected_xml.out_dir / name).records
        for row in file_rows:
            record = records[int(row["record"]) - 1]
            if row["kind"] == "missing_mandatory":
                assert record[row["field"]] is None
            if row["kind"] == "duplicate_upn":
                source = int(row["detail"].rsplit(" ", 1)[1])
                assert source < int(row["record"])
                assert records[source - 1]["upn"] == record["upn"]


def test_no_manifest_without_errors(clean_run: SynthResult) -> None:
    assert clean_run.manifest is None and clean_run.injected_errors == 0
    assert not (clean_run.out_dir / "injected_errors.csv").exists()


counts_strategy = st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(
    counts=counts_strategy,
    rate=st.floats(min_value=1e-6, max_value=0.95),
    seed=st.integers(0, 2**32 - 1),
    truncate=st.booleans(),
)
def test_plan_gives_each_record_at_most_one_error(
    counts: list[int], rate: float, seed: int, truncate: bool
) -> None:
    plan = plan_injection(
        np.array(counts), rate, np.random.default_rng(seed), year=YEAR, truncate=truncate
    )
    assert (plan.truncated_file is not None) is truncate
    planned = [(f, e) for f, errors in plan.by_file.items() for e in errors]
    assert len({(f, e.record) for f, e in planned}) == len(planned)
    targets = {(f, e.record) for f, e in planned}
    for file, error in planned:
        assert file != plan.truncated_file
        assert 0 <= error.record < counts[file]
        if error.kind is ErrorKind.DUPLICATE_UPN:
            assert error.source is not None and 0 <= error.source < error.record
            assert (file, error.source) not in targets
        else:
            assert error.source is None
    usable = sum(counts) - (
        counts[plan.truncated_file] if truncate and plan.truncated_file is not None else 0
    )
    if usable >= 4 * len(RECORD_KINDS):
        assert {e.kind for _, e in planned} == set(RECORD_KINDS)


@pytest.mark.parametrize(
    ("rate", "records", "expected"),
    [
        (0.0, 1000, 0),  # no rate, no errors
        (1e-6, 1000, 8),  # a tiny rate still gets one of each kind
        (0.01, 1000, 10),
        (0.1, 1000, 100),
    ],
)
def test_number_of_planned_errors(rate: float, records: int, expected: int) -> None:
    plan = plan_injection(
        np.array([records]), rate, np.random.default_rng(1), year=YEAR, truncate=False
    )
    assert plan.record_errors == expected
