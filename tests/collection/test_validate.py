"""validate_return: clean returns pass, reports are well formed, and findings never
carry a pupil's values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safepupil.collection.model import HEADER_COLUMNS, RECORD_COLUMNS, Severity
from safepupil.collection.read import read_return
from safepupil.collection.rules import CHECKS, RULE_BY_ID, RULES
from safepupil.collection.validate import ValidationSettings, validate_return
from safepupil.errors import ConfigError
from tests.collection.conftest import Pupil, clean_pupils, parsed_return, pupil

DETAIL = re.compile(r"^( The first is record \d+\.| The plausible range is \d+ to \d+\.)?$")
HEADER_FIELDS = {"collection", "reference_date", "return_la"}


def test_clean_xml_return_has_no_findings(clean_xml: Path) -> None:
    report = validate_return(read_return(clean_xml))
    assert report.findings == ()
    assert report.ok
    assert report.pupils_read == 5
    assert report.source == str(clean_xml)


def test_clean_csv_return_has_no_findings(clean_csv: Path) -> None:
    report = validate_return(read_return(clean_csv))
    assert (report.findings, report.pupils_read) == ((), 5)


def test_report_separates_errors_from_queries_and_names_the_file() -> None:
    pupils = [pupil(1, sex="ZZZ"), pupil(2, sen_type_1=None), pupil(3)]
    report = validate_return(parsed_return(pupils, name="ap_census_2018_201.csv"))
    assert [(f.record, f.rule_id) for f in report.errors] == [(1, "AP-SEX-01")]
    assert [(f.record, f.rule_id) for f in report.queries] == [(2, "AP-SEN-05")]
    assert {f.file for f in report.findings} == {"ap_census_2018_201.csv"}
    assert not report.ok


def test_findings_are_ordered_by_record_then_field() -> None:
    pupils = [pupil(1, placement_reason=None, sex="ZZZ"), pupil(2, upn=None), pupil(3)]
    findings = validate_return(parsed_return(pupils)).findings
    assert [(f.record, f.field) for f in findings] == [
        (1, "sex"),
        (1, "placement_reason"),
        (2, "upn"),
    ]


@pytest.mark.parametrize(("min_age", "max_age"), [(5, 4), (-1, 19)])
def test_an_empty_or_negative_age_range_is_refused(min_age: int, max_age: int) -> None:
    with pytest.raises(ConfigError):
        ValidationSettings(min_age=min_age, max_age=max_age)


def test_rule_catalogue_is_complete_and_unique() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids)) == len(RULE_BY_ID)
    assert all(re.fullmatch(r"AP-[A-Z]{2,3}-\d{2}", rule_id) for rule_id in ids)
    assert all(rule.title and rule.action for rule in RULES)
    assert {rule.severity for rule in RULES} == {Severity.ERROR, Severity.QUERY}
    assert len(CHECKS) >= 10


VALUE = st.one_of(
    st.none(),
    st.text(max_size=14),
    st.from_regex(r"\A[A-Z][0-9]{12}\Z"),
    st.dates().map(lambda day: day.isoformat()),
    st.sampled_from(["M", "ZZZ", "A", "S", "N", "WBRI", "201", "202", "", " "]),
)


@st.composite
def messy_returns(draw: st.DrawFn) -> list[Pupil]:
    pupils = []
    for number in range(1, draw(st.integers(min_value=1, max_value=6)) + 1):
        record = pupil(number)
        record.update(draw(st.dictionaries(st.sampled_from(RECORD_COLUMNS), VALUE, max_size=8)))
        if number > 1 and draw(st.booleans()):
            record["upn"] = pupils[0]["upn"]
        pupils.append(record)
    return pupils


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(messy_returns())
def test_findings_never_carry_pupil_values(pupils: list[Pupil]) -> None:
    findings = validate_return(parsed_return(pupils)).findings
    values = {value for record in pupils for value in record.values() if value}
    for finding in findings:
        rule = RULE_BY_ID[finding.rule_id]
        # Every message is the rule's fixed text plus, at most, a record number or the
        # age range: nothing taken from the records.
        assert finding.message.startswith(rule.message)
        assert DETAIL.match(finding.message[len(rule.message) :])
        assert finding.field in {*RECORD_COLUMNS, *HEADER_FIELDS, None}
        assert finding.field not in HEADER_COLUMNS or finding.record is None
        leaked = {
            value
            for value in values
            if len(value) >= 3 and value in finding.message and value not in rule.message
        }
        assert not leaked


def test_messages_of_a_messy_return_hold_no_names_upns_or_postcodes() -> None:
    pupils = clean_pupils(4)
    pupils[1].update(upn=pupils[0]["upn"], sex="X", dob="2018-02-30", postcode="ZZ9 9ZZ")
    pupils[2].update(surname=None, placement_start="2019-01-01", placement_end="2018-01-01")
    report = validate_return(parsed_return(pupils))
    text = " ".join(f"{f.field} {f.message}" for f in report.findings)
    assert len(report.errors) >= 5
    for record in pupils:
        for item in ("upn", "surname", "forename", "postcode", "dob", "address"):
            value = record[item]
            assert value is None or value not in text
