"""What an engine returns: cells with their values, pupil counts and contributors.

A result is not an output: it holds pupil ids (as compressed bitmaps) and unrounded
values, and goes only to the disclosure-control step, never to a researcher.

Cells: one per combination of dimension codes that at least one pupil falls in (a
combination nobody falls in has no cell; the disclosure step knows the codesets if it
needs the zeros). With margins, a cell may hold a coarser level or a total at some
positions: ``levels[i]`` says what position ``i`` holds (the query's dimension, a
coarser geography level such as ``region`` or ``england``, or None for "all").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pyroaring import BitMap, FrozenBitMap

from safepupil.errors import InternalError

CellCode = str | int | bool | None
Level = str | None  # None: the position is totalled over every code
Grouping = tuple[Level, ...]
Number = int | float


@dataclass(frozen=True)
class MeasureValue:
    """One measure in one cell.

    ``n_pupils`` counts the pupils whose records enter the statistic: every pupil for a
    count or a proportion (its denominator), pupils with a value for sum, mean and
    median. ``top1`` and ``top2`` are the two largest per-pupil totals (a pupil's values
    in the cell summed), for dominance rules; None when there are too few pupils.
    """

    value: Number | None
    n_pupils: int
    top1: Number | None = None
    top2: Number | None = None
    numerator: int | None = None  # proportion: pupils meeting the condition

    def __post_init__(self) -> None:
        if self.n_pupils < 0 or (self.numerator is not None and self.numerator > self.n_pupils):
            raise InternalError("a measure has impossible pupil counts")


@dataclass(frozen=True)
class Cell:
    levels: Grouping
    codes: tuple[CellCode, ...]
    n_pupils: int  # distinct pupils in the cell
    values: tuple[MeasureValue, ...]  # one per measure, in the query's order
    contributors: FrozenBitMap  # pupil ids of the pupils in the cell
    interior: bool  # True for the cells the query asked for, False for margins

    def __post_init__(self) -> None:
        if len(self.levels) != len(self.codes):
            raise InternalError("a cell's levels and codes differ in length")
        if self.n_pupils != len(self.contributors):
            raise InternalError("a cell's pupil count differs from its contributors")
        if any(
            level is None and code is not None
            for level, code in zip(self.levels, self.codes, strict=True)
        ):
            raise InternalError("a totalled position of a cell holds a code")


@dataclass(frozen=True)
class QueryResult:
    dimensions: tuple[str, ...]
    measures: tuple[str, ...]  # measure labels, e.g. "count", "sum(sessions_absent)"
    cells: tuple[Cell, ...]  # interior cells first, then margins, each in code order
    contributors: FrozenBitMap  # every pupil in any cell

    @classmethod
    def assemble(
        cls,
        dimensions: Sequence[str],
        measures: Sequence[str],
        groupings: Sequence[Grouping],
        cells: Iterable[Cell],
        everyone: FrozenBitMap | None = None,
    ) -> QueryResult:
        """A result in canonical order, so that engines' results compare equal.

        ``everyone``: the union of the interior cells' contributors, where the engine
        has it for less than the union costs (it is checked by its size)."""
        rank = {grouping: index for index, grouping in enumerate(groupings)}
        ordered = sorted(cells, key=lambda c: (rank[c.levels], _codes_key(c.codes)))
        if any(len(cell.values) != len(measures) for cell in ordered):
            raise InternalError("a cell has the wrong number of measures")
        # Every record is in exactly one interior cell, so they hold every contributor.
        interior = [c for c in ordered if c.interior]
        if everyone is None:
            everyone = FrozenBitMap(BitMap.union(BitMap(), *(c.contributors for c in interior)))
        elif len(everyone) != sum(c.n_pupils for c in interior):
            raise InternalError("the query's contributors are not its interior cells' pupils")
        return cls(tuple(dimensions), tuple(measures), tuple(ordered), everyone)

    @property
    def interior(self) -> tuple[Cell, ...]:
        return tuple(c for c in self.cells if c.interior)

    @property
    def margins(self) -> tuple[Cell, ...]:
        return tuple(c for c in self.cells if not c.interior)

    def cell(self, *codes: CellCode) -> Cell:
        """The interior cell with these codes (in dimension order)."""
        for found in self.cells:
            if found.interior and found.codes == codes:
                return found
        raise KeyError(codes)


def _codes_key(codes: tuple[CellCode, ...]) -> tuple[tuple[bool, CellCode], ...]:
    # Missing values sort first; within one position and level all codes share a type.
    return tuple((code is not None, code) for code in codes)
