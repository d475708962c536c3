"""Coded items: unknown code and code-not-valid-on-census-day are distinct rules."""

from __future__ import annotations

import pytest

from safepupil.collection.rules.codes import CODED_ITEMS
from safepupil.collection.rules.consistency import NO_SEN_PROVISION
from safepupil.domain.codesets import codeset
from tests.collection.conftest import findings_of, pupil, rule_ids


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("sen_provision", "S", set()),  # statements end 2018-03-31: valid in Jan 2018
        ("sen_provision", "E", set()),
        ("sen_provision", "A", {"AP-SEN-02"}),  # School Action ended 2015-08-31
        ("sen_provision", "P", {"AP-SEN-02"}),
        ("sen_provision", "ZZZ", {"AP-SEN-01"}),
        ("sex", "U", set()),
        ("sex", "m", {"AP-SEX-01"}),  # codes are case-sensitive
        ("sex", "ZZZ", {"AP-SEX-01"}),
        ("ethnicity", "ZZZ", {"AP-ETH-01"}),
        ("sen_type_1", "ZZZ", {"AP-SEN-03"}),
        ("sen_type_2", "ZZZ", {"AP-SEN-03"}),
        ("ap_setting_type", "ZZZ", {"AP-SET-01"}),
        ("ap_setting_type", "WBP", set()),
        ("placement_reason", "ZZZ", {"AP-RSN-01"}),
        ("placement_reason", "PRG", set()),
    ],
)
def test_code_boundaries(field: str, value: str, expected: set[str]) -> None:
    findings = findings_of([pupil(1, **{field: value})])
    assert rule_ids(findings) == expected
    assert all(f.field == field for f in findings)


def test_a_code_valid_in_2018_is_not_valid_in_a_later_census() -> None:
    header = {
        "collection": "AP",
        "year": "2019",
        "reference_date": "2019-01-17",
        "return_la": "201",
    }
    findings = findings_of([pupil(1, sen_provision="S", placement_start="2018-09-03")], header)
    assert rule_ids(findings) == {"AP-SEN-02"}


def test_optional_coded_items_may_be_absent() -> None:
    record = pupil(1, ethnicity=None, sen_type_1=None, sen_type_2=None, ap_setting_type=None)
    assert findings_of([record]) == ()


def test_every_coded_item_has_two_distinct_rules() -> None:
    from safepupil.collection.rules.codes import NOT_VALID_ON_CENSUS_DAY, UNKNOWN

    for item in CODED_ITEMS:
        assert UNKNOWN[item.codeset].id != NOT_VALID_ON_CENSUS_DAY[item.codeset].id
        assert len(codeset(item.codeset)) > 0


def test_the_no_sen_code_is_in_its_codeset() -> None:
    assert NO_SEN_PROVISION in codeset("sen_provision")
