"""An independent attacker for the tests: a dense LP over the interior cells, built from scratch.

It shares nothing with safepupil.disclosure but the Dimension type: each published cell
is the sum of the interior cells in its box, every released cell is fixed at its value,
and the min and max of each suppressed cell are solved from a cold start.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

import highspy
import numpy as np

from safepupil.disclosure import Dimension, ProtectedRelease


def brute_intervals(
    counts: Mapping[tuple[str, ...], int],
    dimensions: Sequence[Dimension],
    release: ProtectedRelease,
    public: Sequence[tuple[tuple[str, ...], tuple[str, ...]]] = (),
) -> dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[float, float]]:
    """(table, key) -> (min, max) for every suppressed cell, by brute-force LP.

    ``public`` cells (of any table) are known to the attacker: their true values,
    summed here from ``counts``, are fixed too.
    """
    interior = list(itertools.product(*(d.codes for d in dimensions)))
    names = [d.name for d in dimensions]

    def box_row(table: tuple[str, ...], key: tuple[str, ...]) -> np.ndarray:
        wanted = dict(zip(table, key, strict=True))
        row = np.zeros(len(interior))
        for i, leaves in enumerate(interior):
            inside = all(
                name not in wanted or leaf in d.leaves(wanted[name])
                for name, leaf, d in zip(names, leaves, dimensions, strict=True)
            )
            row[i] = 1.0 if inside else 0.0
        return row

    released = [c for c in release.cells if c.released_value is not None]
    rows = [box_row(c.table, c.key) for c in released]
    values = [float(c.value) for c in released]
    truth = np.array([float(counts.get(key, 0)) for key in interior])
    for table, key in public:
        row = box_row(table, key)
        rows.append(row)
        values.append(float(row @ truth))
    a_eq = np.array(rows).reshape(-1, len(interior))
    b_eq = np.array(values)
    out = {}
    for cell in release.cells:
        if cell.released_value is None:
            objective = box_row(cell.table, cell.key)
            lo = solve_min(objective, a_eq, b_eq)
            hi = -solve_min(-objective, a_eq, b_eq)
            out[(cell.table, cell.key)] = (lo, hi)
    return out


def solve_min(
    objective: np.ndarray, a_eq: np.ndarray | list[np.ndarray], b_eq: np.ndarray | list[float]
) -> float:
    """min objective . x subject to a_eq x = b_eq, x >= 0 (-inf when unbounded)."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    n = len(objective)
    h.addVars(n, np.zeros(n), np.full(n, highspy.kHighsInf))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), objective)
    for row, value in zip(a_eq, b_eq, strict=True):
        nz = np.flatnonzero(row).astype(np.int32)
        h.addRow(value, value, len(nz), nz, row[nz])
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return float(h.getInfo().objective_function_value)
    if status in (
        highspy.HighsModelStatus.kUnbounded,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        return -math.inf
    raise AssertionError(f"brute LP ended {h.modelStatusToString(status)}")
