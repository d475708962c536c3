"""UPN rules: each problem kind, duplicates, and the vectorised check letter against
``domain.upn.upn_problem``."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safepupil.collection.rules.upn import PROBLEM_CODES, PROBLEM_RULES, upn_problem_codes
from safepupil.domain.upn import CHECK_ALPHABET, UpnProblem, make_upn, upn_problem
from tests.collection.conftest import findings_of, pupil, rule_ids, valid_upn

GOOD = valid_upn(1)
OTHER_LETTER = next(c for c in CHECK_ALPHABET if c != GOOD[0])


@pytest.mark.parametrize(
    ("upn", "expected"),
    [
        (GOOD, set()),
        (GOOD.lower(), set()),  # compared upper case, as the domain does
        (make_upn("201", "1234", 5, "01A"), set()),  # temporary UPN
        (GOOD[:-1], {"AP-UPN-01"}),
        (GOOD + "1", {"AP-UPN-01"}),
        ("1" + GOOD[1:], {"AP-UPN-02"}),
        (GOOD[:5] + "X" + GOOD[6:], {"AP-UPN-02"}),
        (make_upn("201", "1234", 5, "00A")[:-1] + "I", {"AP-UPN-03"}),
        (make_upn("999", "1234", 5, "001"), {"AP-UPN-04"}),
        (OTHER_LETTER + GOOD[1:], {"AP-UPN-05"}),
        (make_upn("835", "1234", 5, "001"), set()),  # an LA that later ended still issued UPNs
    ],
)
def test_upn_problem_boundaries(upn: str, expected: set[str]) -> None:
    assert rule_ids(findings_of([pupil(1, upn=upn)])) == expected


def test_missing_upn_is_the_mandatory_rule_only() -> None:
    assert rule_ids(findings_of([pupil(1, upn=None)])) == {"AP-REQ-01"}


def test_every_later_duplicate_is_reported_naming_the_first_record() -> None:
    same = valid_upn(7)
    pupils = [pupil(1, upn=same), pupil(2), pupil(3, upn=same.lower()), pupil(4, upn=same)]
    findings = [f for f in findings_of(pupils) if f.rule_id == "AP-UPN-06"]
    assert [f.record for f in findings] == [3, 4]
    assert all(f.message.endswith("The first is record 1.") for f in findings)
    assert all(f.field == "upn" for f in findings)


def test_two_pairs_of_duplicates_name_their_own_first_records() -> None:
    pupils = [pupil(1), pupil(2), pupil(3, upn=valid_upn(2)), pupil(4, upn=valid_upn(1))]
    findings = [f for f in findings_of(pupils) if f.rule_id == "AP-UPN-06"]
    assert [(f.record, f.message[-2]) for f in findings] == [(3, "2"), (4, "1")]


def test_each_problem_has_its_own_rule() -> None:
    assert set(PROBLEM_RULES) == set(UpnProblem)
    assert len({rule.id for rule in PROBLEM_RULES.values()}) == len(UpnProblem)


def _mutations(upn: str) -> st.SearchStrategy[str]:
    position = st.integers(min_value=0, max_value=len(upn) - 1)
    char = st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz -ß\u00e9")
    return st.builds(lambda i, c: upn[:i] + c + upn[i + 1 :], position, char)


UPN_LIKE = st.one_of(
    st.builds(
        make_upn,
        st.sampled_from(["201", "835", "999", "000", "941", "330"]),
        st.from_regex(r"\A[0-9]{4}\Z"),
        st.integers(min_value=0, max_value=99),
        st.from_regex(r"\A[0-9]{2}[0-9ABCDEFGHJKLMNPQRTUVWXYZ]\Z"),
    ).flatmap(lambda upn: st.one_of(st.just(upn), _mutations(upn))),
    st.text(max_size=15),
    st.from_regex(r"\A\s*[A-Za-z][0-9]{11}[0-9A-Za-z]\s*\Z"),
)


@settings(deadline=None)  # the first call pays for loading codesets and LAs
@given(st.lists(st.one_of(st.none(), UPN_LIKE), max_size=25))
def test_vectorised_upn_checks_agree_with_the_domain(values: list[str | None]) -> None:
    codes = upn_problem_codes(pa.array(values, pa.string()))
    for value, code in zip(values, codes.tolist(), strict=True):
        problem = upn_problem(value) if value is not None else None
        assert code == (PROBLEM_CODES[problem] if problem else 0), value


@settings(deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.sampled_from(["a", "A", " a", "b", "B1", "c"])), max_size=30)
)
def test_duplicates_agree_with_a_plain_python_reference(values: list[str | None]) -> None:
    first_record: dict[str, int] = {}
    expected = []
    for record, value in enumerate(values, start=1):
        if value is None:
            continue
        key = value.strip().upper()
        if key in first_record:
            expected.append((record, f"The first is record {first_record[key]}."))
        else:
            first_record[key] = record
    pupils = [pupil(n, upn=value) for n, value in enumerate(values, start=1)]
    findings = [f for f in findings_of(pupils) if f.rule_id == "AP-UPN-06"]
    assert [(f.record, f.message.rsplit(". ", 1)[-1]) for f in findings] == expected
