"""Cells public elsewhere: never hidden, fixed for the attacker, published or not."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safepupil.disclosure import CellStatus, Dimension, FrequencyPolicy, protect_linked_counts
from safepupil.errors import DisclosureRefused
from tests.disclosure.brute_audit import brute_intervals

REASON = Dimension("reason", ("PRG", "MHN", "YOF"))
SEX = Dimension("sex", ("F", "M"))
AGE = Dimension("age", ("11-13", "14-15"))
DIMS = [REASON, SEX, AGE]
TABLES = [("reason", "sex"), ("reason", "age")]


def joint_sex_age_is_public() -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The records reveal how many withheld pupils there are of each sex and age band."""
    return [
        (("sex", "age"), key)
        for key in itertools.product((*SEX.codes, "Total"), (*AGE.codes, "Total"))
    ]


def test_an_unpublished_public_table_is_fixed_for_the_attacker() -> None:
    counts = {
        ("PRG", "F", "14-15"): 12,
        ("PRG", "F", "11-13"): 2,
        ("MHN", "F", "14-15"): 9,
        ("MHN", "M", "14-15"): 14,
        ("MHN", "M", "11-13"): 11,
        ("YOF", "M", "14-15"): 25,
        ("YOF", "M", "11-13"): 13,
        ("YOF", "F", "11-13"): 10,
    }
    public = joint_sex_age_is_public()
    release = protect_linked_counts(counts, DIMS, TABLES, FrequencyPolicy(), public_cells=public)
    assert release.primary_count == 2  # (MHN, F) = 9 and (PRG, 11-13) = 2
    for (_table, key), (lo, hi) in brute_intervals(counts, DIMS, release, public).items():
        assert hi - lo >= 10 - 1e-6, key
    # Public cells of a published table are shown, never hidden.
    assert release.cell(("reason", "sex"), ("Total", "F")).status is CellStatus.RELEASED
    # Unpublished public cells are not part of the release.
    assert all(cell.table in TABLES for cell in release.cells)


@st.composite
def cases(draw):  # type: ignore[no-untyped-def]
    keys = list(itertools.product(*(d.codes for d in DIMS)))
    counts = {key: draw(st.one_of(st.integers(0, 8), st.integers(0, 40))) for key in keys}
    candidates = [
        *joint_sex_age_is_public(),
        (("reason", "sex"), ("Total", "Total")),
        (("reason", "sex"), ("Total", "F")),
        (("reason", "age"), ("Total", "14-15")),
        (("reason", "age"), ("PRG", "Total")),
    ]
    public = draw(st.lists(st.sampled_from(candidates), unique=True, max_size=6))
    return counts, public


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_public_cells_either_refuse_or_protect(case) -> None:  # type: ignore[no-untyped-def]
    counts, public = case
    policy = FrequencyPolicy(threshold=5, protection_width=5)
    try:
        release = protect_linked_counts(counts, DIMS, TABLES, policy, public_cells=public)
    except DisclosureRefused:
        return
    intervals = brute_intervals(counts, DIMS, release, public)
    for (_table, key), (lo, hi) in intervals.items():
        assert hi - lo >= 5 - 1e-6, key
    for table, key in public:
        if table in TABLES:
            cell = release.cell(table, key)
            assert cell.status is not CellStatus.SECONDARY


def test_a_small_public_cell_of_a_published_table_is_refused() -> None:
    counts = {("PRG", "F", "14-15"): 3, ("MHN", "M", "14-15"): 30}
    with pytest.raises(DisclosureRefused, match="already public"):
        protect_linked_counts(
            counts,
            DIMS,
            TABLES,
            FrequencyPolicy(),
            public_cells=[(("reason", "sex"), ("Total", "F"))],
        )
