"""Certificates: witness tables the audit checks itself, and what they prove.

A witness (witnesses.py) is a whole table. The audit does not take the search's word
for it: it keeps only the tables that give every released or public cell its true
value, add up along every row and have no count below zero. Each such table is one
the attacker cannot rule out, so the lowest and highest value it gives a suppressed
cell lie inside the attacker's interval. Row propagation (bounds.py) bounds the
interval from outside; where a witness reaches the bound, that end is exact.
"""

from __future__ import annotations

import numpy as np

from safepupil.disclosure.attacker import Component
from safepupil.disclosure.bounds import propagated_bounds
from safepupil.disclosure.cell_model import BoolArray, CellModel, FloatArray, IntArray
from safepupil.disclosure.witnesses import Witnesses

# A checked table may miss a row or a zero by this much (the solvers' own accuracy is
# about 1e-7 of a pupil); the audit's tolerance on widths is the same.
CHECK_TOLERANCE = 1e-6


def checked_spread(
    model: CellModel, known: BoolArray, cells: IntArray, witnesses: Witnesses | None
) -> tuple[FloatArray, FloatArray]:
    """Lowest and highest value of every model cell over the witness tables that pass.

    Only tables that attain some listed cell's lowest or highest value are checked;
    the true table is always one of them.
    """
    values = model.values.astype(np.float64)
    lo, hi = values.copy(), values.copy()
    if witnesses is None or not np.array_equal(witnesses.values, values):
        return lo, hi
    used = np.union1d(witnesses.lo_from[cells], witnesses.hi_from[cells])
    for witness in used[used > 0].tolist():
        table = witnesses.table(witness)
        if consistent_with_release(model, known, table):
            np.minimum(lo, table, out=lo)
            np.maximum(hi, table, out=hi)
    return lo, hi


def consistent_with_release(model: CellModel, known: BoolArray, table: FloatArray) -> bool:
    """Could this be the true table, for someone who sees only the release?"""
    if np.any(table < -CHECK_TOLERANCE):
        return False
    if np.any(np.abs(table[known] - model.values[known]) > CHECK_TOLERANCE):
        return False
    row_of_entry = model.row_of_entry
    residual = np.bincount(
        row_of_entry, weights=model.row_coefs * table[model.row_cells], minlength=model.row_count
    )
    return bool(np.all(np.abs(residual) <= CHECK_TOLERANCE))


def certified_ends(
    component: Component, columns: IntArray, seen: tuple[FloatArray, FloatArray]
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """(lo, hi, lo_bound, hi_bound) of the columns; a bound is NaN where its end is exact.

    ``seen``: the lowest and highest value checked tables give each unknown.
    """
    floor, ceiling = propagated_bounds(component)
    floor = np.maximum(floor[columns], 0.0)
    ceiling = ceiling[columns]
    lo, hi = seen[0][columns], seen[1][columns]
    lo_exact = lo <= floor + CHECK_TOLERANCE
    hi_exact = hi >= ceiling - CHECK_TOLERANCE
    return (
        np.where(lo_exact, floor, lo),
        np.where(hi_exact, ceiling, hi),
        np.where(lo_exact, np.nan, floor),
        np.where(hi_exact, np.nan, ceiling),
    )
