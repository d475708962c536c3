"""The audit solved per component (and split between processes) equals the whole-table LP.

The reference here is built from scratch: one dense programme over the interior cells of
the whole table, every released published cell fixed at its value, solved cold by HiGHS
for each suppressed cell's minimum and maximum. It shares nothing with the audit but
the cell model's list of cells and which are published.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safepupil.disclosure import Dimension, FrequencyPolicy, parallel, protect_linked_counts
from safepupil.disclosure.attacker import attacker_components, known_cells
from safepupil.disclosure.audit import audit_suppression
from safepupil.disclosure.cell_model import CellModel, build_cell_model
from tests.disclosure.brute_audit import solve_min


def whole_table_intervals(
    model: CellModel, dims: list[Dimension], hidden: np.ndarray
) -> dict[tuple[str, ...], tuple[float, float]]:
    interior = list(itertools.product(*(d.codes for d in dims)))
    value_of = {
        identity: int(v) for identity, v in zip(model.identities, model.values, strict=True)
    }

    def box(identity: tuple[str, ...]) -> np.ndarray:
        return np.array(
            [
                all(
                    leaf in d.leaves(code)
                    for leaf, code, d in zip(key, identity, dims, strict=True)
                )
                for key in interior
            ],
            dtype=float,
        )

    released = [
        i for i, cell in enumerate(model.identities) if model.published[i] and not hidden[i]
    ]
    rows = [box(model.identities[i]) for i in released]
    values = [float(value_of[model.identities[i]]) for i in released]
    out = {}
    for i in np.flatnonzero(hidden & model.published):
        objective = box(model.identities[i])
        lo = solve_min(objective, rows, values)
        hi = -solve_min(-objective, rows, values)
        out[model.identities[i]] = (lo, hi)
    return out


@st.composite
def tables_with_patterns(draw):  # type: ignore[no-untyped-def]
    rows = draw(st.integers(3, 6))
    leaves = tuple(f"r{i}" for i in range(rows))
    groups = (("G1", leaves[:2]), ("G2", leaves[2:])) if draw(st.booleans()) else ()
    dims = [Dimension("r", leaves, groups), Dimension("s", tuple(f"s{j}" for j in range(3)))]
    if draw(st.booleans()):
        dims.append(Dimension("t", ("t0", "t1")))
    keys = list(itertools.product(*(d.codes for d in dims)))
    counts = {key: draw(st.integers(0, 30)) for key in keys}
    model = build_cell_model(counts, dims, [tuple(d.name for d in dims)])
    hidden = np.array(draw(st.lists(st.booleans(), min_size=model.size, max_size=model.size)))
    return dims, model, hidden & model.published


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables_with_patterns())
def test_the_audit_per_component_matches_the_whole_table_programme(case) -> None:  # type: ignore[no-untyped-def]
    dims, model, hidden = case
    proof = audit_suppression(model, hidden, 10, processes=1)
    expected = whole_table_intervals(model, dims, hidden)
    assert len(proof.intervals) == len(expected)
    for interval in proof.intervals:
        lo, hi = expected[interval.identity]
        assert interval.lo == pytest.approx(lo, abs=1e-6), interval.identity
        assert interval.hi == pytest.approx(hi, abs=1e-6) or interval.hi == hi == math.inf


def checkerboard() -> tuple[list[Dimension], CellModel, np.ndarray]:
    """Two rectangles of hidden cells in a 6 x 4 table that share no row: two components."""
    dims = [Dimension("r", tuple(f"r{i}" for i in range(6))), Dimension("s", ("a", "b", "c", "d"))]
    counts = {key: 5 + 3 * i for i, key in enumerate(itertools.product(*(d.codes for d in dims)))}
    model = build_cell_model(counts, dims, [("r", "s")])
    corners = {("r0", "a"), ("r0", "b"), ("r1", "a"), ("r1", "b")}
    corners |= {("r3", "c"), ("r3", "d"), ("r5", "c"), ("r5", "d")}
    hidden = np.array([identity in corners for identity in model.identities])
    return dims, model, hidden


def test_independent_rectangles_are_separate_components_with_the_whole_table_answer() -> None:
    dims, model, hidden = checkerboard()
    components = attacker_components(model, known_cells(model, hidden, np.zeros_like(hidden)))
    assert sorted(len(c.cells) for c in components) == [4, 4]
    proof = audit_suppression(model, hidden, 10, processes=1)
    for interval in proof.intervals:
        lo, hi = whole_table_intervals(model, dims, hidden)[interval.identity]
        assert (interval.lo, interval.hi) == pytest.approx((lo, hi), abs=1e-6)


@pytest.mark.slow
def test_a_component_split_between_processes_gives_the_same_proof(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(3)
    dims = [Dimension("r", tuple(f"r{i}" for i in range(8))), Dimension("s", ("a", "b", "c"))]
    dims.append(Dimension("t", ("x", "y", "z")))
    keys = itertools.product(*(d.codes for d in dims))
    counts = {key: int(n) for key, n in zip(keys, rng.integers(0, 12, 72), strict=True)}
    model = build_cell_model(counts, dims, [("r", "s", "t")])
    hidden = model.published & (model.values < 10)
    whole = audit_suppression(model, hidden, 10, processes=1)
    # Cut even this small component, and solve its parts here and then in two processes.
    monkeypatch.setattr(parallel, "PARALLEL_MIN_CELLS", 1)
    here = audit_suppression(model, hidden, 10, processes=1)
    split = audit_suppression(model, hidden, 10, processes=2)
    assert split.to_dict() == here.to_dict()
    serial = whole
    assert split.to_dict() == serial.to_dict()
    expected = whole_table_intervals(model, dims, hidden)
    for interval in split.intervals:
        lo, hi = expected[interval.identity]
        assert interval.lo == pytest.approx(lo, abs=1e-6)
        assert interval.hi == pytest.approx(hi, abs=1e-6) or interval.hi == hi == math.inf


@pytest.mark.slow
def test_the_pattern_does_not_depend_on_the_number_of_cores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(5)
    dims = [Dimension("r", tuple(f"r{i}" for i in range(8))), Dimension("s", ("a", "b", "c"))]
    dims.append(Dimension("t", ("x", "y", "z")))
    keys = itertools.product(*(d.codes for d in dims))
    counts = {key: int(n) for key, n in zip(keys, rng.integers(0, 14, 72), strict=True)}
    table = [("r", "s", "t")]
    # Cut every component with a question into parts, so the parts' workers really run.
    monkeypatch.setattr(parallel, "PARALLEL_MIN_CELLS", 1)
    monkeypatch.setattr(parallel, "available_cores", lambda: 1)
    one_core = protect_linked_counts(counts, dims, table, FrequencyPolicy())
    monkeypatch.setattr(parallel, "available_cores", lambda: 2)
    two_cores = protect_linked_counts(counts, dims, table, FrequencyPolicy())
    assert [c.status for c in one_core.cells] == [c.status for c in two_cores.cells]
    assert one_core.audit.to_dict() == two_cores.audit.to_dict()
    assert two_cores.audit.protected
