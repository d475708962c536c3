"""The certified audit: witness tables checked against the release, and what they prove.

Above EXACT_AUDIT_MAX_UNKNOWNS the audit ships, per end of each interval, either the
exact optimum or a value attained by a checked table with a proven bound beyond it.
These tests force that path on small tables (exact_up_to=0) and hold it to the exact
audit of the same pattern.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from safepupil.disclosure import Dimension
from safepupil.disclosure.attacker import attacker_components, known_cells
from safepupil.disclosure.audit import (
    AUDIT_TOLERANCE,
    AuditedInterval,
    AuditProof,
    audit_suppression,
)
from safepupil.disclosure.blocks import group_boundary
from safepupil.disclosure.cell_model import CellModel, build_cell_model
from safepupil.disclosure.certificates import certified_ends, consistent_with_release
from safepupil.disclosure.complements import choose_complements
from safepupil.disclosure.policy import FrequencyPolicy
from safepupil.disclosure.primary import primary_reason
from safepupil.disclosure.witnesses import Witnesses

POLICY = FrequencyPolicy()
ROWS = Dimension("r", ("a", "b"))
COLS = Dimension("s", ("x", "y"))
SQUARE = {("a", "x"): 3, ("a", "y"): 20, ("b", "x"): 25, ("b", "y"): 40}


def square(hidden: list[tuple[str, str]]) -> tuple[CellModel, np.ndarray]:
    model = build_cell_model(SQUARE, [ROWS, COLS], [("r", "s")])
    return model, np.array([identity in hidden for identity in model.identities])


def cell(model: CellModel, identity: tuple[str, ...]) -> int:
    return model.identities.index(identity)


RECTANGLE = [("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")]


def moved(model: CellModel, changes: dict[tuple[str, str], float]) -> np.ndarray:
    table = model.values.astype(np.float64)
    for identity, change in changes.items():
        table[cell(model, identity)] += change
    return table


@pytest.mark.parametrize(
    ("changes", "consistent"),
    [
        ({}, True),  # the true table
        ({("a", "x"): 5, ("a", "y"): -5, ("b", "x"): -5, ("b", "y"): 5}, True),  # a cycle
        ({("a", "x"): -3, ("a", "y"): 3, ("b", "x"): 3, ("b", "y"): -3}, True),  # down to 0
        ({("a", "x"): -4, ("a", "y"): 4, ("b", "x"): 4, ("b", "y"): -4}, False),  # below 0
        ({("a", "x"): 1e-8}, True),  # within the solvers' accuracy
        ({("a", "x"): 1}, False),  # a row no longer adds up
        ({("a", "Total"): 1, ("a", "x"): 1}, False),  # a released margin moved
    ],
)
def test_a_witness_table_must_be_consistent_with_the_release(
    changes: dict[tuple[str, str], float], consistent: bool
) -> None:
    model, hidden = square(RECTANGLE)
    known = known_cells(model, hidden, np.zeros_like(hidden))
    assert consistent_with_release(model, known, moved(model, changes)) is consistent


CHANGE_CASES = [
    {("a", "x"): 5, ("a", "y"): -5, ("b", "x"): -5, ("b", "y"): 5},
    {("a", "x"): -4, ("a", "y"): 4, ("b", "x"): 4, ("b", "y"): -4},
    {("a", "x"): 1e-8},
    {("a", "x"): 1},
    {("a", "Total"): 1, ("a", "x"): 1},
    {("a", "x"): -3, ("a", "y"): 3, ("b", "x"): 3, ("b", "y"): -3},
]


@pytest.mark.parametrize("batch_rows", [1, 3 * 6, 2_000_000])  # the square has 6 rows
def test_changes_checked_together_pass_exactly_when_their_tables_pass_alone(
    batch_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safepupil.disclosure import certificates

    monkeypatch.setattr(certificates, "CHECK_BATCH_ROWS", batch_rows)
    model, hidden = square(RECTANGLE)
    known = known_cells(model, hidden, np.zeros_like(hidden))
    values = model.values.astype(np.float64)
    changes = []
    for case in CHANGE_CASES:
        table = moved(model, case)
        cells = np.flatnonzero(table != values)
        changes.append((cells, table[cells] - values[cells]))
    alone = [consistent_with_release(model, known, moved(model, case)) for case in CHANGE_CASES]
    together = certificates.consistent_changes(model, known, changes)
    assert together.tolist() == alone == [True, False, True, False, False, True]


def test_a_checked_witness_certifies_an_end_and_the_bound_makes_it_exact() -> None:
    model, hidden = square(RECTANGLE)
    witnesses = Witnesses.start(model)
    # (a, x) from 3 up to 23 (its row's total) and down to 0: both ends reach their bound.
    witnesses.add(moved(model, {("a", "x"): 20, ("a", "y"): -20, ("b", "x"): -20, ("b", "y"): 20}))
    witnesses.add(moved(model, {("a", "x"): -3, ("a", "y"): 3, ("b", "x"): 3, ("b", "y"): -3}))
    proof = audit_suppression(model, hidden, 10, witnesses=witnesses, exact_up_to=0)
    interval = proof.interval_of(("a", "x"))
    assert interval is not None and interval.exact
    assert (interval.lo, interval.hi) == pytest.approx((0.0, 23.0))


def test_an_end_no_witness_reaches_ships_with_its_bound() -> None:
    model, hidden = square(RECTANGLE)
    (component,) = attacker_components(model, known_cells(model, hidden, np.zeros_like(hidden)))
    # Checked tables took (a, x) from 3 down to 0 and up to 15 only.
    lo, hi = model.values[component.cells].astype(float), model.values[component.cells] * 1.0
    column = int(np.flatnonzero(component.cells == cell(model, ("a", "x")))[0])
    lo[column], hi[column] = 0.0, 15.0
    found = certified_ends(component, np.array([column]), (lo, hi))
    low, high, low_bound, high_bound = (float(end[0]) for end in found)
    assert (low, high, high_bound) == (0.0, 15.0, 23.0)  # 23: the row total
    assert np.isnan(low_bound)  # 0 is exact: no count goes below it
    # ... and as the release record shows it:
    interval = AuditedInterval(("a", "x"), 0.0, 15.0, None, 23.0)
    proof = AuditProof(("r", "s"), 10, (interval,), "HiGHS", "1")
    record = proof.to_dict()["cells"][0]
    assert (record["exact"], record["min"], record["max"]) == (False, 0.0, 15.0)
    assert (record["min_bound"], record["max_bound"]) == (0.0, 23.0)
    assert proof.protected  # 15 pupils wide, whatever the exact maximum


def test_a_wrong_witness_is_rejected_and_the_cell_is_solved_exactly() -> None:
    model, hidden = square([("a", "x")])  # alone in its row: pinned at 3
    witnesses = Witnesses.start(model)
    witnesses.add(moved(model, {("a", "x"): 20}))  # breaks both of its rows
    proof = audit_suppression(model, hidden, 10, witnesses=witnesses, exact_up_to=0)
    (interval,) = proof.intervals
    assert interval.exact
    assert (interval.lo, interval.hi) == pytest.approx((3.0, 3.0))
    assert not proof.protected


def hierarchical_case(seed: int) -> tuple[CellModel, np.ndarray]:
    las = tuple(f"L{i}" for i in range(7))
    la = Dimension("la", las, (("R1", las[:4]), ("R2", las[4:])))
    sen = Dimension("sen", ("N", "K", "E"))
    reason = Dimension("reason", ("PEX", "MHN", "OTH"))
    rng = np.random.default_rng(seed)
    counts = {
        key: int(n)
        for key in itertools.product(las, sen.codes, reason.codes)
        if (n := rng.choice([0, 0, 1, 2, 3, 5, 8, 13, 30]))
    }
    model = build_cell_model(counts, [la, sen, reason], [("la", "sen", "reason")])
    primary = np.array(
        [
            shown and primary_reason(int(v), POLICY) is not None
            for v, shown in zip(model.values, model.published, strict=True)
        ]
    )
    return model, primary


@pytest.mark.parametrize("seed", range(6))
def test_certified_intervals_lie_inside_the_exact_ones_and_their_bounds_outside(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safepupil.disclosure import secondary

    # The large-table path (group blocks and local boxes first) on a small table.
    monkeypatch.setattr(secondary, "LOCAL_CHECKS_MIN_HIDDEN", 0)
    model, primary = hierarchical_case(seed)
    public = np.zeros_like(primary)
    witnesses = Witnesses.start(model)
    hidden = primary | choose_complements(model, primary, public, 10, witnesses=witnesses)
    exact = audit_suppression(model, hidden, 10, processes=1)
    certified = audit_suppression(model, hidden, 10, witnesses=witnesses, exact_up_to=0)
    assert exact.protected and certified.protected
    tolerance = 10 * AUDIT_TOLERANCE
    for truth, found in zip(exact.intervals, certified.intervals, strict=True):
        assert truth.identity == found.identity and truth.exact
        assert truth.lo - tolerance <= found.lo <= found.hi <= truth.hi + tolerance
        assert (found.lo_bound if found.lo_bound is not None else found.lo) <= truth.lo + tolerance
        assert (found.hi_bound if found.hi_bound is not None else found.hi) >= truth.hi - tolerance
        if found.exact:
            assert (found.lo, found.hi) == pytest.approx((truth.lo, truth.hi), abs=tolerance)


def test_a_group_block_fixes_the_groups_and_the_total_of_the_widest_hierarchy() -> None:
    model, _ = hierarchical_case(0)
    boundary = group_boundary(model)
    assert boundary is not None
    fixed = {model.identities[c][0] for c in np.flatnonzero(boundary)}
    free = {model.identities[c][0] for c in np.flatnonzero(~boundary)}
    assert fixed == {"R1", "R2", "Total"}
    assert free == {f"L{i}" for i in range(7)}
    flat = build_cell_model(SQUARE, [ROWS, COLS], [("r", "s")])
    assert group_boundary(flat) is None


def test_kept_witness_tables_are_those_that_still_attain_a_bound() -> None:
    model, _ = square(RECTANGLE)
    witnesses = Witnesses.start(model)
    first = moved(model, {("a", "x"): 1, ("a", "y"): -1, ("b", "x"): -1, ("b", "y"): 1})
    second = moved(model, {("a", "x"): 2, ("a", "y"): -2, ("b", "x"): -2, ("b", "y"): 2})
    witnesses.add(first)
    witnesses.add(second)  # beats the first in every cell it moved
    witnesses.prune()
    assert sorted(witnesses.changes) == [2]
    np.testing.assert_array_equal(witnesses.table(2), second)
    np.testing.assert_array_equal(witnesses.hi, np.maximum(model.values, second))
