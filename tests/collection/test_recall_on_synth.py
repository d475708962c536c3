"""Recall on synthetic returns: every error ``safepupil synth --inject-errors`` plants
(listed in injected_errors.csv) is reported at its file, record and field by a rule
for its kind, records without an injected error get no error, and a clean census
gives no errors at all."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from safepupil.collection.model import Severity, ValidationReport
from safepupil.collection.read import read_return
from safepupil.collection.rules import RULES
from safepupil.collection.validate import validate_return
from safepupil.errors import InputFileError

synth = pytest.importorskip("safepupil.synth")

PUPILS = 1_500  # across the 152 LAs of 2018
ERROR_RATE = 0.06


def _ids(prefixes: tuple[str, ...], suffix: str = "") -> frozenset[str]:
    return frozenset(
        rule.id for rule in RULES if rule.id.startswith(prefixes) and rule.id.endswith(suffix)
    )


CODE_RULES = ("AP-SEX", "AP-ETH", "AP-SEN", "AP-SET", "AP-RSN")
# The rules that may report each kind of injected error (docs/formats.md).
KIND_RULES: dict[str, frozenset[str]] = {
    "wrong_check_letter": frozenset({"AP-UPN-05"}),
    "unknown_code": _ids(CODE_RULES, "-01") | {"AP-SEN-03"},  # SEN-03: SEN type
    "code_not_valid_on_census_date": _ids(CODE_RULES, "-02") | {"AP-SEN-04"},
    "missing_mandatory": _ids(("AP-REQ",)),
    "duplicate_upn": frozenset({"AP-UPN-06"}),
    "dob_out_of_range": frozenset({"AP-AGE-01"}),
    "placement_end_before_start": frozenset({"AP-PLC-01"}),
    "placement_outside_period": frozenset({"AP-PLC-02"}),
}
FILE_LEVEL_KINDS = frozenset({"malformed_xml"})


def _generate(out: Path, file_format: str, rate: float) -> Path:
    spec = synth.SynthSpec(
        year=2018,
        pupils=PUPILS,
        school_pupils=0,
        seed=11,
        file_format=synth.OutputFormat(file_format),
        inject_errors=rate,
    )
    synth.generate_census(spec, out)
    return out


def _validate_all(folder: Path) -> Iterator[tuple[str, ValidationReport | InputFileError]]:
    for path in sorted(folder.glob("ap_census_*")):
        try:
            yield path.name, validate_return(read_return(path))
        except InputFileError as error:
            yield path.name, error


@pytest.fixture(scope="module", params=["xml", "csv"])
def census_with_errors(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    folder = tmp_path_factory.mktemp(f"synth-{request.param}")
    return _generate(folder, request.param, ERROR_RATE)


@pytest.mark.slow
def test_every_injected_error_is_reported(census_with_errors: Path) -> None:
    outcomes = dict(_validate_all(census_with_errors))
    with (census_with_errors / "injected_errors.csv").open(encoding="utf-8") as manifest:
        injected = list(csv.DictReader(manifest))
    assert {row["kind"] for row in injected} >= set(KIND_RULES)  # every kind is tried
    missed = []
    for row in injected:
        outcome = outcomes[row["file"]]
        if row["kind"] in FILE_LEVEL_KINDS:
            if not isinstance(outcome, InputFileError):
                missed.append(row)
            continue
        assert isinstance(outcome, ValidationReport), row["file"]
        reported = any(
            f.record == int(row["record"])
            and f.field == row["field"]
            and f.rule_id in KIND_RULES[row["kind"]]
            for f in outcome.findings
        )
        if not reported:
            missed.append(row)
    assert missed == [], f"recall below 100%: {len(missed)} of {len(injected)} missed"


@pytest.mark.slow
def test_records_without_injected_errors_get_no_errors(census_with_errors: Path) -> None:
    with (census_with_errors / "injected_errors.csv").open(encoding="utf-8") as manifest:
        planted = {(row["file"], row["record"]) for row in csv.DictReader(manifest)}
    unexpected = [
        (name, finding.record, finding.rule_id)
        for name, outcome in _validate_all(census_with_errors)
        if isinstance(outcome, ValidationReport)
        for finding in outcome.errors
        if (name, str(finding.record)) not in planted
    ]
    assert unexpected == []


@pytest.mark.slow
def test_a_clean_census_has_no_errors(tmp_path: Path) -> None:
    outcomes = dict(_validate_all(_generate(tmp_path, "xml", 0.0)))
    assert len(outcomes) == 152
    unreadable = [name for name, o in outcomes.items() if isinstance(o, InputFileError)]
    assert unreadable == []
    errors = {
        name: [f.rule_id for f in o.findings if f.severity is Severity.ERROR]
        for name, o in outcomes.items()
        if isinstance(o, ValidationReport) and not o.ok
    }
    assert errors == {}
    assert (
        sum(o.pupils_read for o in outcomes.values() if isinstance(o, ValidationReport)) == PUPILS
    )
