"""Properties over random small tables, checked by an independent brute-force attacker."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safepupil.disclosure import CellStatus, Dimension, FrequencyPolicy, protect_linked_counts
from tests.disclosure.brute_audit import brute_intervals

small_counts = st.one_of(st.integers(0, 12), st.integers(0, 60))


@st.composite
def linked_tables(draw):  # type: ignore[no-untyped-def]
    rows = draw(st.integers(2, 4))
    cols = draw(st.integers(2, 3))
    grouped = draw(st.booleans()) and rows >= 3
    leaves = tuple(f"r{i}" for i in range(rows))
    groups = (("G1", leaves[:2]), ("G2", leaves[2:])) if grouped else ()
    dims = [Dimension("r", leaves, groups), Dimension("s", tuple(f"s{j}" for j in range(cols)))]
    if draw(st.booleans()):
        dims.append(Dimension("t", ("t0", "t1")))
        tables = draw(st.sampled_from([[("r", "s")], [("r", "s"), ("r", "t")], [("r", "s", "t")]]))
    else:
        tables = [("r", "s")]
    keys = list(itertools.product(*(d.codes for d in dims)))
    counts = {key: draw(small_counts) for key in keys}
    policy = FrequencyPolicy(
        threshold=draw(st.sampled_from([3, 5, 10])),
        protection_width=draw(st.sampled_from([3, 5, 10])),
        suppress_zeros=draw(st.booleans()),
    )
    return counts, dims, tables, policy


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(linked_tables())
def test_no_suppressed_cell_is_narrower_than_the_policy(case) -> None:  # type: ignore[no-untyped-def]
    counts, dims, tables, policy = case
    release = protect_linked_counts(counts, dims, tables, policy)
    assert release.audit.protected
    intervals = brute_intervals(counts, dims, release)
    for (_table, key), (lo, hi) in intervals.items():
        assert hi - lo >= policy.protection_width - 1e-6, key
    # The code's own audit agrees with the independent one.
    for cell in release.cells:
        if cell.suppressed:
            lo, hi = intervals[(cell.table, cell.key)]
            assert cell.interval is not None
            assert abs(cell.interval[0] - lo) < 1e-6
            assert cell.interval[1] == hi or abs(cell.interval[1] - hi) < 1e-6


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(linked_tables())
def test_primary_rules_hold_and_statuses_agree_across_tables(case) -> None:  # type: ignore[no-untyped-def]
    counts, dims, tables, policy = case
    release = protect_linked_counts(counts, dims, tables, policy)
    statuses: dict[tuple[str, ...], CellStatus] = {}
    for cell in release.cells:
        assert statuses.setdefault(cell.identity, cell.status) is cell.status
        small = 0 < cell.value < policy.threshold or (cell.value == 0 and policy.suppress_zeros)
        assert (cell.status is CellStatus.PRIMARY) is small
        if cell.released_value is not None:
            assert cell.released_value == cell.value


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(linked_tables(), st.randoms(use_true_random=False))
def test_same_input_gives_the_same_pattern(case, random) -> None:  # type: ignore[no-untyped-def]
    counts, dims, tables, policy = case
    first = protect_linked_counts(counts, dims, tables, policy)
    shuffled = list(counts.items())
    random.shuffle(shuffled)
    second = protect_linked_counts(dict(shuffled), dims, tables, policy)
    assert [c.status for c in first.cells] == [c.status for c in second.cells]
    assert first.audit.to_dict() == second.audit.to_dict()
