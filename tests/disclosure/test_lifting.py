"""Lifted witnesses: the region-level table protected first, its tables lifted into regions.

National tables take this path (complements.takes_regional_search); these tests
force it on small hierarchical tables and hold what it finds to the exact audit.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from safepupil.disclosure import Dimension
from safepupil.disclosure.audit import audit_suppression
from safepupil.disclosure.cell_model import CellModel, build_cell_model
from safepupil.disclosure.complements import choose_complements
from safepupil.disclosure.lifting import cheapest_lift, region_table, regions_of
from safepupil.disclosure.perturbation import Limits
from safepupil.disclosure.policy import FrequencyPolicy
from safepupil.disclosure.primary import primary_reason
from safepupil.disclosure.regional import RegionalSearch, _covering
from safepupil.disclosure.witnesses import Witnesses

POLICY = FrequencyPolicy()
LAS = tuple(f"L{i}" for i in range(7))
LA = Dimension("la", LAS, (("R1", LAS[:4]), ("R2", LAS[4:])))
SEN = Dimension("sen", ("N", "K", "E"))
REASON = Dimension("reason", ("PEX", "MHN", "OTH"))


def national_like(seed: int, tables: list[tuple[str, ...]] | None = None) -> CellModel:
    rng = np.random.default_rng(seed)
    counts = {
        key: int(n)
        for key in itertools.product(LAS, SEN.codes, REASON.codes)
        if (n := rng.choice([0, 0, 1, 2, 3, 5, 8, 13, 30]))
    }
    return build_cell_model(counts, [LA, SEN, REASON], tables or [("la", "sen", "reason")])


def primary_of(model: CellModel) -> np.ndarray:
    return np.array(
        [
            shown and primary_reason(int(v), POLICY) is not None
            for v, shown in zip(model.values, model.published, strict=True)
        ]
    )


def row_sums(model: CellModel, change: np.ndarray) -> np.ndarray:
    return np.bincount(
        model.row_of_entry,
        weights=model.row_coefs * change[model.row_cells],
        minlength=model.row_count,
    )


def test_the_blocks_follow_the_groups_and_each_cell_has_its_region_level_column() -> None:
    model = national_like(0)
    regions = regions_of(model)
    assert regions is not None and regions.count == 2
    for cell, identity in enumerate(model.identities):
        la = identity[0]
        if la in LAS:
            region = "R1" if la in LAS[:4] else "R2"
            assert regions.block[cell] == ("R1", "R2").index(region)
            assert model.identities[regions.column[cell]] == (region, *identity[1:])
        else:
            assert regions.block[cell] == -1 and regions.column[cell] == -1
            assert regions.group[cell] == {"R1": 0, "R2": 1, "Total": -1}[la]
    flat = build_cell_model({("N", "PEX"): 3}, [SEN, REASON], [("sen", "reason")])
    assert regions_of(flat) is None


@pytest.mark.parametrize(
    "tables", [[("la", "sen", "reason")], [("la", "sen"), ("la", "reason"), ("sen", "reason")]]
)
def test_the_region_table_holds_the_same_values_at_every_region_level_cell(
    tables: list[tuple[str, ...]],
) -> None:
    model = national_like(1, tables)
    regions = regions_of(model)
    assert regions is not None
    table = region_table(model, regions)
    for cut_cell, full_cell in enumerate(table.full_cell.tolist()):
        if full_cell >= 0:
            assert table.model.identities[cut_cell] == model.identities[full_cell]
            assert table.model.values[cut_cell] == model.values[full_cell]
    boundary = np.flatnonzero(regions.boundary)
    assert set(boundary.tolist()) <= set(table.full_cell.tolist())  # every one is there


@pytest.mark.parametrize("seed", range(4))
def test_a_lifted_change_adds_up_everywhere_and_keeps_every_count_at_or_above_zero(
    seed: int,
) -> None:
    model = national_like(seed)
    regions = regions_of(model)
    assert regions is not None
    table = region_table(model, regions)
    primary = table.from_full(primary_of(model))
    witnesses = Witnesses.start(table.model)
    none = np.zeros(table.model.size, dtype=bool)
    choose_complements(table.model, primary, none, 10, witnesses=witnesses)
    assert witnesses.changes, "the region-level search found no witness table"
    limits = Limits.of(model, np.zeros(model.size, dtype=bool))
    cost = np.ones(model.size)
    for w in sorted(witnesses.changes):
        region_change = table.to_full(witnesses.table(w) - witnesses.values, model.size)
        lifted = region_change.copy()
        for group in range(regions.count):
            block = regions.cells_of(group)
            change = cheapest_lift(model, block, region_change, cost, limits)
            assert change is not None
            assert np.allclose(change[~block], region_change[~block])  # nothing else moves
            lifted[block] = change[block]
        assert np.allclose(row_sums(model, lifted), 0.0, atol=1e-6)
        assert np.all(model.values + lifted >= -1e-6)
        assert np.allclose(lifted[regions.boundary], region_change[regions.boundary])


def test_a_lift_the_public_cells_cannot_follow_is_refused() -> None:
    # R1's LA totals are public: one more pupil in R1 has no LA to go to.
    model = national_like(2)
    regions = regions_of(model)
    assert regions is not None
    up = np.zeros(model.size)
    for area, sen, reason in itertools.product(("R1", "Total"), ("N", "Total"), ("PEX", "Total")):
        up[model.identities.index((area, sen, reason))] = 1.0  # one more pupil in R1, N, PEX
    public = np.array(
        [ident[0] in LAS[:4] and ident[1:] == ("Total", "Total") for ident in model.identities]
    )
    block = regions.cells_of(0)
    assert cheapest_lift(model, block, up, np.ones(model.size), Limits.of(model, public)) is None
    lifted = cheapest_lift(
        model, block, up, np.ones(model.size), Limits.of(model, np.zeros(model.size, dtype=bool))
    )
    assert lifted is not None and lifted[block].sum() > 0


LINKED = [("la", "sen"), ("la", "reason"), ("sen", "reason")]


@pytest.mark.parametrize(
    ("seed", "tables"), [(seed, None) for seed in range(8)] + [(seed, LINKED) for seed in range(3)]
)
def test_the_lifted_search_leaves_no_cell_narrower_than_the_width(
    seed: int, tables: list[tuple[str, ...]] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safepupil.disclosure import complements, secondary

    monkeypatch.setattr(complements, "LIFT_MIN_PRIMARY", 0)
    monkeypatch.setattr(complements, "LIFT_MIN_CELLS", 0)
    monkeypatch.setattr(secondary, "LOCAL_CHECKS_MIN_HIDDEN", 0)
    model = national_like(seed, tables)
    primary = primary_of(model)
    public = np.zeros_like(primary)
    witnesses = Witnesses.start(model)
    hidden = primary | choose_complements(model, primary, public, 10, witnesses=witnesses)
    exact = audit_suppression(model, hidden, 10, processes=1)
    assert exact.protected, [i for i in exact.intervals if i.hi - i.lo < 10]
    certified = audit_suppression(model, hidden, 10, witnesses=witnesses, exact_up_to=0)
    assert certified.protected  # the lifted tables certify every interval on their own
    again = primary | choose_complements(model, primary, public, 10)
    assert np.array_equal(hidden, again)  # the same pattern every time


def test_the_pattern_is_the_same_in_one_process_or_two(monkeypatch: pytest.MonkeyPatch) -> None:
    from safepupil.disclosure import complements

    monkeypatch.setattr(complements, "LIFT_MIN_PRIMARY", 0)
    monkeypatch.setattr(complements, "LIFT_MIN_CELLS", 0)
    model = national_like(3)
    primary = primary_of(model)
    public = np.zeros_like(primary)
    one = choose_complements(model, primary, public, 10, processes=1)
    two = choose_complements(model, primary, public, 10, processes=2)
    assert np.array_equal(one, two)


def test_every_region_is_in_exactly_one_part_and_the_parts_share_the_work() -> None:
    las = tuple(f"L{i:02}" for i in range(30))
    groups = tuple((f"R{g}", las[g * 5 : g * 5 + 5]) for g in range(6))
    la = Dimension("la", las, groups)
    rng = np.random.default_rng(4)
    counts = {key: int(rng.integers(0, 6)) for key in itertools.product(las, SEN.codes)}
    model = build_cell_model(counts, [la, SEN], [("la", "sen")])
    regions = regions_of(model)
    assert regions is not None
    primary = primary_of(model)
    search = RegionalSearch(model, primary, np.zeros_like(primary), Witnesses.start(model), regions)
    parts = search._parts(10)
    assigned = sorted(group for part in parts for group in part.groups)
    assert assigned == list(range(6))
    work = [int(np.count_nonzero(np.isin(regions.block, p.groups) & primary)) for p in parts]
    assert max(work) - min(work) <= max(
        int(np.count_nonzero((regions.block == g) & primary)) for g in range(6)
    )
    assert all(part.search is not search for part in parts)  # each part has its own state


@pytest.mark.parametrize(
    ("values", "tables", "expected"),
    [
        # The second table alone spans both targets: only it is chosen.
        ([5.0, 20.0], [[6.0, 21.0], [15.0, 8.0]], [2]),
        # One table spans the second target, and then the other completes the first.
        ([5.0, 20.0], [[0.0, 10.0], [11.0, 20.0]], [1, 2]),
        # Neither table alone spans the target (0 to 5, 5 to 11): both ends are kept.
        ([5.0], [[0.0], [11.0]], [1, 2]),
    ],
)
def test_the_covering_tables_span_every_target(
    values: list[float], tables: list[list[float]], expected: list[int]
) -> None:
    witnesses = Witnesses.around(np.array(values))
    for table in tables:
        witnesses.add(np.array(table))
    targets = np.arange(len(values))
    chosen = _covering(witnesses, targets, 10)
    assert sorted(chosen) == expected
    spans = np.array([witnesses.table(w) for w in [0, *chosen]])
    assert np.all(spans.max(axis=0) - spans.min(axis=0) >= 10)


@pytest.mark.parametrize(
    ("cells", "primary", "regional"),
    [
        (22_680, 10_428, True),  # the national LA x SEN x reason table
        (17_010, 4_035, True),  # the same at 1M pupils
        (
            7_980,
            3_523,
            False,
        ),  # 53 LAs x 13 x 9: the whole-table search is quicker to a better pattern
        (13_160, 6_222, True),  # 88 LAs x 13 x 9: four times quicker, 20 cells more of 6,305
        (10_000, 3_000, True),
        (9_999, 3_000, False),
        (10_000, 2_999, False),
    ],
)
def test_national_tables_take_the_regional_search(cells: int, primary: int, regional: bool) -> None:
    from safepupil.disclosure.complements import takes_regional_search

    assert takes_regional_search(cells, primary) is regional
