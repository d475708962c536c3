"""Rounding released counts to a base, after suppression.

Each released count is rounded on its own to the nearest multiple of the base (halves
up), so totals are rounded too and need not equal the sum of their rounded parts. A
count that is not zero but rounds to zero is shown as DfE's ``low``. Rounding happens
after suppression and its audit: it can only widen what an attacker can deduce (see
docs/safe-outputs.md), so the audit proof still holds.
"""

from __future__ import annotations


def round_to_base(n: int, base: int) -> int:
    """The nearest multiple of ``base`` to ``n`` (a half rounds up): 7 -> 5, 8 -> 10."""
    if base < 1:
        raise ValueError("the rounding base must be at least 1")
    if n < 0:
        return -round_to_base(-n, base)
    return ((2 * n + base) // (2 * base)) * base  # floor(n / base + 1/2) in integers


def shown_count(n: int, base: int, low_symbol: str) -> int | str:
    """What a released count shows: its rounded value, or ``low`` for a small non-zero."""
    rounded = round_to_base(n, base)
    if rounded == 0 and n != 0:
        return low_symbol
    return rounded


def rounding_interval(shown: int, base: int) -> tuple[float, float]:
    """The true values a rounded count could have come from (inclusive, as reals)."""
    return (max(0.0, shown - base / 2), shown + base / 2)
