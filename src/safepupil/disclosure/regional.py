"""The regional search: a national table protected one region at a time.

In a table of LAs within regions, a hidden region-level cell ties its region to every
other, so every programme of the whole-table search (secondary.py) spans the hidden
part of the country. Here, with lifted witnesses (lifting.py):

1. the region-level table is protected on its own, and a few of its witness tables are
   chosen that between them span every hidden region-level cell (``_covering``);
2. each chosen table is lifted into every region it moves, region by region;
3. every region's suppressed LA-level cells are settled inside that region: shared
   witnesses and exact checks in its group block, then per open cell a change around a
   lifted table that moves the cell's region-level column (raising the cell further),
   or programmes over the region's cells with its region-level cells fixed, and only
   if none of those can, over the whole table.

Steps 2 and 3 are independent between regions, so the regions are shared between
PARTS jobs (parallel.py) that run in their own processes when there are cores. The
parts are the same on every machine and each starts from the same state, so the
pattern never depends on the cores. Every table a part finds is a table for the whole
country, with every cell it moves hidden; whatever the parts leave open (region-level
cells whose table could not be lifted, cells nothing could protect) goes to the
whole-table search, which finishes, or refuses.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from safepupil.disclosure.cell_model import BoolArray, CellModel, FloatArray, IntArray
from safepupil.disclosure.deadline import NEVER, Deadline
from safepupil.disclosure.lifting import Regions, cheapest_lift, region_table
from safepupil.disclosure.parallel import PARTS, run_all
from safepupil.disclosure.perturbation import Limits, cheapest_rise
from safepupil.disclosure.secondary import (
    REUSE_COST,
    SEARCH_BREADTH,
    Search,
    complete,
    stable_order,
)
from safepupil.disclosure.witnesses import CHANGE_TOLERANCE, Witnesses

# How many lifted tables a target whose column must move tries, largest move first.
LIFTS_PER_TARGET = 2

# Rounds of shared witnesses per region before its exact checks. Measured on the national
# table (one part, 4,830 open cells): 5 rounds left 2,724 for exact checks (checks
# 12.5 s), 15 left 1,025 (8.9 s), 30 left 818 (8.9 s).
REGION_SPREAD_ROUNDS = 15

SparseChange = tuple[IntArray, FloatArray]  # (cells, value - true value)


class RegionalSearch(Search):
    """The whole-table search's state, with the region-level changes and their lifts."""

    def __init__(
        self,
        model: CellModel,
        primary: BoolArray,
        public: BoolArray,
        witnesses: Witnesses,
        regions: Regions,
        deadline: Deadline = NEVER,
    ) -> None:
        super().__init__(model, primary, public, witnesses, deadline)
        self.regions = regions
        self.region_changes = np.zeros((0, model.size))  # chosen region-level tables - truth
        self.lifted: dict[int, FloatArray] = {}  # region change -> its lift (when it has one)
        self.lifted_changes = np.zeros(0, dtype=np.int64)  # the keys of lifted, in order
        self.in_part = False

    def start(self, width: int, processes: int | None) -> None:
        """Steps 1 to 3 of the module docstring; the whole-table search does the rest."""
        self._protect_region_table(width)
        self._merge(run_all(_lift_part, self._parts(width), processes))
        self._merge(run_all(_settle_part, self._parts(width), processes))

    # 1. The region-level table on its own.

    def _protect_region_table(self, width: int) -> None:
        table = region_table(self.model, self.regions)
        hidden = table.from_full(self.suppressed)
        witnesses = Witnesses.start(table.model)
        public = table.from_full(self.public)
        search = Search(table.model, hidden, public, witnesses, self.deadline)
        search.cost += self._cost_below(table.full_cell) * (search.cost > REUSE_COST)
        hidden |= complete(search, width)
        self.hide(table.full_cell[hidden & (table.full_cell >= 0)])
        chosen = _covering(witnesses, np.flatnonzero(hidden), width)
        self.region_changes = np.array(
            [table.to_full(witnesses.table(w) - witnesses.values, self.model.size) for w in chosen]
        ).reshape(-1, self.model.size)

    def _cost_below(self, full_cell: IntArray) -> FloatArray:
        """Per region-level cell, the cheapest of the LA-level cells under it: moving a
        region-level cell moves one of them in every lift, so the region-level search
        pays for that too, and prefers cells whose LA-level cells are hidden already."""
        below = np.flatnonzero(self.regions.column >= 0)
        cheapest = np.full(self.model.size, np.inf)
        np.minimum.at(cheapest, self.regions.column[below], self.cost[below])
        out = np.where(full_cell >= 0, cheapest[np.maximum(full_cell, 0)], 0.0)
        return np.where(np.isfinite(out), out, 0.0)

    # 2. and 3., one part of the regions at a time.

    def _parts(self, width: int) -> list[_Part]:
        """The regions in PARTS parts of about equal work (most first, to the lighter
        part); the work of a region is its suppressed cells, each a target to settle."""
        inside = (self.regions.block >= 0) & self.suppressed
        sizes = np.bincount(self.regions.block[inside], minlength=self.regions.count)
        parts: list[list[int]] = [[] for _ in range(PARTS)]
        load = [0] * PARTS
        for group in sorted(range(self.regions.count), key=lambda g: (-int(sizes[g]), g)):
            lightest = min(range(PARTS), key=lambda p: (load[p], p))
            parts[lightest].append(group)
            load[lightest] += int(sizes[group])
        return [_part(self, tuple(sorted(groups)), width) for groups in parts if groups]

    def lift_part(self, groups: tuple[int, ...]) -> dict[tuple[int, int], SparseChange]:
        """Every chosen region-level change lifted into each of ``groups`` it moves."""
        lifts: dict[tuple[int, int], SparseChange] = {}
        for k, change in enumerate(self.region_changes):
            self.deadline.check()
            for group in self.regions.moved_groups(change, CHANGE_TOLERANCE).tolist():
                if group in groups:
                    lifted = self._lift_into(change, group)
                    if lifted is not None:
                        lifts[(k, group)] = lifted
        return lifts

    def _lift_into(self, change: FloatArray, group: int) -> SparseChange | None:
        block = self.regions.cells_of(group)
        hidden = self.cost <= REUSE_COST
        # Over the hidden cells first: a smaller programme, and nothing new to hide.
        for box in (block & hidden, block):
            lifted = cheapest_lift(self.model, box, change, self.cost, self.limits)
            if lifted is not None:
                cells = np.flatnonzero(block & (np.abs(lifted) > CHANGE_TOLERANCE))
                self.hide(cells)
                return cells, lifted[cells]
        return None

    def keep_lifts(self, lifts: dict[tuple[int, int], SparseChange]) -> None:
        """Whole-country tables from the lifts of every region a change moves."""
        for k, change in enumerate(self.region_changes):
            groups = self.regions.moved_groups(change, CHANGE_TOLERANCE).tolist()
            if all((k, group) in lifts for group in groups):
                total = change.copy()
                for group in groups:
                    cells, moved = lifts[(k, group)]
                    total[cells] = moved
                self.lifted[k] = total
                self.take([total])
        self.lifted_changes = np.array(sorted(self.lifted), dtype=np.int64)

    def settle(self, groups: tuple[int, ...], width: int) -> None:
        """Cover every suppressed LA-level cell of ``groups`` that a regional change can."""
        here = np.isin(self.regions.block, groups) & self.model.published
        given_up: set[int] = set()
        while True:
            targets = np.flatnonzero(self.suppressed & here)
            open_ = self.witnesses.uncovered(targets, width)
            if len(open_):
                open_ = self.check(open_, width)
            if given_up.issuperset(open_.tolist()):
                return
            queue = deque(t for t in stable_order(self.model, open_) if t not in given_up)
            while queue:
                target = queue.popleft()
                self.deadline.check()
                if self.witnesses.covers(target, width):
                    continue
                # No local box first (as the whole-table search has): in a region, the
                # lifted tables settle most of what it would, for less.
                changes = self._changes(target, self._rise(target, width), width)
                if changes is None:
                    given_up.add(target)  # left for the whole-table search to refuse
                    continue
                queue.extend(stable_order(self.model, self.take(changes)))

    # How the parts' work comes back.

    def _merge(self, results: list[_PartResult]) -> None:
        for result in results:
            self.hide(result.hidden)
        lifts = {key: lift for result in results for key, lift in result.lifts.items()}
        if lifts:
            self.keep_lifts(lifts)
        values = self.witnesses.values
        for result in results:
            for cells, change in result.tables:
                table = values.copy()
                table[cells] += change
                self.witnesses.add(table)

    # The whole-table search's stages and changes, regional first.

    def _stages(self, known: BoolArray) -> list[Callable[[IntArray, int], None]]:
        if not self.in_part:
            return super()._stages(known)
        # In a part, whole-table checks are left to the whole-table search that follows.
        blocked = known | self.regions.boundary
        return [self.spread_stage(blocked, REGION_SPREAD_ROUNDS), self.exact_stage(blocked)]

    def _changes(self, target: int, rise: float, width: int) -> list[FloatArray] | None:
        change = self._regional_change(target, rise)
        return [change] if change is not None else super()._changes(target, rise, width)

    def _regional_change(self, target: int, rise: float) -> FloatArray | None:
        """A change inside the target's region (None if none of them can)."""
        if self.regions.block[target] < 0:
            return None
        tries = self._regional_tries(target, rise)
        return next((change for change in tries if change is not None), None)

    def _regional_tries(self, target: int, rise: float) -> Iterator[FloatArray | None]:
        """Changes inside the target's region, cheapest programmes first: around the
        lifted tables that move its region-level column most, then with its region-level
        cells fixed (over hidden cells that is what the exact checks just asked, so the
        lifted tables go first), then the same with released cells nearby."""
        block = self.regions.cells_of(int(self.regions.block[target]))
        hidden = (self.cost <= REUSE_COST) & block
        ranked = self._lifts_moving(int(self.regions.column[target]))
        yield from (self._rise_on_lift(k, target, rise, hidden) for k in ranked)
        yield cheapest_rise(self.model, hidden, target, rise, self.cost, self.limits)
        near = (self.boxes.box(target, self.cost, SEARCH_BREADTH) & block) | hidden
        yield cheapest_rise(self.model, near, target, rise, self.cost, self.limits)
        yield from (self._rise_on_lift(k, target, rise, near) for k in ranked)

    def _lifts_moving(self, column: int) -> list[int]:
        kept = self.lifted_changes
        if column < 0 or len(kept) == 0:
            return []
        moves = self.region_changes[kept, column]
        best = np.argsort(-moves, kind="stable")[:LIFTS_PER_TARGET]
        return [int(kept[i]) for i in best if moves[i] > CHANGE_TOLERANCE]

    def _rise_on_lift(self, k: int, target: int, rise: float, box: BoolArray) -> FloatArray | None:
        """Lifted table ``k`` with the target raised further by a zero-sum change inside
        ``box`` (one region's cells), around the lifted table instead of the true one."""
        lifted = self.lifted[k]
        need = rise - float(lifted[target])
        if need <= CHANGE_TOLERANCE:
            return lifted
        values = self.model.values + lifted
        down = np.where(self.public, 0.0, np.maximum(values, 0.0))
        change = cheapest_rise(
            self.model, box, target, need, self.cost, Limits(up=self.limits.up, down=down)
        )
        return None if change is None else lifted + change


def _covering(witnesses: Witnesses, targets: IntArray, width: int) -> list[int]:
    """Witness tables that between them span every target: each is lifted into every
    region it moves, so the fewer the better. Greedy: the table that completes most
    targets next (the lowest number of equals); then, for a target only a pair of
    tables spans, the tables that attain its ends."""
    kept = sorted(witnesses.changes)
    if not kept or len(targets) == 0:
        return []
    tables = np.array([witnesses.table(w)[targets] for w in kept])
    lo = witnesses.values[targets].copy()
    hi = lo.copy()
    chosen: list[int] = []
    while True:
        done = hi - lo >= width - CHANGE_TOLERANCE
        wider = np.maximum(hi, tables) - np.minimum(lo, tables) >= width - CHANGE_TOLERANCE
        gains = np.count_nonzero(wider & ~done, axis=1)
        best = int(np.argmax(gains))  # the first of equals: the lowest number
        if gains[best] == 0:
            break
        chosen.append(kept[best])
        np.minimum(lo, tables[best], out=lo)
        np.maximum(hi, tables[best], out=hi)
    for i in np.flatnonzero(hi - lo < width - CHANGE_TOLERANCE).tolist():
        ends = (int(witnesses.lo_from[targets[i]]), int(witnesses.hi_from[targets[i]]))
        chosen.extend(w for w in ends if w and w not in chosen)
    return chosen


@dataclass(frozen=True)
class _Part:
    """Some regions to work on, with a copy of the search's state of its own."""

    search: RegionalSearch
    groups: tuple[int, ...]
    width: int


def _part(search: RegionalSearch, groups: tuple[int, ...], width: int) -> _Part:
    # The same start for every part, here or in a process. What no part changes (the
    # model, its neighbourhoods, the blocks, the region-level tables) is shared.
    shared = (search.model, search.boxes, search.regions, search.region_changes)
    own = copy.deepcopy(search, {id(thing): thing for thing in shared})
    own.witnesses.log, own.in_part, own.processes = [], True, 1
    return _Part(own, groups, width)


@dataclass(frozen=True)
class _PartResult:
    hidden: IntArray
    tables: list[SparseChange]
    lifts: dict[tuple[int, int], SparseChange]


def _lift_part(part: _Part) -> _PartResult:
    search = part.search
    before = search.suppressed.copy()
    lifts = search.lift_part(part.groups)
    return _PartResult(np.flatnonzero(search.suppressed & ~before), [], lifts)


def _settle_part(part: _Part) -> _PartResult:
    search = part.search
    before = search.suppressed.copy()
    search.settle(part.groups, part.width)
    found = search.witnesses.log or []
    return _PartResult(np.flatnonzero(search.suppressed & ~before), found, {})
