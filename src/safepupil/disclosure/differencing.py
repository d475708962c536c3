"""Differencing: two released cells whose populations differ by a few pupils reveal them.

If cell A (pupils in LA X) and an earlier cell B (pupils in LA X, but not those born in
May) are both released, A - B describes the few pupils in one set and not the other.
With every released cell's contributor bitmap kept, the check is exact: the symmetric
difference |A xor B| = |A| + |B| - 2 |A and B| must be zero (the same population) or at
least the threshold.

Speed: |A xor B| >= ||A| - |B||, so only earlier cells whose size is within the
threshold of the new cell's size can clash. ``DifferencingIndex`` keeps one cell per
distinct earlier population, sorted by size, and compares the new cell with that narrow
band only, using pyroaring's intersection cardinality (no bitmap is materialised).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from pyroaring import AbstractBitMap, FrozenBitMap


@dataclass(frozen=True)
class EarlierCell:
    """A cell released before: which release, which cell (a short label), whose pupils."""

    release_id: str
    cell: str
    contributors: AbstractBitMap


@dataclass(frozen=True)
class DifferencingHit:
    earlier: EarlierCell
    difference: int  # pupils in one population and not the other (never shown to researchers)


def symmetric_difference_size(a: AbstractBitMap, b: AbstractBitMap) -> int:
    return len(a) + len(b) - 2 * a.intersection_cardinality(b)


def differencing_rule(difference: int, threshold: int) -> str | None:
    """Two populations differing by between 1 and ``threshold - 1`` pupils."""
    if 0 < difference < threshold:
        return f"differs from an earlier release by fewer than {threshold} pupils (differencing)"
    return None


class DifferencingIndex:
    """Earlier released cells of one dataset, sorted by their number of pupils."""

    def __init__(self, cells: Iterable[EarlierCell]) -> None:
        self._populations: set[FrozenBitMap] = set()
        ordered = sorted(self._new(cells), key=lambda cell: len(cell.contributors))
        self._cells: list[EarlierCell] = ordered
        self._sizes = [len(cell.contributors) for cell in ordered]

    def with_cells(self, cells: Iterable[EarlierCell]) -> DifferencingIndex:
        """A new index holding these cells too; this one is left as it was (another
        thread may be reading it), and the work is the new cells', not a fresh sort."""
        grown = DifferencingIndex(())
        grown._populations = set(self._populations)
        grown._cells, grown._sizes = list(self._cells), list(self._sizes)
        for cell in grown._new(cells):
            size = len(cell.contributors)
            at = bisect.bisect_right(grown._sizes, size)
            grown._sizes.insert(at, size)
            grown._cells.insert(at, cell)
        return grown

    def _new(self, cells: Iterable[EarlierCell]) -> Iterator[EarlierCell]:
        """The cells whose population the index does not hold yet (the first of each).
        The same population released again (an LA's total in many tables) cannot clash
        with anything its first copy does not, and repeats are the common case."""
        for cell in cells:
            contributors = cell.contributors
            if not isinstance(contributors, FrozenBitMap):
                contributors = FrozenBitMap(contributors)
            if contributors not in self._populations:
                self._populations.add(contributors)
                yield cell

    def __len__(self) -> int:
        """How many distinct earlier populations it holds."""
        return len(self._cells)

    def candidates(self, size: int, threshold: int) -> Sequence[EarlierCell]:
        """Earlier cells whose size differs from ``size`` by less than ``threshold``."""
        lo = bisect.bisect_left(self._sizes, size - threshold + 1)
        hi = bisect.bisect_right(self._sizes, size + threshold - 1)
        return self._cells[lo:hi]

    def first_hit(self, contributors: AbstractBitMap, threshold: int) -> DifferencingHit | None:
        """The first earlier cell whose population differs from this one by 1..threshold-1."""
        size = len(contributors)
        shared = contributors.intersection_cardinality
        # The hot loop of a release: symmetric_difference_size and differencing_rule,
        # written out (sizes are cached, so only the intersection is counted).
        lo = bisect.bisect_left(self._sizes, size - threshold + 1)
        hi = bisect.bisect_right(self._sizes, size + threshold - 1)
        for position in range(lo, hi):
            earlier = self._cells[position]
            difference = size + self._sizes[position] - 2 * shared(earlier.contributors)
            if 0 < difference < threshold:
                return DifferencingHit(earlier, difference)
        return None


def naive_first_hit(
    cells: Sequence[EarlierCell], contributors: AbstractBitMap, threshold: int
) -> DifferencingHit | None:
    """The same check against every earlier cell (the baseline the index is measured by)."""
    for earlier in cells:
        difference = len(contributors ^ earlier.contributors)
        if differencing_rule(difference, threshold) is not None:
            return DifferencingHit(earlier, difference)
    return None
