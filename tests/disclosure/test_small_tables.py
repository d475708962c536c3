"""Small tables worked out by hand, each with the pattern a person would choose."""

from __future__ import annotations

import pytest

from safepupil.disclosure import (
    CellStatus,
    Dimension,
    FrequencyPolicy,
    ProtectedRelease,
    protect_linked_counts,
)
from tests.disclosure.brute_audit import brute_intervals

POLICY = FrequencyPolicy()
ROWS = Dimension("r", ("a", "b", "c"))
COLS = Dimension("s", ("x", "y", "z"))
BIG_3X3 = {
    ("a", "y"): 20,
    ("a", "z"): 30,
    ("b", "x"): 25,
    ("b", "y"): 40,
    ("b", "z"): 50,
    ("c", "x"): 35,
    ("c", "y"): 45,
    ("c", "z"): 60,
}


def suppressed_keys(release: ProtectedRelease, status: CellStatus) -> set[tuple[str, ...]]:
    return {cell.key for cell in release.cells if cell.status is status}


def assert_independently_protected(counts, dims, release, width=10) -> None:  # type: ignore[no-untyped-def]
    for (_table, key), (lo, hi) in brute_intervals(counts, dims, release).items():
        assert hi - lo >= width - 1e-6, key


def test_one_small_cell_in_a_3x3_needs_a_rectangle_of_three_complements() -> None:
    counts = {**BIG_3X3, ("a", "x"): 3}
    release = protect_linked_counts(counts, [ROWS, COLS], [("r", "s")], POLICY)
    assert suppressed_keys(release, CellStatus.PRIMARY) == {("a", "x")}
    secondary = suppressed_keys(release, CellStatus.SECONDARY)
    # The cheapest rectangle through (a, x): the smallest cells that close it.
    assert secondary == {("a", "y"), ("b", "x"), ("b", "y")}
    assert all("Total" not in key for key in secondary)  # interior preferred to margins
    assert release.secondary_count == 3
    assert_independently_protected(counts, [ROWS, COLS], release)


def test_two_small_cells_in_a_row_also_hide_the_rest_of_the_row() -> None:
    counts = {**BIG_3X3, ("a", "x"): 3, ("a", "y"): 4}
    release = protect_linked_counts(counts, [ROWS, COLS], [("r", "s")], POLICY)
    assert suppressed_keys(release, CellStatus.PRIMARY) == {("a", "x"), ("a", "y")}
    # With (a, z) and the row total released, (a,x) + (a,y) = 7 would be known, so
    # neither could span 10: the rest of row a must go too.
    assert ("a", "z") in suppressed_keys(release, CellStatus.SECONDARY)
    assert_independently_protected(counts, [ROWS, COLS], release)


def test_a_table_whose_only_complement_is_a_margin() -> None:
    rows, cols = Dimension("r", ("a", "b")), Dimension("s", ("x", "y"))
    # (a, y) is a released zero, so every interior cell would follow from the margins.
    counts = {("a", "x"): 3, ("b", "x"): 50, ("b", "y"): 60}
    release = protect_linked_counts(counts, [rows, cols], [("r", "s")], POLICY)
    assert suppressed_keys(release, CellStatus.PRIMARY) == {("a", "x"), ("a", "Total")}
    secondary = suppressed_keys(release, CellStatus.SECONDARY)
    assert any("Total" in key for key in secondary)
    assert secondary == {("b", "x"), ("b", "Total")}
    assert release.cell(("r", "s"), ("a", "y")).released_value == 0
    assert_independently_protected(counts, [rows, cols], release)


def test_a_small_la_cannot_be_recovered_from_its_region_subtotal() -> None:
    la = Dimension("la", ("A", "B", "C", "D"), (("R1", ("A", "B")), ("R2", ("C", "D"))))
    sex = Dimension("sex", ("F", "M"))
    counts = {
        ("A", "F"): 3,
        ("A", "M"): 40,
        ("B", "F"): 30,
        ("B", "M"): 35,
        ("C", "F"): 20,
        ("C", "M"): 22,
        ("D", "F"): 25,
        ("D", "M"): 28,
    }
    release = protect_linked_counts(counts, [la, sex], [("la", "sex")], POLICY)
    # The region subtotals (R1, F) and (R1, M) are released, so the complements stay
    # inside region R1: a rectangle across regions would have to hide region cells.
    assert suppressed_keys(release, CellStatus.SECONDARY) == {("A", "M"), ("B", "F"), ("B", "M")}
    assert release.cell(("la", "sex"), ("R1", "F")).released_value == 33
    assert_independently_protected(counts, [la, sex], release)


def test_linked_tables_share_margins_with_one_status() -> None:
    la = Dimension("la", ("A", "B", "C"))
    sex = Dimension("sex", ("F", "M"))
    reason = Dimension("reason", ("PRG", "OTH"))
    counts = {}
    for i, a in enumerate(la.codes):
        for j, s in enumerate(sex.codes):
            for k, r in enumerate(reason.codes):
                counts[(a, s, r)] = 2 if (a, r) == ("A", "PRG") else 10 + 7 * i + 5 * j + 3 * k
    dims = [la, sex, reason]
    tables = [("la", "sex"), ("la", "reason")]
    release = protect_linked_counts(counts, dims, tables, POLICY)
    by_identity: dict[tuple[str, ...], set[CellStatus]] = {}
    for cell in release.cells:
        by_identity.setdefault(cell.identity, set()).add(cell.status)
    assert all(len(statuses) == 1 for statuses in by_identity.values())
    # The LA totals and the grand total appear in both tables.
    shared = [i for i in by_identity if i[1] == "Total" and i[2] == "Total"]
    assert len(shared) == 4
    assert release.cell(("la", "reason"), ("A", "PRG")).status is CellStatus.PRIMARY
    assert release.secondary_count >= 3
    assert_independently_protected(counts, dims, release)


def test_every_cell_of_every_table_is_returned_once() -> None:
    counts = {**BIG_3X3, ("a", "x"): 3}
    release = protect_linked_counts(counts, [ROWS, COLS], [("r", "s")], POLICY)
    assert len(release.cells) == 16  # (3 + 1) x (3 + 1)
    assert len({(c.table, c.key) for c in release.cells}) == 16
    assert release.cell(("r", "s"), ("Total", "Total")).value == 308


def test_a_table_without_small_cells_is_released_whole() -> None:
    counts = {**BIG_3X3, ("a", "x"): 12}
    release = protect_linked_counts(counts, [ROWS, COLS], [("r", "s")], POLICY)
    assert release.suppressed_count == 0
    assert release.audit.intervals == ()
    assert release.audit.protected


@pytest.mark.parametrize("width", [5, 10, 20])
def test_wider_protection_never_gives_narrower_intervals(width: int) -> None:
    counts = {**BIG_3X3, ("a", "x"): 3}
    policy = FrequencyPolicy(protection_width=width)
    release = protect_linked_counts(counts, [ROWS, COLS], [("r", "s")], policy)
    assert all(i.hi - i.lo >= width - 1e-6 for i in release.audit.intervals)
    assert_independently_protected(counts, [ROWS, COLS], release, width)


def test_suppressed_zeros_are_protected_too() -> None:
    counts = {k: v for k, v in BIG_3X3.items() if k != ("b", "y")}  # (a,x) and (b,y) are 0
    policy = FrequencyPolicy(suppress_zeros=True)
    release = protect_linked_counts(counts, [ROWS, COLS], [("r", "s")], policy)
    assert suppressed_keys(release, CellStatus.PRIMARY) == {("a", "x"), ("b", "y")}
    assert_independently_protected(counts, [ROWS, COLS], release)
