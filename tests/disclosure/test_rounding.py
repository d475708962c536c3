"""Rounding to base 5 after suppression: boundary table, low, and the interval it implies."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safepupil.disclosure.rounding import round_to_base, rounding_interval, shown_count


@pytest.mark.parametrize(
    ("n", "base", "rounded"),
    [
        (0, 5, 0), (1, 5, 0), (2, 5, 0), (3, 5, 5), (7, 5, 5), (8, 5, 10), (10, 5, 10),
        (12, 5, 10), (13, 5, 15), (5, 10, 10), (4, 10, 0), (15, 10, 20), (7, 1, 7), (-3, 5, -5),
    ],
)  # fmt: skip
def test_round_to_nearest_multiple_halves_up(n: int, base: int, rounded: int) -> None:
    assert round_to_base(n, base) == rounded


def test_a_small_non_zero_count_shows_low_and_zero_stays_zero() -> None:
    assert shown_count(2, 5, "low") == "low"
    assert shown_count(0, 5, "low") == 0
    assert shown_count(13, 5, "low") == 15


@given(n=st.integers(0, 10**6), base=st.integers(1, 50))
def test_the_true_count_is_always_inside_the_rounding_interval(n: int, base: int) -> None:
    shown = round_to_base(n, base)
    assert shown % base == 0 and abs(shown - n) <= base / 2
    lo, hi = rounding_interval(shown, base)
    assert lo <= n <= hi


def test_a_base_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        round_to_base(3, 0)
