"""Witnesses: feasible tables the attacker cannot rule out, and how to find many at once.

A witness is a table that agrees with every cell still known to the attacker, adds up
and has no negative count. Suppressing more cells only removes constraints, so a
witness stays valid for the rest of a run. For every cell we keep the lowest and the
highest value seen across witnesses (the true table is the first witness): a cell
whose spread already reaches the protection width is protected, without a programme.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safepupil.disclosure.attacker import AttackerModel, Component, attacker_components
from safepupil.disclosure.bounds import propagated_bounds
from safepupil.disclosure.cell_model import BoolArray, CellModel, FloatArray, IntArray
from safepupil.disclosure.deadline import NEVER, Deadline
from safepupil.disclosure.parallel import parts_of, run_all

# A change smaller than this is solver noise, not a change.
CHANGE_TOLERANCE = 1e-6
SPREAD_ROUNDS = 5  # measured: more rounds cost as much as the exact checks they save
SPREAD_MIN_GAIN = 0.02  # fraction of the open cells a round must newly cover to go on
SPREAD_SEED = 20180118
# Kept tables are pruned to those still attaining a bound once there are this many.
KEPT_TABLES_BEFORE_PRUNING = 2000


@dataclass
class Witnesses:
    """The lowest and highest value of every cell over the feasible tables found so far.

    The tables that attain some cell's lowest or highest value are kept (as their
    difference from the true table), so that the audit can check them itself and use
    them as certificates: each is a table the attacker cannot rule out.
    """

    values: FloatArray  # the true table: witness 0
    lo: FloatArray
    hi: FloatArray
    lo_from: IntArray  # per cell, the witness that attains lo (0: the true table)
    hi_from: IntArray
    changes: dict[int, tuple[IntArray, FloatArray]]  # witness -> (cells, value - true value)
    next_witness: int = 1
    prune_at: int = KEPT_TABLES_BEFORE_PRUNING
    # When a list: every table that widened some cell's spread, as (cells, value - true
    # value), for a search run elsewhere to hand back (regional.py).
    log: list[tuple[IntArray, FloatArray]] | None = None

    @classmethod
    def start(cls, model: CellModel) -> Witnesses:
        return cls.around(model.values.astype(np.float64))

    @classmethod
    def around(cls, values: FloatArray) -> Witnesses:
        nowhere = np.zeros(len(values), dtype=np.int64)
        return cls(values, values.copy(), values.copy(), nowhere, nowhere.copy(), {})

    def add(self, point: FloatArray) -> None:
        lower = point < self.lo
        higher = point > self.hi
        if not (np.any(lower) or np.any(higher)):
            return
        witness = self.next_witness
        self.next_witness += 1
        moved = np.flatnonzero(point != self.values)
        self.changes[witness] = (moved, point[moved] - self.values[moved])
        if self.log is not None:
            self.log.append(self.changes[witness])
        self.lo[lower], self.lo_from[lower] = point[lower], witness
        self.hi[higher], self.hi_from[higher] = point[higher], witness
        if len(self.changes) > self.prune_at:
            self.prune()
            self.prune_at = max(KEPT_TABLES_BEFORE_PRUNING, 2 * len(self.changes))

    def prune(self) -> None:
        """Forget the tables that no longer attain any cell's lowest or highest value."""
        used = set(np.unique(self.lo_from).tolist()) | set(np.unique(self.hi_from).tolist())
        self.changes = {w: change for w, change in self.changes.items() if w in used}

    def table(self, witness: int) -> FloatArray:
        table = self.values.copy()
        if witness:
            cells, change = self.changes[witness]
            table[cells] += change
        return table

    def covers(self, cell: int, width: int) -> bool:
        return bool(self.hi[cell] - self.lo[cell] >= width - CHANGE_TOLERANCE)

    def uncovered_mask(self, cells: IntArray, width: int) -> BoolArray:
        return np.asarray(self.hi[cells] - self.lo[cells] < width - CHANGE_TOLERANCE, dtype=bool)

    def uncovered(self, cells: IntArray, width: int) -> IntArray:
        return cells[self.uncovered_mask(cells, width)]


def spread_witnesses(
    model: CellModel,
    known: BoolArray,
    witnesses: Witnesses,
    targets: IntArray,
    width: int,
    rounds: int = SPREAD_ROUNDS,
) -> None:
    """Witness many targets at once from the attacker's own programme.

    In a table where most cells are small, the primary cells often protect one another.
    Each round pushes a random half of the still-uncovered targets up and the other
    half down (a fixed seed keeps runs identical); every optimal table is a witness.
    Capping every unknown at its value + width keeps the programme bounded.
    """
    values = model.values.astype(np.float64)
    signs = np.random.default_rng(SPREAD_SEED)
    for component in attacker_components(model, known):
        local = np.flatnonzero(np.isin(component.cells, targets))
        if len(local) == 0:
            continue
        attacker = AttackerModel(component, upper=values[component.cells] + width)
        open_ = local
        for _ in range(rounds):
            point = attacker.optimise_sum(open_, signs.choice((-1.0, 1.0), len(open_)))
            table = values.copy()
            table[component.cells] = point
            witnesses.add(table)
            still = local[witnesses.uncovered_mask(component.cells[local], width)]
            # Stop once a round witnesses too few new targets to pay for itself.
            if len(open_) - len(still) < max(1, SPREAD_MIN_GAIN * len(open_)):
                break
            open_ = still


def attacker_witnesses(
    model: CellModel,
    known: BoolArray,
    witnesses: Witnesses,
    targets: IntArray,
    width: int,
    processes: int | None = None,
    deadline: Deadline = NEVER,
) -> None:
    """For each target, the attacker's tables with it as high (then as low) as it can go.

    A component with many targets is cut into parts (parallel.py) that run in their own
    processes; each part skips the targets its own witnesses already cover.
    """
    values = model.values.astype(np.float64)
    jobs = []
    for component in attacker_components(model, known):
        local = np.flatnonzero(np.isin(component.cells, targets))
        cells = component.cells
        for part in parts_of(local) if len(local) else []:
            spread = (witnesses.lo[cells].copy(), witnesses.hi[cells].copy())
            jobs.append(_Checks(component, values[cells], part, spread, width, deadline))
    cut = len(jobs) > len({id(job.component) for job in jobs})
    for job, found in zip(jobs, run_all(exact_checks, jobs, processes if cut else 1), strict=True):
        cells = job.component.cells
        for moved, change in found:
            table = values.copy()
            table[cells[moved]] += change
            witnesses.add(table)


@dataclass(frozen=True)
class _Checks:
    """Exact checks of some columns of one component, with the spread seen so far."""

    component: Component
    values: FloatArray  # the true value of each unknown
    columns: IntArray
    spread: tuple[FloatArray, FloatArray]  # lowest and highest value seen, per column
    width: int
    deadline: Deadline = NEVER


def exact_checks(job: _Checks) -> list[tuple[IntArray, FloatArray]]:
    """Ask each uncovered target's maximum and minimum; return the tables worth keeping.

    Each is (columns, value - true value) for a table that attains some column's
    lowest or highest value seen in this job. Unknowns are capped at value + width:
    a witness need not go further, and the cap keeps every programme bounded.
    """
    cap = job.values + job.width
    attacker = AttackerModel(job.component, upper=cap)
    seen = Witnesses.around(job.values)
    seen.lo, seen.hi = job.spread[0].copy(), job.spread[1].copy()
    seen.lo_from[:] = -1  # attained by a table the caller already has
    seen.hi_from[:] = -1
    # An end already at its propagated bound cannot move further: no programme for it.
    floor, ceiling = propagated_bounds(job.component)
    floor, ceiling = np.maximum(floor, 0.0), np.minimum(ceiling, cap)
    for column in job.columns.tolist():
        job.deadline.check()
        if (
            not seen.covers(column, job.width)
            and seen.hi[column] < ceiling[column] - CHANGE_TOLERANCE
        ):
            attacker.maximum(column, keep_point=True)
            seen.add(attacker.last_point)
        if (
            not seen.covers(column, job.width)
            and seen.lo[column] > floor[column] + CHANGE_TOLERANCE
        ):
            attacker.minimum(column, keep_point=True)
            seen.add(attacker.last_point)
    seen.prune()
    return [seen.changes[w] for w in sorted(seen.changes)]
