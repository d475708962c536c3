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
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from safepupil.disclosure.attacker import (
    ZERO_TOLERANCE,
    AttackerModel,
    Component,
    attacker_components,
    known_cells,
)
from safepupil.disclosure.bounds import propagated_bounds
from safepupil.disclosure.cell_model import BoolArray, CellModel, FloatArray, IntArray
from safepupil.disclosure.parallel import parts_of, run_all
from safepupil.disclosure.solver import SOLVER_NAME, solver_version
from safepupil.errors import InternalError

# Solver results are accurate to about 1e-7 of a pupil; a width short of the policy by
# less than this is a rounding artefact, not information an attacker can use.
AUDIT_TOLERANCE = 1e-6

# Intervals are kept to this many decimals: far below AUDIT_TOLERANCE, and enough to make
# the proof identical however a component was split (warm starts differ by ~1e-12).
PROOF_DECIMALS = 9

AUDIT_METHOD = (
    "for every suppressed cell, minimum and maximum by linear programming over the reals "
    "subject to every released cell at its value, every table adding up and every count >= 0"
)


@dataclass(frozen=True)
class AuditedInterval:
    identity: tuple[str, ...]  # the cell's code in every dimension of the proof
    lo: float
    hi: float  # math.inf when nothing released bounds the cell from above

    @property
    def width(self) -> float:
        return self.hi - self.lo


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
                    "protected": spans(interval, self.protection_width),
                }
                for interval in self.intervals
            ],
        }


def audit_suppression(
    model: CellModel,
    suppressed: BoolArray,
    width: int,
    public: BoolArray | None = None,
    *,
    processes: int | None = None,
) -> AuditProof:
    """Solve the attacker's minimum and maximum for every suppressed published cell.

    ``processes``: how many processes may share the work (default: one per core this
    process may use); 1 solves everything here. The proof is the same either way.
    """
    known = known_cells(model, suppressed, np.zeros(model.size, bool) if public is None else public)
    lo = np.full(model.size, np.nan)
    hi = np.full(model.size, np.nan)
    jobs = list(_jobs(model, suppressed, known))
    # Processes only pay when a component was cut into parts; small tables stay here.
    cut = len(jobs) > len({id(component) for component, _ in jobs})
    answers = run_all(_solve_job, jobs, processes if cut else 1)
    for (component, targets), (low, high) in zip(jobs, answers, strict=True):
        lo[component.cells[targets]] = low
        hi[component.cells[targets]] = high
    cells = np.flatnonzero(suppressed & model.published)
    if np.any(np.isnan(lo[cells])) or np.any(np.isnan(hi[cells])):
        raise InternalError("the audit missed a suppressed cell")
    return AuditProof(
        dimensions=model.dimension_names,
        protection_width=width,
        intervals=tuple(
            AuditedInterval(
                model.identities[cell],
                round(float(lo[cell]), PROOF_DECIMALS),
                round(float(hi[cell]), PROOF_DECIMALS),
            )
            for cell in cells
        ),
        solver=SOLVER_NAME,
        solver_version=solver_version(),
    )


_Job = tuple[Component, IntArray]  # a component and the columns whose intervals it must solve


def _jobs(model: CellModel, suppressed: BoolArray, known: BoolArray) -> Iterator[_Job]:
    """Each component with its suppressed columns; a large one cut into parts."""
    for component in attacker_components(model, known):
        targets = np.flatnonzero(suppressed[component.cells] & model.published[component.cells])
        if len(targets):
            for part in parts_of(targets):
                yield component, part


def _solve_job(job: _Job) -> tuple[FloatArray, FloatArray]:
    return _component_intervals(*job)


def _component_intervals(component: Component, targets: IntArray) -> tuple[FloatArray, FloatArray]:
    """Exact attacker minimum and maximum of the target columns of one component.

    Every optimal table the solver returns is a feasible table; when one of them
    already reaches a valid bound (propagated along the rows, see bounds.py), that
    bound is the optimum and its programme need not be solved.
    """
    attacker = AttackerModel(component)
    first = attacker.minimise_sum(targets)
    floor, ceiling = propagated_bounds(component)
    seen_lo, seen_hi = first.copy(), first.copy()
    high = np.empty(len(targets))
    for i, column in enumerate(targets.tolist()):
        if seen_hi[column] >= ceiling[column] - AUDIT_TOLERANCE:
            high[i] = ceiling[column]
            continue
        high[i] = attacker.maximum(column, keep_point=True)
        if np.isfinite(high[i]):
            np.maximum(seen_hi, attacker.last_point, out=seen_hi)
            np.minimum(seen_lo, attacker.last_point, out=seen_lo)
    low = np.empty(len(targets))
    for i, column in enumerate(targets.tolist()):
        if seen_lo[column] <= max(floor[column], 0.0) + ZERO_TOLERANCE:
            low[i] = max(floor[column], 0.0)
            continue
        low[i] = attacker.minimum(column, keep_point=True)
        np.minimum(seen_lo, attacker.last_point, out=seen_lo)
    return low, high
