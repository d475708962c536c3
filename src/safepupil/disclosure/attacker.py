"""The attacker's linear programme: how far can a suppressed cell move?

The attacker knows every released cell, that the tables add up and that counts are
never negative. Released cells are fixed, so they move to the right-hand side and
the programme keeps only the unknown cells (suppressed ones and interior cells no
table publishes). Unknown cells that share no row are independent, so the unknowns
split into connected components and each component is its own, smaller programme.

Within a component the feasible set never changes between questions, only the
objective does, so each question is re-solved by primal simplex from the previous
optimal basis: a few pivots instead of a fresh solve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import highspy
import numpy as np

from safepupil.disclosure.cell_model import BoolArray, CellModel, FloatArray, IntArray
from safepupil.disclosure.solver import INFINITY, new_highs, pass_lp, reduced_rows, run
from safepupil.errors import InternalError

# A solved value at or below this is zero: the cell can be empty, so its minimum is 0.
ZERO_TOLERANCE = 1e-9
PRIMAL_SIMPLEX = 4  # HiGHS simplex_strategy: primal keeps the basis feasible across objectives
COLUMN_PRICING = 1  # HiGHS simplex_price_strategy: measured about twice as fast here


@dataclass(frozen=True)
class Component:
    """Unknown cells linked through shared rows, with the rows that link them."""

    cells: IntArray  # model cell of each column
    row_start: IntArray
    columns: IntArray
    coefs: FloatArray
    rhs: FloatArray


def known_cells(model: CellModel, suppressed: BoolArray, public: BoolArray) -> BoolArray:
    """What the attacker knows: every released cell and every cell public elsewhere."""
    return (model.published & ~suppressed) | public


def attacker_components(model: CellModel, known: BoolArray) -> list[Component]:
    """The attacker's unknowns split into independent programmes."""
    starts, columns, coefs, rhs, free_cells = reduced_rows(model, ~known)
    labels = _component_labels(starts, columns, len(free_cells))
    row_label = labels[columns[starts[:-1]]] if len(rhs) else np.zeros(0, dtype=np.int64)
    components = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        rows = np.flatnonzero(row_label == label)
        components.append(_component(members, rows, starts, columns, coefs, rhs, free_cells))
    return components


def _component_labels(starts: IntArray, columns: IntArray, count: int) -> IntArray:
    """Label columns by connected component: spread the smallest label along rows until stable."""
    labels = np.arange(count, dtype=np.int64)
    if len(columns) == 0:
        return labels
    row_of_entry = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
    while True:
        row_min = np.minimum.reduceat(labels[columns], starts[:-1])
        spread = labels.copy()
        np.minimum.at(spread, columns, row_min[row_of_entry])
        # Follow labels to their roots so long chains collapse in a few rounds.
        spread = spread[spread]
        if np.array_equal(spread, labels):
            return labels
        labels = spread


def _component(
    members: IntArray,
    rows: IntArray,
    starts: IntArray,
    columns: IntArray,
    coefs: FloatArray,
    rhs: FloatArray,
    free_cells: IntArray,
) -> Component:
    local = np.full(len(free_cells), -1, dtype=np.int64)
    local[members] = np.arange(len(members))
    lengths = starts[rows + 1] - starts[rows]
    entries = (
        np.concatenate([np.arange(starts[r], starts[r + 1]) for r in rows])
        if len(rows)
        else np.zeros(0, dtype=np.int64)
    )
    return Component(
        cells=free_cells[members],
        row_start=np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
        columns=local[columns[entries]],
        coefs=coefs[entries],
        rhs=rhs[rows],
    )


class AttackerModel:
    """One component's programme, loaded once and re-solved for each question."""

    def __init__(self, component: Component, upper: FloatArray | None = None) -> None:
        """``upper`` caps each unknown (a smaller feasible set: its points stay feasible)."""
        self.component = component
        count = len(component.cells)
        self._highs = new_highs()
        self._highs.setOptionValue("simplex_strategy", PRIMAL_SIMPLEX)
        self._highs.setOptionValue("simplex_price_strategy", COLUMN_PRICING)
        pass_lp(
            self._highs,
            np.zeros(count),
            np.zeros(count),
            np.full(count, INFINITY) if upper is None else upper,
            (component.row_start, component.columns, component.coefs),
            component.rhs,
            component.rhs,
        )
        self._costed: IntArray = np.zeros(0, dtype=np.int64)
        self.last_point: FloatArray = np.zeros(0)  # the optimal table of the last question

    def minimise_sum(self, columns: IntArray) -> FloatArray:
        """A feasible table with the sum of ``columns`` as small as it can be."""
        self._set_costs(columns, np.ones(len(columns)))
        self._solve("looking for cells that can be empty")
        return self._read_point()

    def optimise_sum(self, columns: IntArray, weights: FloatArray) -> FloatArray:
        """A feasible table minimising the weighted sum of ``columns`` (needs a bounded model)."""
        self._set_costs(columns, weights)
        if not self._solve("looking for tables far from the true one"):
            raise InternalError("a capped attacker model was unbounded")
        return self._read_point()

    def minimum(self, column: int, *, keep_point: bool = False) -> float:
        return self._optimise(column, 1.0, keep_point)

    def maximum(self, column: int, *, keep_point: bool = False) -> float:
        return -self._optimise(column, -1.0, keep_point)

    def _set_costs(self, columns: IntArray, costs: FloatArray) -> None:
        if len(self._costed):
            self._highs.changeColsCost(
                len(self._costed), self._costed.astype(np.int32), np.zeros(len(self._costed))
            )
        self._highs.changeColsCost(len(columns), columns.astype(np.int32), costs)
        self._costed = columns

    def _optimise(self, column: int, sign: float, keep_point: bool) -> float:
        self._set_costs(np.array([column], dtype=np.int64), np.array([sign]))
        if not self._solve("auditing a suppressed cell"):
            return -math.inf
        if keep_point:
            self._read_point()
        return float(self._highs.getInfo().objective_function_value)

    def _read_point(self) -> FloatArray:
        self.last_point = np.asarray(self._highs.getSolution().col_value, dtype=np.float64)
        return self.last_point

    def _solve(self, what: str) -> bool:
        """Run HiGHS; True when optimal, False when unbounded (only a maximum can be)."""
        status = run(self._highs, what)
        if status == highspy.HighsModelStatus.kOptimal:
            return True
        if status in (
            highspy.HighsModelStatus.kUnbounded,
            highspy.HighsModelStatus.kUnboundedOrInfeasible,
        ):
            return False
        # The true table satisfies every constraint, so anything else is a broken invariant.
        raise InternalError(f"the attacker model ended {self._highs.modelStatusToString(status)}")
