"""Header rules, the placement LA, mandatory items and the consistency queries."""

from __future__ import annotations

import pytest

from safepupil.collection.model import Severity
from safepupil.collection.rules.required import MANDATORY_ITEMS
from tests.collection.conftest import HEADER, findings_of, pupil, rule_ids


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, set()),
        ({"collection": "SC"}, {"AP-HDR-01"}),
        ({"reference_date": "2018-01-17"}, {"AP-HDR-02"}),
        ({"reference_date": "2018-01-25"}, {"AP-HDR-02"}),
        ({"return_la": "999"}, {"AP-HDR-03", "AP-LA-01"}),
        ({"return_la": "838"}, {"AP-HDR-03", "AP-LA-01"}),  # Dorset's new number: from 2019
        ({"return_la": "835"}, {"AP-LA-01"}),  # Dorset's old number: valid in 2018
    ],
)
def test_header_boundaries(changes: dict[str, str], expected: set[str]) -> None:
    findings = findings_of([pupil(1)], {**HEADER, **changes})
    assert rule_ids(findings) == expected
    assert all(f.record is None for f in findings if f.rule_id.startswith("AP-HDR"))


def test_file_level_findings_come_first() -> None:
    findings = findings_of([pupil(1, sex="ZZZ")], {**HEADER, "collection": "SC"})
    assert [f.rule_id for f in findings] == ["AP-HDR-01", "AP-SEX-01"]


def test_empty_return_is_a_query() -> None:
    findings = findings_of([])
    assert [(f.rule_id, f.severity) for f in findings] == [("AP-HDR-04", Severity.QUERY)]


@pytest.mark.parametrize(("placement_la", "flagged"), [("201", False), ("202", True), (None, True)])
def test_every_placement_la_is_the_return_la(placement_la: str | None, flagged: bool) -> None:
    findings = findings_of([pupil(1), pupil(2, placement_la=placement_la)])
    assert [f.record for f in findings if f.rule_id == "AP-LA-01"] == ([2] if flagged else [])


@pytest.mark.parametrize("item", list(MANDATORY_ITEMS))
def test_each_mandatory_item_missing_is_reported_once(item: str) -> None:
    findings = findings_of([pupil(1), pupil(2, **{item: None})])
    assert [(f.rule_id, f.record, f.field) for f in findings] == [
        (MANDATORY_ITEMS[item][0], 2, item)
    ]
    assert findings[0].severity is Severity.ERROR


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"sen_type_1": None, "sen_type_2": "ASD"}, {("AP-SEN-05", "sen_type_2")}),
        ({"sen_type_1": None, "sen_type_2": None}, set()),
        ({"sen_provision": "N"}, {("AP-SEN-06", "sen_type_1")}),
        ({"sen_provision": "N", "sen_type_1": None, "sen_type_2": None}, set()),
        (
            {"sen_provision": "N", "sen_type_1": None},
            {("AP-SEN-05", "sen_type_2"), ("AP-SEN-06", "sen_type_2")},
        ),
        ({"dob": "2004-01-18", "uln": "9000000001"}, set()),  # 14 on census day
        ({"dob": "2004-01-19", "uln": "9000000001"}, {("AP-ULN-01", "uln")}),  # 13
        ({"dob": "2004-01-19", "uln": None}, set()),
        ({"urn": None, "ukprn": None, "ap_setting_type": None}, {("AP-PLC-03", "urn")}),
        ({"urn": None, "ukprn": None}, set()),
    ],
)
def test_consistency_queries(
    changes: dict[str, str | None], expected: set[tuple[str, str]]
) -> None:
    findings = findings_of([pupil(1, **changes)])
    assert {(f.rule_id, f.field) for f in findings} == expected
    assert all(f.severity is Severity.QUERY for f in findings)
