"""The audit proof: what an attacker can deduce about every suppressed cell.

For each suppressed cell the audit solves two linear programmes over the reals
(the attacker model tau-Argus and sdcTable use): the smallest and the largest
value the cell can take given every released cell, the additivity of the tables
and non-negativity of counts. The interval is what anyone holding the release can
compute, so the proof may be published with it.

Unknowns that share no row form independent components (attacker.py); each is solved
on its own. A component with many suppressed cells is cut into parts (parallel.py), one
per process: every part loads the component once and answers its own cells' questions.
Each answer is an exact optimum, so the proof does not depend on the split.

A component of more than EXACT_AUDIT_MAX_UNKNOWNS unknowns (the national LA x SEN x
reason table has one of about 10,500) would need thousands of programmes over all of
them: a quarter of an hour here. There the proof is made of certificates instead:

* each end of a cell's interval is attained by a *witness*, a whole table that the
  audit checks itself against the release (every released cell at its value, every
  row adding up, no count below zero), so the attacker cannot rule that value out;
* each end is also bounded by propagating the rows (bounds.py), so the attacker
  cannot get beyond the bound; where a witness reaches its bound, the end is exact.

The attacker's true interval therefore contains [lo, hi] and lies within
[lo_bound, hi_bound]; protection is judged on [lo, hi], which can only understate
it. A cell whose witnesses span less than the width gets exact programmes after all,
so no release is refused for want of a certificate.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from safepupil.disclosure.attacker import (
    ZERO_TOLERANCE,
    AttackerModel,
    Component,
    attacker_components,
    known_cells,
)
from safepupil.disclosure.blocks import group_boundary
from safepupil.disclosure.bounds import propagated_bounds
from safepupil.disclosure.cell_model import BoolArray, CellModel, FloatArray, IntArray
from safepupil.disclosure.certificates import certified_ends, checked_spread
from safepupil.disclosure.deadline import NEVER, Deadline
from safepupil.disclosure.parallel import parts_of, run_all
from safepupil.disclosure.solver import SOLVER_NAME, solver_version
from safepupil.disclosure.witnesses import Witnesses
from safepupil.errors import InternalError

# Solver results are accurate to about 1e-7 of a pupil; a width short of the policy by
# less than this is a rounding artefact, not information an attacker can use.
AUDIT_TOLERANCE = 1e-6

# Intervals are kept to this many decimals: far below AUDIT_TOLERANCE, and enough to make
# the proof identical however a component was split (warm starts differ by ~1e-12).
PROOF_DECIMALS = 9

# Above this many unknowns in one component, certificates replace exact programmes for
# the ends that no witness shows to be exact. Measured on LA x SEN x reason tables: an
# exact maximum over 1,500 unknowns takes about 10 ms, over 10,500 about 50 ms.
EXACT_AUDIT_MAX_UNKNOWNS = 3000
# Programmes per region pushing random halves of the cells up, for certificates: measured
# on 53 LAs x 13 x 9, 8 rounds took the cells exact at both ends from 23 % to 37 %, with
# the whole audit still under 2 s.
AUDIT_PUSH_ROUNDS = 8
AUDIT_SEED = 20180111

AUDIT_METHOD = (
    "for every suppressed cell, minimum and maximum by linear programming over the reals "
    "subject to every released cell at its value, every table adding up and every count >= 0; "
    "in a component of more than 3000 unknown cells, an end that is not exact is the value "
    "reached by a checked table consistent with the release, with a proven bound beyond it"
)


@dataclass(frozen=True)
class AuditedInterval:
    """What an attacker can derive about one suppressed cell.

    ``lo`` and ``hi`` are values some table consistent with the release gives the cell.
    When exact (bounds None) they are the attacker's minimum and maximum; otherwise the
    attacker's minimum lies in [lo_bound, lo] and the maximum in [hi, hi_bound].
    """

    identity: tuple[str, ...]  # the cell's code in every dimension of the proof
    lo: float
    hi: float  # math.inf when nothing released bounds the cell from above
    lo_bound: float | None = None  # None: lo is the exact minimum
    hi_bound: float | None = None  # None: hi is the exact maximum

    @property
    def width(self) -> float:
        return self.hi - self.lo

    @property
    def exact(self) -> bool:
        return self.lo_bound is None and self.hi_bound is None


def spans(interval: AuditedInterval, width: int) -> bool:
    """The protection rule: the attacker's interval spans at least ``width`` pupils."""
    return interval.width >= width - AUDIT_TOLERANCE


@dataclass(frozen=True)
class AuditProof:
    dimensions: tuple[str, ...]
    protection_width: int
    intervals: tuple[AuditedInterval, ...]  # one per distinct suppressed cell
    solver: str
    solver_version: str
    method: str = AUDIT_METHOD

    @property
    def protected(self) -> bool:
        return all(spans(interval, self.protection_width) for interval in self.intervals)

    @property
    def failures(self) -> tuple[AuditedInterval, ...]:
        return tuple(i for i in self.intervals if not spans(i, self.protection_width))

    def interval_of(self, identity: tuple[str, ...]) -> AuditedInterval | None:
        return self._by_identity.get(identity)

    @functools.cached_property
    def _by_identity(self) -> dict[tuple[str, ...], AuditedInterval]:
        # Asked once per published cell: a scan each time was quadratic in the table.
        return {interval.identity: interval for interval in reversed(self.intervals)}

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready record of the proof (an unbounded maximum is null)."""
        return {
            "protected": self.protected,
            "protection_width": self.protection_width,
            "solver": self.solver,
            "solver_version": self.solver_version,
            "method": self.method,
            "tolerance": AUDIT_TOLERANCE,
            "dimensions": list(self.dimensions),
            "cells": [
                {
                    "cell": dict(zip(self.dimensions, interval.identity, strict=True)),
                    "min": interval.lo,
                    "max": None if math.isinf(interval.hi) else interval.hi,
                    "exact": interval.exact,
                    "min_bound": interval.lo if interval.lo_bound is None else interval.lo_bound,
                    "max_bound": _finite_or_none(
                        interval.hi if interval.hi_bound is None else interval.hi_bound
                    ),
                    "protected": spans(interval, self.protection_width),
                }
                for interval in self.intervals
            ],
        }


def _finite_or_none(value: float) -> float | None:
    return None if math.isinf(value) else value


def audit_suppression(
    model: CellModel,
    suppressed: BoolArray,
    width: int,
    public: BoolArray | None = None,
    *,
    processes: int | None = None,
    witnesses: Witnesses | None = None,
    exact_up_to: int = EXACT_AUDIT_MAX_UNKNOWNS,
    deadline: Deadline = NEVER,
) -> AuditProof:
    """The attacker's interval for every suppressed published cell.

    ``witnesses``: tables found by the search; each is checked here before it is used.
    ``exact_up_to``: components of at most this many unknowns are solved exactly.
    ``processes``: how many processes may share the work (default: one per core this
    process may use); 1 solves everything here. The proof is the same either way.
    Raises OutOfTime past ``deadline`` (deadline.py).
    """
    known = known_cells(model, suppressed, np.zeros(model.size, bool) if public is None else public)
    cells = np.flatnonzero(suppressed & model.published)
    components = attacker_components(model, known)
    if any(len(component.cells) > exact_up_to for component in components):
        witnesses = witnesses or Witnesses.start(model)
        asked = suppressed & model.published
        _more_witnesses(model, known, asked, witnesses, processes, deadline)
    seen = checked_spread(model, known, cells, witnesses)
    ends = _Ends.empty(model.size)
    jobs: list[_Job] = []
    for component in components:
        targets = np.flatnonzero(suppressed[component.cells] & model.published[component.cells])
        if len(targets) == 0:
            continue
        local_seen = (seen[0][component.cells], seen[1][component.cells])
        if len(component.cells) > exact_up_to:
            found = certified_ends(component, targets, local_seen)
            ends.fill(component.cells[targets], *found)
            # Never refuse for want of a certificate: solve what the witnesses leave short.
            targets = targets[found[1] - found[0] < width - AUDIT_TOLERANCE]
            if len(targets) == 0:
                continue  # every interval certified: no programme to build
        jobs.extend(_Job(component, part, local_seen, deadline) for part in parts_of(targets))
    # Processes only pay when a component was cut into parts; small tables stay here.
    cut = len(jobs) > len({id(job.component) for job in jobs})
    answers = run_all(_solve_job, jobs, processes if cut else 1)
    for job, (low, high) in zip(jobs, answers, strict=True):
        ends.fill(job.component.cells[job.targets], low, high)
    if np.any(np.isnan(ends.lo[cells])) or np.any(np.isnan(ends.hi[cells])):
        raise InternalError("the audit missed a suppressed cell")
    return AuditProof(
        dimensions=model.dimension_names,
        protection_width=width,
        intervals=tuple(ends.interval(model, int(cell)) for cell in cells),
        solver=SOLVER_NAME,
        solver_version=solver_version(),
    )


def _more_witnesses(
    model: CellModel,
    known: BoolArray,
    targets: BoolArray,
    witnesses: Witnesses,
    processes: int | None,
    deadline: Deadline,
) -> None:
    """A few more witnesses per group block (blocks.py), each a cheap programme.

    The search's witnesses need only span the width, so many stop short of the ends.
    Here every target is pushed down together, then random halves of those not yet at
    their propagated bound are pushed up (fixed seed per block), with every unknown
    capped at that bound, which cuts off no table. The blocks are independent: with
    several, they are shared between processes (the tables do not depend on how).
    """
    boundary = group_boundary(model)
    fixed = known if boundary is None else known | boundary
    values = model.values.astype(np.float64)
    jobs = [
        _Push(
            component,
            np.flatnonzero(targets[component.cells]),
            values[component.cells],
            witnesses.hi[component.cells],
            seed,
            deadline,
        )
        for seed, component in enumerate(attacker_components(model, fixed))
        if np.any(targets[component.cells])
    ]
    cut = len(jobs) > 1 and boundary is not None
    for job, points in zip(jobs, run_all(_push, jobs, processes if cut else 1), strict=True):
        for point in points:
            table = values.copy()
            table[job.component.cells] = point
            witnesses.add(table)


@dataclass(frozen=True)
class _Push:
    component: Component
    targets: IntArray  # local columns
    values: FloatArray  # true value of each unknown
    high: FloatArray  # highest value the witnesses so far reach, per unknown
    seed: int
    deadline: Deadline


def _push(job: _Push) -> list[FloatArray]:
    """The tables of one block's pushes (_more_witnesses), in the order they were found."""
    ceiling = propagated_bounds(job.component)[1]
    cap = np.where(np.isfinite(ceiling), ceiling, job.values + 1)
    attacker = AttackerModel(job.component, upper=cap)
    signs = np.random.default_rng((AUDIT_SEED, job.seed))
    points = [attacker.minimise_sum(job.targets).copy()]
    high = np.maximum(job.high, points[0])
    for _ in range(AUDIT_PUSH_ROUNDS):
        job.deadline.check()
        below = job.targets[high[job.targets] < cap[job.targets] - AUDIT_TOLERANCE]
        if len(below) == 0:
            break
        weights = signs.choice((-1.0, 1.0), len(below))  # -1: as high as it can go
        points.append(attacker.optimise_sum(below, weights).copy())
        np.maximum(high, points[-1], out=high)
    return points


@dataclass
class _Ends:
    """Per model cell: lo, hi and their bounds (NaN where the end is exact)."""

    lo: FloatArray
    hi: FloatArray
    lo_bound: FloatArray
    hi_bound: FloatArray

    @classmethod
    def empty(cls, size: int) -> _Ends:
        return cls(*(np.full(size, np.nan) for _ in range(4)))

    def fill(
        self,
        cells: IntArray,
        lo: FloatArray,
        hi: FloatArray,
        lo_bound: FloatArray | None = None,
        hi_bound: FloatArray | None = None,
    ) -> None:
        self.lo[cells], self.hi[cells] = lo, hi
        self.lo_bound[cells] = np.nan if lo_bound is None else lo_bound
        self.hi_bound[cells] = np.nan if hi_bound is None else hi_bound

    def interval(self, model: CellModel, cell: int) -> AuditedInterval:
        def kept(value: float) -> float | None:
            return None if math.isnan(value) else round(float(value), PROOF_DECIMALS)

        return AuditedInterval(
            model.identities[cell],
            round(float(self.lo[cell]), PROOF_DECIMALS),
            round(float(self.hi[cell]), PROOF_DECIMALS),
            kept(self.lo_bound[cell]),
            kept(self.hi_bound[cell]),
        )


@dataclass(frozen=True)
class _Job:
    """Exact intervals of some columns of one component, with the checked values seen."""

    component: Component
    targets: IntArray
    seen: tuple[FloatArray, FloatArray]
    deadline: Deadline = NEVER


def _solve_job(job: _Job) -> tuple[FloatArray, FloatArray]:
    return _component_intervals(job.component, job.targets, job.seen, job.deadline)


def _component_intervals(
    component: Component,
    targets: IntArray,
    seen: tuple[FloatArray, FloatArray],
    deadline: Deadline = NEVER,
) -> tuple[FloatArray, FloatArray]:
    """Exact attacker minimum and maximum of the target columns of one component.

    Every optimal table the solver returns is a feasible table, and so is every checked
    witness (``seen``); when one of them already reaches a valid bound (propagated along
    the rows, see bounds.py), that bound is the optimum and its programme need not be
    solved.
    """
    attacker = AttackerModel(component)
    first = attacker.minimise_sum(targets)
    floor, ceiling = propagated_bounds(component)
    seen_lo, seen_hi = np.minimum(first, seen[0]), np.maximum(first, seen[1])
    high = np.empty(len(targets))
    for i, column in enumerate(targets.tolist()):
        deadline.check()
        if seen_hi[column] >= ceiling[column] - AUDIT_TOLERANCE:
            high[i] = ceiling[column]
            continue
        high[i] = attacker.maximum(column, keep_point=True)
        if np.isfinite(high[i]):
            np.maximum(seen_hi, attacker.last_point, out=seen_hi)
            np.minimum(seen_lo, attacker.last_point, out=seen_lo)
    low = np.empty(len(targets))
    for i, column in enumerate(targets.tolist()):
        deadline.check()
        if seen_lo[column] <= max(floor[column], 0.0) + ZERO_TOLERANCE:
            low[i] = max(floor[column], 0.0)
            continue
        low[i] = attacker.minimum(column, keep_point=True)
        np.minimum(seen_lo, attacker.last_point, out=seen_lo)
    return low, high
