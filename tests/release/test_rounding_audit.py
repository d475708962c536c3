"""Rounding after suppression cannot narrow an audited interval.

The audit solves the attacker's LP with every released count known exactly. After
rounding the attacker knows each released count only within +-base/2, so every table
consistent with the exact release is consistent with the rounded one: the feasible set
only grows, each suppressed cell's minimum can only fall and its maximum only rise.
Checked here by solving the LP again with the rounded values as intervals (HiGHS)."""

from __future__ import annotations

import math

import highspy
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from safepupil.disclosure.cell_model import CellModel, build_cell_model
from safepupil.disclosure.differencing import DifferencingIndex
from safepupil.disclosure.output_policy import load_policy_book
from safepupil.disclosure.rounding import round_to_base, rounding_interval
from safepupil.disclosure.solver import new_highs, pass_lp, run
from safepupil.errors import DisclosureRefused
from safepupil.query.builder import dataset
from safepupil.release.pipeline import decide
from tests.release.support import SCHOOL, counts_table, run_reference, school_table

POLICY = load_policy_book().policy_for(SCHOOL)
BASE = POLICY.rounding_base
Bounds = tuple[np.ndarray, np.ndarray]  # lower and upper bound of every model cell
KEYS = [(la, sex) for la in ("202", "203", "330") for sex in ("F", "M")]


def attacker_interval(model: CellModel, bounds: Bounds, cell: int) -> tuple[float, float]:
    ends = []
    for sign in (1.0, -1.0):
        highs = new_highs()
        costs = np.zeros(model.size)
        costs[cell] = sign
        zeros = np.zeros(model.row_count)
        rows = (model.row_start, model.row_cells, model.row_coefs)
        pass_lp(highs, costs, bounds[0], bounds[1], rows, zeros, zeros)
        status = run(highs, "the rounding check")
        if status == highspy.HighsModelStatus.kUnbounded:
            ends.append(math.inf)  # nothing released bounds the cell from above
            continue
        assert status == highspy.HighsModelStatus.kOptimal
        ends.append(sign * highs.getInfo().objective_function_value)
    return ends[0], ends[1]


def bounds_for(
    model: CellModel, suppressed: set[int], rounded: bool
) -> tuple[np.ndarray, np.ndarray]:
    lower, upper = np.zeros(model.size), np.full(model.size, math.inf)
    for cell in range(model.size):
        if cell in suppressed or not model.published[cell]:
            continue
        value = int(model.values[cell])
        if rounded:
            lower[cell], upper[cell] = rounding_interval(
                round_to_base(value, POLICY.rounding_base), POLICY.rounding_base
            )
        else:
            lower[cell] = upper[cell] = value
    return lower, upper


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=6, max_size=6))
def test_rounded_release_intervals_contain_the_audited_ones(counts: list[int]) -> None:
    rows = counts_table(dict(zip(KEYS, counts, strict=True)))
    if not rows:
        return
    query = dataset(SCHOOL).by("la", "sex").count().build()
    try:
        decision = decide(
            query, run_reference(query, school_table(rows)), POLICY, DifferencingIndex([])
        )
    except DisclosureRefused:
        return
    layout = decision.layout
    model = build_cell_model(layout.counts, layout.dimensions, [layout.names])
    where = {identity: i for i, identity in enumerate(model.identities)}
    suppressed = {where[c.identity] for c in decision.protected.cells if c.suppressed}
    exact, rounded = bounds_for(model, suppressed, False), bounds_for(model, suppressed, True)
    for cell in suppressed:
        lo, hi = attacker_interval(model, exact, cell)
        r_lo, r_hi = attacker_interval(model, rounded, cell)
        assert r_lo <= lo + 1e-6 and r_hi >= hi - 1e-6
        assert r_hi - r_lo >= POLICY.protection_width - 1e-6
