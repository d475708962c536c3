"""Magnitude rules as boundary tables: contributors, N-K dominance, p %, proportions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safepupil.disclosure.magnitude import (
    contributor_rule,
    nk_dominance_rule,
    p_percent_rule,
    proportion_rule,
)


@pytest.mark.parametrize(
    ("n_pupils", "fails"), [(0, True), (1, True), (9, True), (10, False), (11, False)]
)
def test_contributor_threshold_of_ten(n_pupils: int, fails: bool) -> None:
    assert (contributor_rule(n_pupils, 10) is not None) is fails


@pytest.mark.parametrize(
    ("total", "top1", "top2", "fails"),
    [
        (100, 50, 34, False),  # 84 % < 85 %
        (100, 50, 35, True),  # exactly 85 %: fails
        (100, 80, 10, True),
        (1000, 100, 100, False),
        (100, 50, None, True),  # too few contributions to judge
        (0, 0, 0, True),  # an empty total cannot be judged
    ],
)
def test_nk_dominance_two_and_85_percent(
    total: int, top1: int, top2: int | None, fails: bool
) -> None:
    assert (nk_dominance_rule(total, (top1, top2), 2, 85.0) is not None) is fails


@pytest.mark.parametrize(
    ("total", "top1", "top2", "fails"),
    [
        (110, 50, 50, False),  # remainder 10 = 20 % of the largest
        (105, 50, 50, False),  # remainder 5 = exactly 10 %: passes
        (104, 50, 50, True),  # remainder 4 < 10 % of 50
        (100, 100, 0, True),  # one pupil makes the whole total
        (0, 0, 0, False),  # nothing to reveal
        (100, None, None, True),
    ],
)
def test_p_percent_rule_at_10_percent(
    total: int, top1: int | None, top2: int | None, fails: bool
) -> None:
    assert (p_percent_rule(total, top1, top2, 10.0) is not None) is fails


@pytest.mark.parametrize(
    ("numerator", "n", "fails"),
    [
        (0, 40, False),
        (5, 40, True),
        (10, 40, False),
        (30, 40, False),
        (31, 40, True),
        (40, 40, False),
    ],
)
def test_proportion_hides_small_parts_on_both_sides(numerator: int, n: int, fails: bool) -> None:
    assert (proportion_rule(numerator, n, 10) is not None) is fails


@given(
    top1=st.integers(0, 1000),
    top2=st.integers(0, 1000),
    rest=st.integers(0, 100_000),
)
def test_a_cell_passing_p_percent_hides_the_largest_well_enough(
    top1: int, top2: int, rest: int
) -> None:
    top1, top2 = max(top1, top2), min(top1, top2)
    total = top1 + top2 + rest
    if p_percent_rule(total, top1, top2, 10.0) is None:
        # what the second-largest cannot account for is at least 10 % of the largest
        assert (total - top2 - top1) * 10 >= top1
