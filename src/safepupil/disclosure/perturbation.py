"""The perturbation programme: the cheapest change to a table that moves one cell.

Over the cells of a box (neighbourhood.py, or every cell), find y such that every
additive row still holds (A y = 0), no count goes negative (x + y >= 0), public
cells do not move, and the target rises by ``rise``. y is split into an upward and
a downward part so that its absolute size can be costed linearly:

    minimise   sum_c cost_c (up_c + down_c)
    subject to A (up - down) = 0,  0 <= up_c <= up_limit_c,  0 <= down_c <= x_c.

When no single change can move the target far enough (a public total caps it from
above), the two-sided form looks for two changes, one up and one down, whose
difference in the target is at least ``rise``.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np

from safepupil.disclosure.cell_model import BoolArray, CellModel, FloatArray, IntArray
from safepupil.disclosure.neighbourhood import expand_ranges
from safepupil.disclosure.solver import INFINITY, new_highs, pass_lp, run
from safepupil.errors import InternalError


@dataclass(frozen=True)
class Limits:
    """How far each cell may move: public cells not at all, any count down to zero."""

    up: FloatArray
    down: FloatArray

    @classmethod
    def of(cls, model: CellModel, public: BoolArray) -> Limits:
        return cls(
            up=np.where(public, 0.0, INFINITY),
            down=np.where(public, 0.0, model.values.astype(np.float64)),
        )


@dataclass(frozen=True)
class _BoxRows:
    cells: IntArray  # model cell of each local column
    starts: IntArray
    columns: IntArray  # local columns of the up part; the down part is column + len(cells)
    coefs: FloatArray
    rhs: FloatArray  # per local row: minus what its cells outside the box add

    @classmethod
    def of(cls, model: CellModel, box: BoolArray, fixed: FloatArray | None = None) -> _BoxRows:
        """Every row with a box cell. ``fixed``: the change of the cells outside the box
        (none when not given): the box's part of each row must make up for it."""
        cells = np.flatnonzero(box)
        local = np.full(model.size, -1, dtype=np.int64)
        local[cells] = np.arange(len(cells))
        start, rows_of_cell = model.rows_of_cell
        rows = np.unique(rows_of_cell[expand_ranges(start[cells], np.diff(start)[cells])])
        lengths = model.row_start[rows + 1] - model.row_start[rows]
        entries = expand_ranges(model.row_start[rows], lengths)
        inside = box[model.row_cells[entries]]
        local_row = np.repeat(np.arange(len(rows)), lengths)
        kept = np.bincount(local_row[inside], minlength=len(rows))
        rhs: FloatArray = np.zeros(len(rows))
        if fixed is not None:
            outside = entries[~inside]
            weights = model.row_coefs[outside] * fixed[model.row_cells[outside]]
            sums = np.bincount(local_row[~inside], weights=weights, minlength=len(rows))
            rhs = -np.asarray(sums, dtype=np.float64)
        return cls(
            cells=cells,
            starts=np.concatenate(([0], np.cumsum(kept))).astype(np.int64),
            columns=local[model.row_cells[entries[inside]]],
            coefs=model.row_coefs[entries[inside]],
            rhs=rhs,
        )

    def split(self, offset: int) -> tuple[IntArray, IntArray, FloatArray]:
        """Rows over (up - down) with columns shifted by ``offset``."""
        m = len(self.cells)
        row_of_entry = np.repeat(np.arange(len(self.starts) - 1), np.diff(self.starts))
        order = np.argsort(np.concatenate((row_of_entry, row_of_entry)), kind="stable")
        columns = np.concatenate((self.columns, self.columns + m))[order] + offset
        coefs = np.concatenate((self.coefs, -self.coefs))[order]
        return 2 * self.starts, columns, coefs


def cheapest_rise(
    model: CellModel, box: BoolArray, target: int, rise: float, cost: FloatArray, limits: Limits
) -> FloatArray | None:
    """The cheapest change inside ``box`` raising ``target`` by ``rise`` (None if none)."""
    return cheapest_change(model, box, cost, limits, target=(target, rise))


def cheapest_change(
    model: CellModel,
    box: BoolArray,
    cost: FloatArray,
    limits: Limits,
    *,
    fixed: FloatArray | None = None,
    target: tuple[int, float] | None = None,
) -> FloatArray | None:
    """The cheapest change inside ``box`` (None if none), given the change outside it.

    ``fixed``: the change of every cell outside the box (0 when not given): each row's
    cells in the box must make up for it. ``target``: a box cell and the rise it takes.
    """
    rows = _BoxRows.of(model, box, fixed)
    m = len(rows.cells)
    upper = np.concatenate((limits.up[rows.cells], limits.down[rows.cells]))
    lower = np.zeros(2 * m)
    if target is not None:
        t = int(np.searchsorted(rows.cells, target[0]))
        lower[t] = upper[t] = target[1]
        upper[t + m] = 0.0
    solution = _solve(np.tile(cost[rows.cells], 2), lower, upper, rows.split(0), rows.rhs)
    if solution is None:
        return None
    change = np.zeros(model.size) if fixed is None else np.where(box, 0.0, fixed)
    change[rows.cells] = solution[:m] - solution[m:]
    return change


def cheapest_spread(
    model: CellModel, target: int, spread: float, cost: FloatArray, limits: Limits
) -> tuple[FloatArray, FloatArray] | None:
    """Two changes y, z over every cell with y[target] - z[target] >= spread (None if none)."""
    rows = _BoxRows.of(model, np.ones(model.size, dtype=bool))
    n = model.size
    y_starts, y_columns, y_coefs = rows.split(0)
    z_starts, z_columns, z_coefs = rows.split(2 * n)
    # The last row ties the two changes together at the target.
    starts = np.concatenate(
        (y_starts, z_starts[1:] + y_starts[-1], [y_starts[-1] + z_starts[-1] + 4])
    )
    columns = np.concatenate(
        (y_columns, z_columns, [target, target + n, target + 2 * n, target + 3 * n])
    )
    coefs = np.concatenate((y_coefs, z_coefs, [1.0, -1.0, -1.0, 1.0]))
    row_count = len(starts) - 1
    row_lower = np.zeros(row_count)
    row_upper = np.zeros(row_count)
    row_lower[-1], row_upper[-1] = spread, INFINITY
    upper = np.tile(np.concatenate((limits.up, limits.down)), 2)
    solution = _solve(
        np.tile(cost, 4), np.zeros(4 * n), upper, (starts, columns, coefs), row_lower, row_upper
    )
    if solution is None:
        return None
    return solution[:n] - solution[n : 2 * n], solution[2 * n : 3 * n] - solution[3 * n :]


def _solve(
    costs: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    rows: tuple[IntArray, IntArray, FloatArray],
    row_lower: FloatArray,
    row_upper: FloatArray | None = None,
) -> FloatArray | None:
    highs = new_highs()
    pass_lp(
        highs, costs, lower, upper, rows, row_lower, row_lower if row_upper is None else row_upper
    )
    status = run(highs, "searching for complementary suppressions")
    if status == highspy.HighsModelStatus.kInfeasible:
        return None
    if status != highspy.HighsModelStatus.kOptimal:
        raise InternalError(f"the perturbation model ended {highs.modelStatusToString(status)}")
    return np.asarray(highs.getSolution().col_value, dtype=np.float64)
