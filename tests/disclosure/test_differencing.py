"""Differencing: boundary table of symmetric differences; the size index finds every hit
the all-pairs check finds (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyroaring import BitMap, FrozenBitMap

from safepupil.disclosure.differencing import (
    DifferencingIndex,
    EarlierCell,
    differencing_rule,
    naive_first_hit,
    symmetric_difference_size,
)


@pytest.mark.parametrize(
    ("difference", "fails"), [(0, False), (1, True), (9, True), (10, False), (500, False)]
)
def test_populations_differing_by_one_to_nine_pupils_clash(difference: int, fails: bool) -> None:
    assert (differencing_rule(difference, 10) is not None) is fails


def test_symmetric_difference_from_intersection_cardinality() -> None:
    a, b = BitMap(range(0, 100)), BitMap(range(3, 103))
    assert symmetric_difference_size(a, b) == len(a ^ b) == 6


def test_two_queries_one_pupil_apart_clash() -> None:
    earlier = EarlierCell("r1", '{"la": "201"}', FrozenBitMap(range(50)))
    index = DifferencingIndex([earlier])
    hit = index.first_hit(FrozenBitMap(range(1, 50)), 10)
    assert hit is not None and hit.earlier is earlier and hit.difference == 1
    assert index.first_hit(FrozenBitMap(range(50)), 10) is None  # the same population again
    assert index.first_hit(FrozenBitMap(range(60)), 10) is None  # ten apart


def test_the_index_compares_only_cells_of_nearby_size() -> None:
    cells = [EarlierCell(str(n), "", FrozenBitMap(range(n))) for n in (5, 40, 49, 50, 59, 60, 200)]
    index = DifferencingIndex(cells)
    assert [c.release_id for c in index.candidates(50, 10)] == ["49", "50", "59"]


bitmaps = st.sets(st.integers(0, 60), max_size=40).map(FrozenBitMap)


@settings(max_examples=200)
@given(earlier=st.lists(bitmaps, max_size=12), new=bitmaps)
def test_the_index_agrees_with_the_all_pairs_check(
    earlier: list[FrozenBitMap], new: FrozenBitMap
) -> None:
    cells = [EarlierCell(str(i), "", b) for i, b in enumerate(earlier)]
    indexed = DifferencingIndex(cells).first_hit(new, 10)
    naive = naive_first_hit(cells, new, 10)
    assert (indexed is None) == (naive is None)
    if indexed is not None:
        assert 0 < indexed.difference < 10


def test_the_index_keeps_one_cell_per_distinct_population() -> None:
    la_total = FrozenBitMap(range(100, 150))
    cells = [
        EarlierCell("r1", "la=201", la_total),
        EarlierCell("r2", "la=201", FrozenBitMap(range(100, 150))),  # the same pupils again
        EarlierCell("r3", "la=201, sex=F", BitMap(range(100, 125))),  # not frozen: still kept
    ]
    index = DifferencingIndex(cells)
    assert len(index) == 2
    hit = index.first_hit(BitMap(range(100, 148)), 10)  # two pupils fewer than the total
    assert hit is not None and hit.earlier.release_id == "r1" and hit.difference == 2
    assert index.first_hit(BitMap(range(100, 150)), 10) is None  # the same population


def test_an_index_grown_with_new_cells_equals_one_built_at_once() -> None:
    def cell(n: int) -> EarlierCell:
        return EarlierCell(f"r{n}", "c", FrozenBitMap(range(n, n + 20 + n % 7)))

    first, later = [cell(n) for n in range(0, 40, 3)], [cell(n) for n in range(1, 40, 2)]
    before = DifferencingIndex(first)
    grown = before.with_cells(later + first[:2])  # repeats are not added twice
    whole = DifferencingIndex(first + later)
    assert len(before) == len(first) and len(grown) == len(whole)
    for size in range(15, 35):
        assert [c.release_id for c in grown.candidates(size, 10)] == [
            c.release_id for c in whole.candidates(size, 10)
        ]
