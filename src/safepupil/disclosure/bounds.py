"""Cheap valid bounds on the attacker's unknowns, by propagating them along the rows.

For a row sum_j a_j v_j = b and bounds lo <= v <= hi, every unknown is limited by
what the others can contribute: a_k v_k = b - sum_{j != k} a_j v_j. Repeating this
over all rows (feasibility-based bound tightening, as in LP presolve) gives bounds
that every feasible table obeys. They are not always the tightest: the audit uses
them only as certificates, when a feasible table already seen reaches one.
"""

from __future__ import annotations

import numpy as np

from safepupil.disclosure.attacker import Component
from safepupil.disclosure.cell_model import FloatArray, IntArray

PROPAGATION_ROUNDS = 25
# A bound must move by more than this to count as progress.
PROGRESS = 1e-9


def propagated_bounds(component: Component) -> tuple[FloatArray, FloatArray]:
    """(lo, hi) for every unknown of the component; lo starts at 0, hi at infinity."""
    count = len(component.cells)
    lo, hi = np.zeros(count), np.full(count, np.inf)
    starts, columns, coefs = component.row_start, component.columns, component.coefs
    if len(columns) == 0:
        return lo, hi
    row_of_entry = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
    rhs = component.rhs[row_of_entry]
    positive = coefs > 0
    for _ in range(PROPAGATION_ROUNDS):
        low_term = np.where(positive, coefs * lo[columns], coefs * hi[columns])
        high_term = np.where(positive, coefs * hi[columns], coefs * lo[columns])
        others_low = _sum_of_others(low_term, row_of_entry, len(starts) - 1)
        others_high = _sum_of_others(high_term, row_of_entry, len(starts) - 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            upper = np.where(positive, (rhs - others_low) / coefs, (rhs - others_high) / coefs)
            lower = np.where(positive, (rhs - others_high) / coefs, (rhs - others_low) / coefs)
        new_hi = hi.copy()
        new_lo = lo.copy()
        np.minimum.at(new_hi, columns, np.where(np.isnan(upper), np.inf, upper))
        np.maximum.at(new_lo, columns, np.where(np.isnan(lower), 0.0, lower))
        moved = np.any(new_hi < hi - PROGRESS) or np.any(new_lo > lo + PROGRESS)
        lo, hi = new_lo, new_hi
        if not moved:
            break
    return lo, hi


def _sum_of_others(terms: FloatArray, row_of_entry: IntArray, rows: int) -> FloatArray:
    """For each entry, the sum of the other entries of its row (infinities counted apart)."""
    infinite = ~np.isfinite(terms)
    finite_sum = np.bincount(row_of_entry, weights=np.where(infinite, 0.0, terms), minlength=rows)
    plus = np.bincount(row_of_entry, weights=(terms == np.inf).astype(float), minlength=rows)
    minus = np.bincount(row_of_entry, weights=(terms == -np.inf).astype(float), minlength=rows)
    own_plus = (terms == np.inf).astype(float)
    own_minus = (terms == -np.inf).astype(float)
    others = finite_sum[row_of_entry] - np.where(infinite, 0.0, terms)
    others = np.where(plus[row_of_entry] - own_plus > 0, np.inf, others)
    # +inf and -inf among the others together leave the sum unknown: no bound from here.
    both = (plus[row_of_entry] - own_plus > 0) & (minus[row_of_entry] - own_minus > 0)
    others = np.where(minus[row_of_entry] - own_minus > 0, -np.inf, others)
    return np.where(both, np.nan, others)
