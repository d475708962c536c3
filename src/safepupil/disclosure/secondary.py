"""Secondary suppression: hide enough other cells that no suppressed cell can be worked out.

A suppressed cell is covered once two feasible tables the attacker cannot rule out
(witnesses, witnesses.py) differ in it by the protection width. Rounds, until every
suppressed cell is covered:

1. checks, cheapest first (Search.check): cells the current pattern already protects
   need nothing new. Witnesses shared by many cells, then exact attacker checks
   (witnesses.py); when the hidden part is large, both first in group blocks
   (blocks.py), then local checks (a small programme over the hidden cells in a box
   around each cell), and only then exact checks over the whole table. A cell whose
   propagated bounds are already too close skips the checks;
2. for each cell still open, in a stable order, a *zero-sum perturbation* (the
   attacker sub-problem of Fischetti and Salazar, solved as a linear programme in
   perturbation.py): the cheapest change to the table that keeps every row adding up,
   keeps every count >= 0, leaves public cells alone and moves the target far enough.
   Every published cell it touches is suppressed, and the changed table is a witness.
   A programme over only the hidden cells of a box around the target goes first: most
   targets the queue reaches need nothing new. Then it is solved over the hidden cells
   plus a small box of released cells around the target (neighbourhood.py), then over
   the whole table.

The final audit (audit.py) re-derives every interval independently, or checks every
witness table it is given against the release itself, and is the proof; this module
only has to be good, not right.

Information loss: a released cell costs (value + 1) x MARGIN_COST_FACTOR ** depth per
unit of change, where depth counts its dimensions at a group or total: the search
prefers few cells, small cells, and interior cells to margins.

This is the whole-table search. National tables first go through the regional search
(regional.py, a subclass of Search), which leaves this one to finish (complements.py
chooses).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator

import numpy as np

from safepupil.disclosure.attacker import attacker_components, known_cells
from safepupil.disclosure.blocks import group_boundary
from safepupil.disclosure.bounds import propagated_bounds
from safepupil.disclosure.cell_model import BoolArray, CellModel, FloatArray, IntArray
from safepupil.disclosure.deadline import NEVER, Deadline
from safepupil.disclosure.neighbourhood import Neighbourhoods
from safepupil.disclosure.perturbation import Limits, cheapest_rise, cheapest_spread
from safepupil.disclosure.witnesses import (
    CHANGE_TOLERANCE,
    SPREAD_ROUNDS,
    Witnesses,
    attacker_witnesses,
    spread_witnesses,
)

# Each dimension at a group or total doubles a cell's cost: prefer hiding interior cells.
MARGIN_COST_FACTOR = 2.0
# Reusing a cell that is already hidden costs almost nothing; unpublished cells even less.
REUSE_COST = 1e-3
UNPUBLISHED_COST = 1e-6
# How many cheapest neighbours per dimension the box around a target keeps.
SEARCH_BREADTH = 2
# The wider box of the local checks: measured on LA x SEN x reason tables, 5 codes per
# dimension witness about a third of the cells the shared witnesses leave open, in a few
# milliseconds each.
LOCAL_BREADTH = 5
# Local checks pay only when exact checks are dear, i.e. when the hidden part is large:
# measured, search CPU -9 % with 3,610 hidden cells (53 LAs x 13 x 9) but +37 % with
# 1,543 (20 LAs x 13 x 9).
LOCAL_CHECKS_MIN_HIDDEN = 3000


class Unprotectable(Exception):
    """No pattern of suppression can give this cell a wide enough interval."""

    def __init__(self, identity: tuple[str, ...]) -> None:
        super().__init__(identity)
        self.identity = identity


def release_cost(model: CellModel) -> FloatArray:
    """Cost per unit of change of each cell while it is released: its information loss."""
    loss = (model.values + 1.0) * MARGIN_COST_FACTOR ** model.margin_depth.astype(np.float64)
    return np.where(model.published, loss, UNPUBLISHED_COST)


class Search:
    """The state of one run: what is suppressed, what it costs to move, what is witnessed."""

    def __init__(
        self,
        model: CellModel,
        primary: BoolArray,
        public: BoolArray,
        witnesses: Witnesses,
        deadline: Deadline = NEVER,
    ) -> None:
        self.model = model
        self.suppressed = primary.copy()
        self.cost = release_cost(model)
        self.cost[primary] = REUSE_COST
        self.public = public
        self.limits = Limits.of(model, public)
        # Cells hidden so far beyond the primary ones, and per target the count and rise
        # at which its local programme last failed: with nothing newly hidden (the box
        # and its costs unchanged) and no smaller rise, it would fail again.
        self.added = 0
        self.local_failed: dict[int, tuple[int, float]] = {}
        self.witnesses = witnesses
        self.boxes = Neighbourhoods(model)
        self.boundary = group_boundary(model)
        self.primary = primary.copy()
        self.processes: int | None = None  # for the exact checks (None: one per core)
        self.deadline = deadline  # checked before every target (deadline.py)

    def check(self, open_: IntArray, width: int) -> IntArray:
        """Witness what the current pattern already protects; return the targets still open.

        Cheap checks first. A large hidden part (measured: from about 3,000 hidden cells)
        makes every whole-table programme dear, so blocks and local boxes go before it.
        A target whose propagated bounds are already too close (bounds.py) cannot be
        witnessed by any table: it goes straight to protection, without a programme.
        """
        known = known_cells(self.model, self.suppressed, self.public)
        hopeless = open_[self._provably_narrow(known, open_, width)]
        open_ = np.setdiff1d(open_, hopeless)
        for stage in self._stages(known):
            if len(open_) == 0:
                break
            stage(open_, width)
            open_ = self.witnesses.uncovered(open_, width)
        return np.union1d(open_, hopeless)

    def _provably_narrow(self, known: BoolArray, cells: IntArray, width: int) -> BoolArray:
        floor = np.zeros(self.model.size)
        ceiling = np.full(self.model.size, np.inf)
        for component in attacker_components(self.model, known):
            low, high = propagated_bounds(component)
            floor[component.cells], ceiling[component.cells] = np.maximum(low, 0.0), high
        return np.asarray(ceiling[cells] - floor[cells] < width - CHANGE_TOLERANCE, dtype=bool)

    def _stages(self, known: BoolArray) -> list[Callable[[IntArray, int], None]]:
        spread, exact = self.spread_stage, self.exact_stage
        if np.count_nonzero(self.suppressed) < LOCAL_CHECKS_MIN_HIDDEN:
            return [spread(known), exact(known)]
        if self.boundary is None:
            return [spread(known), self.local_checks, exact(known)]
        blocked = known | self.boundary
        return [spread(blocked), exact(blocked), self.local_checks, exact(known)]

    def spread_stage(
        self, fixed: BoolArray, rounds: int = SPREAD_ROUNDS
    ) -> Callable[[IntArray, int], None]:
        """Shared witnesses (witnesses.py) with ``fixed`` cells held at their values."""
        model, witnesses = self.model, self.witnesses
        return lambda open_, width: spread_witnesses(model, fixed, witnesses, open_, width, rounds)

    def exact_stage(self, fixed: BoolArray) -> Callable[[IntArray, int], None]:
        """Exact attacker checks (witnesses.py) with ``fixed`` cells held at their values."""
        model, witnesses, processes = self.model, self.witnesses, self.processes
        deadline = self.deadline
        return lambda open_, width: attacker_witnesses(
            model, fixed, witnesses, open_, width, processes, deadline
        )

    def protect(self, target: int, width: int) -> IntArray:
        """Suppress what ``target`` needs; return the newly suppressed cells."""
        rise = self._rise(target, width)
        if self._witness_locally(target, rise):
            return np.zeros(0, dtype=np.int64)
        changes = self._changes(target, rise, width)
        if changes is None:
            raise Unprotectable(self.model.identities[target])
        return self.take(changes)

    def take(self, changes: list[FloatArray]) -> IntArray:
        """Keep the changes as witnesses; hide (and return) every released cell they move."""
        values = self.model.values.astype(np.float64)
        touched = np.zeros(self.model.size, dtype=bool)
        for change in changes:
            self._add_witnesses(values, change)
            touched |= np.abs(change) > CHANGE_TOLERANCE
        return self.hide(np.flatnonzero(touched))

    def hide(self, cells: IntArray) -> IntArray:
        """Suppress the published ones of ``cells`` not yet suppressed; return those."""
        newly = cells[self.model.published[cells] & ~self.suppressed[cells]]
        self.suppressed[newly] = True
        self.added += len(newly)
        self.cost[newly] = REUSE_COST
        return newly

    def _changes(self, target: int, rise: float, width: int) -> list[FloatArray] | None:
        for box in self._boxes(target):
            change = cheapest_rise(self.model, box, target, rise, self.cost, self.limits)
            if change is not None:
                return [change]
        # Nothing can raise the target far enough on its own (a public total caps it):
        # look for a pair of tables, one above and one below, far enough apart.
        pair = cheapest_spread(self.model, target, float(width), self.cost, self.limits)
        return None if pair is None else list(pair)

    def _boxes(self, target: int) -> Iterator[BoolArray]:
        """Ever larger sets of cells to search: small programmes first.

        Cells already hidden (or never published) are nearly free wherever they are;
        released cells are worth trying only near the target. (Measured: limiting the
        hidden cells to the target's region as well, on 53 LAs x 13 x 9, halved the time
        spent protecting but hid 399 cells besides the primary ones instead of 87; to a
        5-code box around the target, 376 instead of 87.)
        """
        near = self.boxes.box(target, self.cost, SEARCH_BREADTH)
        yield near | (self.cost <= REUSE_COST)
        yield self.boxes.everything

    def _witness_locally(self, target: int, rise: float) -> bool:
        """Witness ``target`` by moving only hidden cells in a box around it, if that can.

        Most targets the protection queue reaches need nothing new: cells hidden for an
        earlier target protect them already. A programme over the hidden cells of a box
        shows that for many of them at a fraction of the cost of one over the whole
        hidden part (measured on LA x SEN x reason x sex at school-census density, 31,920
        cells: search 71 s to 58 s, the same cells hidden).
        """
        failed = self.local_failed.get(target)
        if failed is not None and failed[0] == self.added and rise >= failed[1]:
            return False  # the check stage's local programme just failed on this pattern
        box = self.boxes.box(target, self.cost, LOCAL_BREADTH) & (self.cost <= REUSE_COST)
        change = cheapest_rise(self.model, box, target, rise, self.cost, self.limits)
        if change is None:
            self.local_failed[target] = (self.added, rise)
            return False
        self._add_witnesses(self.model.values.astype(np.float64), change)
        return True

    def local_checks(self, targets: IntArray, width: int) -> None:
        """Witness open targets by moving only hidden cells in a box around each.

        A cheap sufficient check before any exact one: a programme over a few hundred
        cells instead of the whole hidden part of the table. What it cannot show is left
        to the exact checks.
        """
        for target in stable_order(self.model, targets):
            if not self.witnesses.covers(target, width):
                self._witness_locally(target, self._rise(target, width))

    def _rise(self, target: int, width: int) -> float:
        """How far above its true value ``target`` must go to span the width."""
        return float(width - (self.model.values[target] - self.witnesses.lo[target]))

    def _add_witnesses(self, values: FloatArray, change: FloatArray) -> None:
        # x + s*y is feasible for every s between the two scales at which a count hits 0,
        # so both ends of that segment are witnesses too, for free.
        self.witnesses.add(values + change)
        for direction in (change, -change):
            falling = direction < -CHANGE_TOLERANCE
            if np.any(falling):
                scale = float(np.min(values[falling] / -direction[falling]))
                if np.isfinite(scale) and scale > 0:
                    self.witnesses.add(np.maximum(values + scale * direction, 0.0))


def whole_table_complements(
    model: CellModel,
    primary: BoolArray,
    public: BoolArray,
    width: int,
    witnesses: Witnesses | None = None,
    deadline: Deadline = NEVER,
) -> BoolArray:
    """Every published cell that must be hidden besides the primary ones (a mask).

    ``witnesses``: where to keep the tables found on the way (the audit can use them as
    certificates); a fresh set when not given. Raises OutOfTime past ``deadline``.
    """
    search = Search(model, primary, public, witnesses or Witnesses.start(model), deadline)
    return complete(search, width)


def complete(search: Search, width: int) -> BoolArray:
    """Search rounds until every suppressed cell is covered; the cells hidden besides the
    primary ones."""
    model = search.model
    targets = np.flatnonzero(search.suppressed)
    while True:
        open_ = search.witnesses.uncovered(targets, width)
        if len(open_):
            open_ = search.check(open_, width)
        if len(open_) == 0:
            return search.suppressed & ~search.primary
        queue = deque(stable_order(model, open_))
        while queue:
            target = queue.popleft()
            search.deadline.check()
            if not search.witnesses.covers(target, width):
                newly = search.protect(target, width)
                queue.extend(stable_order(model, newly))
                targets = np.union1d(targets, newly)


def stable_order(model: CellModel, cells: IntArray) -> list[int]:
    """Interior cells first (protecting them often protects their margins), then by position."""
    return sorted((int(c) for c in cells), key=lambda c: (int(model.level_sum[c]), c))
