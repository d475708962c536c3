"""The audit on its own: exact attacker intervals for a given pattern, and its verdict."""

from __future__ import annotations

import math

import numpy as np
import pytest

from safepupil.disclosure import Dimension
from safepupil.disclosure.attacker import attacker_components, known_cells
from safepupil.disclosure.audit import AuditedInterval, audit_suppression, spans
from safepupil.disclosure.bounds import propagated_bounds
from safepupil.disclosure.cell_model import CellModel, build_cell_model

ROWS = Dimension("r", ("a", "b"))
COLS = Dimension("s", ("x", "y"))
COUNTS = {("a", "x"): 3, ("a", "y"): 20, ("b", "x"): 25, ("b", "y"): 40}


def model_and_mask(hidden: list[tuple[str, str]]) -> tuple[CellModel, np.ndarray]:
    model = build_cell_model(COUNTS, [ROWS, COLS], [("r", "s")])
    mask = np.array([identity in hidden for identity in model.identities])
    return model, mask


def test_a_lone_hidden_cell_is_pinned_down_and_not_protected() -> None:
    model, mask = model_and_mask([("a", "x")])
    proof = audit_suppression(model, mask, 10)
    assert not proof.protected
    (interval,) = proof.intervals
    assert (interval.lo, interval.hi) == pytest.approx((3.0, 3.0))
    assert proof.failures == (interval,)


def test_a_rectangle_gives_the_hand_computed_intervals() -> None:
    model, mask = model_and_mask([("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")])
    proof = audit_suppression(model, mask, 10)
    # Row a adds to 23, column x to 28: (a, x) can be anything from 0 to 23.
    assert proof.interval_of(("a", "x")) == AuditedInterval(("a", "x"), 0.0, 23.0)
    assert proof.interval_of(("b", "y")) == AuditedInterval(("b", "y"), 37.0, 60.0)
    assert proof.protected


def test_hiding_a_grand_total_leaves_cells_unbounded() -> None:
    model, mask = model_and_mask([("a", "x"), ("a", "Total"), ("Total", "x"), ("Total", "Total")])
    proof = audit_suppression(model, mask, 10)
    assert math.isinf(proof.interval_of(("a", "x")).hi)  # type: ignore[union-attr]
    assert proof.to_dict()["cells"][0]["max"] is None


@pytest.mark.parametrize(
    ("lo", "hi", "width", "ok"),
    [(0, 10, 10, True), (0, 9.9999999, 10, True), (0, 9.99, 10, False), (3, 13, 10, True)],
)
def test_spans_boundary(lo: float, hi: float, width: int, ok: bool) -> None:
    assert spans(AuditedInterval(("a",), lo, hi), width) is ok


def test_propagated_bounds_are_valid_and_tight_on_a_rectangle() -> None:
    model, mask = model_and_mask([("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")])
    (component,) = attacker_components(model, known_cells(model, mask, np.zeros_like(mask)))
    lo, hi = propagated_bounds(component)
    by_cell = {model.identities[c]: (lo[i], hi[i]) for i, c in enumerate(component.cells)}
    assert by_cell[("a", "x")] == pytest.approx((0.0, 23.0))
    assert by_cell[("b", "y")] == pytest.approx((37.0, 60.0))
