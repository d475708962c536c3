"""The engine interface, and what every engine shares: the cells a query asks for.

An engine turns a ``RestrictedQuery`` and its data source into a ``QueryResult``.
Engines differ only in where the data live (Python rows, DuckDB, later Spark); the
source type is the engine's own, so adding an engine never changes the query model.

The data an engine reads: one table per dataset with the dataset's catalogue items as
columns, plus ``pupil_id`` (an integer from 0 to 2**32 - 1, one per pupil token across
the whole store, assigned by the store) from which contributor bitmaps are made.
"""

from __future__ import annotations

import itertools
from typing import Protocol, TypeVar

from safepupil.query.model import Query
from safepupil.query.restriction import RestrictedQuery
from safepupil.query.results import Grouping, Level, QueryResult

PUPIL_ID = "pupil_id"
PUPIL_TOKEN = "pupil_token"  # noqa: S105 - a column name, not a secret
MAX_PUPIL_ID = 2**32 - 1  # contributor bitmaps are 32-bit roaring bitmaps

SourceT = TypeVar("SourceT", contravariant=True)


class Engine(Protocol[SourceT]):
    """Runs restricted queries over a source of type ``SourceT``."""

    name: str

    def run(
        self, restricted: RestrictedQuery, source: SourceT, *, with_margins: bool = False
    ) -> QueryResult:
        """The query's interior cells, and with ``with_margins`` every margin too: each
        dimension also at its totals (and an LA dimension at region and England), with
        the margins' own pupil counts, values and contributors."""
        ...


def groupings(query: Query, with_margins: bool) -> tuple[Grouping, ...]:
    """The levels of every cell family the run returns; the interior comes first.

    Families come in the order of ``itertools.product`` over each dimension's levels
    (finest first), so a family's every one-step-finer family comes before it.
    """
    interior: Grouping = tuple(query.dimensions)
    if not with_margins:
        return (interior,)
    return tuple(itertools.product(*rollup_levels(query)))


def rollup_levels(query: Query) -> list[tuple[Level, ...]]:
    """Each dimension's levels from finest to the total: la, region, england (England is
    the total of the LA hierarchy), or the dimension then None for the other ones."""
    levels: list[tuple[Level, ...]] = []
    for dimension in query.dimensions:
        chain = query.spec.geography_chain(dimension)
        levels.append(chain if chain else (dimension, None))
    return levels


def finer_family(family: Grouping, levels: list[tuple[Level, ...]]) -> tuple[Grouping, int]:
    """A family one step finer than the margin family ``family``, and the position that
    differs: the margin's cells are unions of that family's cells."""
    steps = [options.index(level) for options, level in zip(levels, family, strict=True)]
    position = max(i for i, step in enumerate(steps) if step > 0)
    finer = list(family)
    finer[position] = levels[position][steps[position] - 1]
    return tuple(finer), position
