"""From an engine's result to the disclosure step's vocabulary: dimensions, keys, counts.

A published table is the query's full cross-classification with all its margins (an LA
dimension also at region and England). Every cell is named by a key of text codes, one
per query dimension: the leaf code, a group code (a region) or ``Total``. The interior
counts (distinct pupils per interior cell) are what the count-table suppression reads;
its margins are the sums of those counts, so the LP audit's additivity holds exactly.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

from safepupil.disclosure.tables import Dimension
from safepupil.errors import QueryError
from safepupil.query.derivations import region_lookup
from safepupil.query.model import Query
from safepupil.query.results import Cell, CellCode, QueryResult

TOTAL = "Total"
MISSING = "(missing)"  # a missing value is a code of its own in a table
Key = tuple[str, ...]


@dataclass(frozen=True)
class Layout:
    dimensions: tuple[Dimension, ...]
    counts: Mapping[Key, int]  # interior keys -> distinct pupils
    cells: Mapping[Key, Cell]  # every engine cell (interior and margins) by its key

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.dimensions)

    def published_keys(self) -> list[Key]:
        """Every cell of the published table, interior and margins, in a stable order."""
        return [tuple(key) for key in itertools.product(*(d.all_codes for d in self.dimensions))]

    def value(self, key: Key) -> int:
        """The count of a published cell: the sum of the interior counts below it."""
        leaves = [d.leaves(code) for d, code in zip(self.dimensions, key, strict=True)]
        return sum(self.counts.get(tuple(k), 0) for k in itertools.product(*leaves))


def code_text(code: CellCode) -> str:
    if code is None:
        return MISSING
    if isinstance(code, bool):
        return "true" if code else "false"
    return str(code)


def require_dimensions(query: Query) -> None:
    """A published table needs a dimension to carry its margins; England is one."""
    if not query.dimensions:
        raise QueryError(
            "a protected query needs at least one dimension",
            hint='for a national figure, group by "england"',
        )


def layout_of(query: Query, result: QueryResult) -> Layout:
    require_dimensions(query)
    chains = [query.spec.geography_chain(d) for d in query.dimensions]
    interior = result.interior
    cells = {_key(cell, query.dimensions, chains): cell for cell in result.cells}
    counts = {_key(cell, query.dimensions, chains): cell.n_pupils for cell in interior}
    dimensions = tuple(
        _dimension(query, position, chain, {key[position] for key in counts})
        for position, chain in enumerate(chains)
    )
    return Layout(dimensions=dimensions, counts=counts, cells=cells)


def _key(cell: Cell, names: tuple[str, ...], chains: list[tuple[str, ...]]) -> Key:
    key: list[str] = []
    for name, chain, level, code in zip(names, chains, cell.levels, cell.codes, strict=True):
        if level is None or (chain and level == chain[-1] and level != name):
            key.append(TOTAL)  # totalled, or at the top of the LA hierarchy (England)
        else:
            key.append(code_text(code))
    return tuple(key)


def _dimension(query: Query, position: int, chain: tuple[str, ...], leaves: set[str]) -> Dimension:
    name = query.dimensions[position]
    codes = tuple(sorted(leaves))
    if len(chain) == 3:  # la -> region -> england: regions are the groups
        region_of = region_lookup(query.spec)
        groups: dict[str, list[str]] = {}
        for code in codes:
            groups.setdefault(region_of.get(code, MISSING), []).append(code)
        return Dimension(name, codes, tuple((g, tuple(v)) for g, v in sorted(groups.items())))
    return Dimension(name, codes, total=TOTAL)
