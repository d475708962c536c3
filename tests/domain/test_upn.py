import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safepupil.domain.census_calendar import census_day
from safepupil.domain.local_authorities import local_authorities_on
from safepupil.domain.upn import (
    CHECK_ALPHABET,
    UpnProblem,
    is_temporary,
    is_valid_upn,
    make_upn,
    upn_problem,
)

VECTORS = list(csv.DictReader((Path(__file__).parent.parent / "data/upn_test_vectors.csv").open()))


@pytest.mark.parametrize("row", VECTORS, ids=[r["upn"] for r in VECTORS])
def test_published_and_computed_vectors(row: dict[str, str]) -> None:
    assert is_valid_upn(row["upn"]) is (row["valid"] == "true"), row["reason"]


@pytest.mark.parametrize(
    ("upn", "problem"),
    [
        ("B80120000500", UpnProblem.WRONG_LENGTH),
        ("B8012000050011", UpnProblem.WRONG_LENGTH),
        ("", UpnProblem.WRONG_LENGTH),
        ("X80120000A001", UpnProblem.MALFORMED),
        ("880120000500A", UpnProblem.MALFORMED),
        ("B80120000500I", UpnProblem.BAD_TEMPORARY_LETTER),
        ("B80120000500O", UpnProblem.BAD_TEMPORARY_LETTER),
        ("E000200005001", UpnProblem.UNKNOWN_LA),
        ("A801200005001", UpnProblem.WRONG_CHECK_LETTER),
        ("B801200005001", None),
        (" b801200005001 ", None),  # normalised: trimmed and upper-cased
    ],
)
def test_problem_table(upn: str, problem: UpnProblem | None) -> None:
    assert upn_problem(upn) is problem


def test_check_alphabet_excludes_confusable_letters() -> None:
    assert len(CHECK_ALPHABET) == 23
    assert not set("IOS") & set(CHECK_ALPHABET)


LA_CODES = [la.code for la in local_authorities_on(census_day(2018))]
bodies = st.builds(
    lambda la, est, yr, serial, temp: make_upn(
        la, f"{est:04d}", yr, f"{serial // 10:02d}{temp}" if temp else f"{serial:03d}"
    ),
    st.sampled_from(LA_CODES),
    st.integers(0, 9999),
    st.integers(0, 99),
    st.integers(0, 999),
    st.sampled_from(["", *CHECK_ALPHABET]),
)


@given(bodies)
def test_generated_upns_are_valid(upn: str) -> None:
    assert is_valid_upn(upn)
    assert is_temporary(upn) is upn[-1].isalpha()


@given(bodies, st.integers(0, 12), st.sampled_from("0123456789" + CHECK_ALPHABET))
def test_any_single_change_is_rejected_or_changes_the_check_letter(
    upn: str, position: int, replacement: str
) -> None:
    if upn[position] == replacement:
        return
    changed = upn[:position] + replacement + upn[position + 1 :]
    if is_valid_upn(changed):
        # The one aliasing in DfE's algorithm: in position 13 a letter counts as its index
        # in the check alphabet, so digit d and the d-th letter weigh the same (a
        # permanent UPN and its temporary twin). Every other change moves the weighted
        # sum mod the prime 23 (weights and differences are all below 23).
        assert position == 12
        assert CHECK_ALPHABET.find(replacement) == int(upn[12]) or (
            replacement.isdigit() and CHECK_ALPHABET.find(upn[12]) == int(replacement)
        )
    else:
        assert upn_problem(changed) is not None
