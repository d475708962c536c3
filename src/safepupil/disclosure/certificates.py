"""Certificates: witness tables the audit checks itself, and what they prove.

A witness (witnesses.py) is a whole table. The audit does not take the search's word
for it: it keeps only the tables that give every released or public cell its true
value, add up along every row and have no count below zero. Each such table is one
the attacker cannot rule out, so the lowest and highest value it gives a suppressed
cell lie inside the attacker's interval. Row propagation (bounds.py) bounds the
interval from outside; where a witness reaches the bound, that end is exact.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from safepupil.disclosure.attacker import Component
from safepupil.disclosure.bounds import propagated_bounds
from safepupil.disclosure.cell_model import BoolArray, CellModel, FloatArray, IntArray
from safepupil.disclosure.neighbourhood import expand_ranges
from safepupil.disclosure.witnesses import Witnesses

# A checked table may miss a row or a zero by this much (the solvers' own accuracy is
# about 1e-7 of a pupil); the audit's tolerance on widths is the same.
CHECK_TOLERANCE = 1e-6
# (change, row) residuals summed at once: a batch of changes takes about 16 MB.
CHECK_BATCH_ROWS = 2_000_000


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
    changes = [witnesses.changes[w] for w in used[used > 0].tolist()]
    if not consistent_with_release(model, known, values):
        return lo, hi  # never expected: each change is checked against the true table
    passed = [
        c for c, ok in zip(changes, consistent_changes(model, known, changes), strict=True) if ok
    ]
    if passed:
        moved = np.concatenate([where for where, _ in passed])
        table = values[moved] + np.concatenate([change for _, change in passed])
        np.minimum.at(lo, moved, table)
        np.maximum.at(hi, moved, table)
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


def consistent_changes(
    model: CellModel, known: BoolArray, changes: Sequence[tuple[IntArray, FloatArray]]
) -> BoolArray:
    """Per change (cells, value - true value): is the true table so changed consistent
    with the release (consistent_with_release)? The true table must be: then a change
    passes when no count goes below zero, no known cell moves and every row's changes
    add up to nothing. The changes are checked a batch at a time, each batch at once."""
    per_batch = max(1, CHECK_BATCH_ROWS // max(1, model.row_count))
    passed = [
        _consistent_batch(model, known, changes[first : first + per_batch])
        for first in range(0, len(changes), per_batch)
    ]
    return np.concatenate(passed) if passed else np.zeros(0, dtype=bool)


def _consistent_batch(
    model: CellModel, known: BoolArray, changes: Sequence[tuple[IntArray, FloatArray]]
) -> BoolArray:
    lengths = np.array([len(cells) for cells, _ in changes], dtype=np.int64)
    change_of = np.repeat(np.arange(len(changes)), lengths)
    cells = np.concatenate([cells for cells, _ in changes])
    moved = np.concatenate([change for _, change in changes])
    bad = (model.values[cells] + moved < -CHECK_TOLERANCE) | (
        known[cells] & (np.abs(moved) > CHECK_TOLERANCE)
    )
    start, entries_of_cell = model.entries_of_cell
    counts = start[cells + 1] - start[cells]
    entries = entries_of_cell[expand_ranges(start[cells], counts)]
    # One residual per (change, row) of the batch: a dense sum, no sort.
    slot = np.repeat(change_of, counts) * model.row_count + model.row_of_entry[entries]
    weights = model.row_coefs[entries] * np.repeat(moved, counts)
    residual = np.bincount(slot, weights=weights, minlength=len(changes) * model.row_count)
    failed = np.zeros(len(changes), dtype=bool)
    failed[change_of[bad]] = True
    failed |= np.any(np.abs(residual.reshape(len(changes), -1)) > CHECK_TOLERANCE, axis=1)
    return ~failed


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
