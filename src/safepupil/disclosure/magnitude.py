"""Primary rules for magnitude cells (sums and means): dominance and contributor counts.

A magnitude cell's total can reveal one pupil's value when one or two pupils make up
most of it. The engine gives each cell's total and its two largest per-pupil totals
(``top1`` >= ``top2``), which is all these rules need. Each rule is a small pure
function returning a reason in plain words, or None when the cell passes.
"""

from __future__ import annotations

from collections.abc import Sequence

Number = int | float


def contributor_rule(n_pupils: int, threshold: int) -> str | None:
    """A statistic (mean, median, proportion, sum) of fewer than ``threshold`` pupils."""
    if n_pupils < threshold:
        return f"based on fewer than {threshold} pupils"
    return None


def nk_dominance_rule(
    total: Number, largest: Sequence[Number | None], n: int, k_percent: float
) -> str | None:
    """N-K rule: the ``n`` largest contributions make up ``k_percent`` or more of the total.

    Contributions are non-negative here (counts of sessions, days); a cell with fewer
    than ``n`` known contributions, or a total of zero or less, cannot be judged and fails.
    """
    top = list(largest[:n])
    if len(top) < n or any(value is None for value in top) or total <= 0:
        return f"too few contributions to check that no {n} pupils dominate the total"
    share = sum(value for value in top if value is not None)
    if share * 100 >= k_percent * total:
        return f"{n} pupils make up {k_percent:g} % or more of the total (dominance)"
    return None


def p_percent_rule(
    total: Number, top1: Number | None, top2: Number | None, p_percent: float
) -> str | None:
    """p % rule: the second-largest contributor, subtracting its own value from the total,
    could estimate the largest to within ``p_percent`` of it.

    The remainder ``total - top1 - top2`` is what hides the largest from the second;
    it must be at least p % of the largest.
    """
    if top1 is None or top2 is None:
        return "too few contributions to check the p % rule"
    if top1 <= 0:
        return None  # no contribution to reveal
    remainder = total - top1 - top2
    if remainder * 100 < p_percent * top1:
        return f"the largest contribution could be estimated to within {p_percent:g} % (p % rule)"
    return None


def proportion_rule(numerator: int, n_pupils: int, threshold: int) -> str | None:
    """A proportion reveals two counts: those meeting the condition and those not.

    Either one between 1 and ``threshold - 1`` is a small cell in disguise.
    """
    for part in (numerator, n_pupils - numerator):
        if 0 < part < threshold:
            return f"fewer than {threshold} pupils meet (or do not meet) the condition"
    return None
