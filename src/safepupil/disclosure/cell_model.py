"""Every published cell as a linear combination of interior cells.

The interior cells are the full cross-classification of the dimensions that some
published table uses (a dimension no table uses is summed out first: every
published cell adds it up anyway). Each other cell gets one additive row,

    cell - (sum of its children) = 0,

where the children are the codes one level down in one of the cell's non-leaf
dimensions (total -> groups -> leaves), or, for a cell at leaf level in all its
table's dimensions, the interior cells it adds up. By induction every cell then
equals the sum of the interior cells in its box, so linked tables and hierarchies
need nothing special: a margin shared by two tables is the same model cell.

Rows are kept as sparse (CSR) arrays; nothing here is a dense cell x cell matrix.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from safepupil.disclosure.tables import LEAF_LEVEL, Dimension, check_tables
from safepupil.errors import QueryError

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TableCells:
    table: tuple[str, ...]
    keys: tuple[tuple[str, ...], ...]  # codes in the table's dimension order
    cells: tuple[int, ...]  # model cell of each key


@dataclass(frozen=True)
class CellModel:
    dimensions: tuple[Dimension, ...]  # every dimension, in the caller's order
    identities: tuple[tuple[str, ...], ...]  # per model cell: a code in every dimension
    code_index: IntArray  # cells x dimensions: position of each code in Dimension.all_codes
    values: IntArray  # true value of every model cell
    published: BoolArray  # published in at least one table
    margin_depth: IntArray  # how many of the cell's dimensions are at a group or total
    level_sum: IntArray  # sum of hierarchy levels: children always have a smaller one
    row_start: IntArray  # CSR of the additive rows: row r spans row_start[r]:row_start[r+1]
    row_cells: IntArray
    row_coefs: FloatArray
    tables: tuple[TableCells, ...]  # the published tables
    # Tables that are not published but some of whose cells are public elsewhere:
    # their cells join the model (unpublished) so those public values can be fixed.
    known_tables: tuple[TableCells, ...] = ()

    @property
    def dimension_names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.dimensions)

    @property
    def size(self) -> int:
        return len(self.identities)

    @property
    def row_count(self) -> int:
        return len(self.row_start) - 1

    @cached_property
    def row_of_entry(self) -> IntArray:
        """The row of each entry of row_cells (asked for every programme the search builds)."""
        return np.repeat(np.arange(self.row_count), np.diff(self.row_start))

    @cached_property
    def cell_of(self) -> dict[tuple[str, ...], int]:
        """The model cell of each identity."""
        return {identity: cell for cell, identity in enumerate(self.identities)}

    @cached_property
    def entries_of_cell(self) -> tuple[IntArray, IntArray]:
        """(start, entries): the row entries of cell c are entries[start[c]:start[c + 1]]."""
        order = np.argsort(self.row_cells, kind="stable")
        counts = np.bincount(self.row_cells, minlength=self.size)
        start = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        return start, order.astype(np.int64)

    @cached_property
    def rows_of_cell(self) -> tuple[IntArray, IntArray]:
        """(start, rows): the rows holding cell c are rows[start[c]:start[c + 1]].

        A programme over a box of cells needs only the rows of those cells: found from
        the cells, that costs the box's size, not the model's.
        """
        start, entries = self.entries_of_cell
        return start, self.row_of_entry[entries]


def build_cell_model(
    counts: Mapping[tuple[str, ...], int],
    dimensions: Sequence[Dimension],
    tables: Sequence[tuple[str, ...]],
    known_tables: Sequence[tuple[str, ...]] = (),
) -> CellModel:
    """The model of the published ``tables`` (plus unpublished ``known_tables``)."""
    dims = tuple(dimensions)
    checked = check_tables(dims, tables)
    known = tuple(t for t in check_tables(dims, known_tables, allow_none=True) if t not in checked)
    used = tuple(d for d in dims if any(d.name in table for table in (*checked, *known)))
    builder = _Builder(dims, used)
    builder.add_interior(_interior_counts(counts, dims, used))
    table_cells = tuple(builder.add_table(table) for table in checked)
    known_cells = tuple(builder.add_table(table, published=False) for table in known)
    return builder.finish(table_cells, known_cells)


def _interior_counts(
    counts: Mapping[tuple[str, ...], int], dims: tuple[Dimension, ...], used: tuple[Dimension, ...]
) -> dict[tuple[str, ...], int]:
    """The counts projected onto the used dimensions, after checking every key and value."""
    leaf_sets = [set(d.codes) for d in dims]
    keep = [i for i, d in enumerate(dims) if d in used]
    projected: dict[tuple[str, ...], int] = {}
    for key, n in counts.items():
        if len(key) != len(dims) or any(c not in s for c, s in zip(key, leaf_sets, strict=True)):
            raise QueryError(
                f"count key {key} is not one leaf code per dimension",
                hint=f"give leaf codes of {[d.name for d in dims]}, in that order",
            )
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise QueryError(
                f"the count for {key} is not a whole number of pupils >= 0",
                hint="counts must be non-negative integers",
            )
        short = tuple(key[i] for i in keep)
        projected[short] = projected.get(short, 0) + int(n)
    return projected


class _Builder:
    """Collects cells and additive rows; one use only."""

    def __init__(self, dims: tuple[Dimension, ...], used: tuple[Dimension, ...]) -> None:
        self.dims = dims
        self.used = used
        self.used_positions = tuple(dims.index(d) for d in used)
        self.index: dict[tuple[str, ...], int] = {}
        self.identities: list[tuple[str, ...]] = []
        self.values: list[int] = []
        self.published: list[bool] = []
        self.home_table: list[tuple[str, ...] | None] = []

    def _identity(self, codes: dict[str, str]) -> tuple[str, ...]:
        return tuple(codes.get(d.name, d.total) for d in self.dims)

    def _new_cell(self, identity: tuple[str, ...], home: tuple[str, ...] | None) -> int:
        cell = len(self.identities)
        self.index[identity] = cell
        self.identities.append(identity)
        self.values.append(0)
        self.published.append(False)
        self.home_table.append(home)
        return cell

    def add_interior(self, projected: dict[tuple[str, ...], int]) -> None:
        for leaves in itertools.product(*(d.codes for d in self.used)):
            codes = {d.name: code for d, code in zip(self.used, leaves, strict=True)}
            cell = self._new_cell(self._identity(codes), None)
            self.values[cell] = projected.get(leaves, 0)

    def add_table(self, table: tuple[str, ...], *, published: bool = True) -> TableCells:
        table_dims = [next(d for d in self.dims if d.name == name) for name in table]
        keys, cells = [], []
        for key in itertools.product(*(d.all_codes for d in table_dims)):
            identity = self._identity(dict(zip(table, key, strict=True)))
            cell = self.index.get(identity)
            if cell is None:
                cell = self._new_cell(identity, table)
            self.published[cell] = self.published[cell] or published
            keys.append(key)
            cells.append(cell)
        return TableCells(table, tuple(keys), tuple(cells))

    def _children(self, cell: int) -> list[int]:
        identity = self.identities[cell]
        home = self.home_table[cell]
        assert home is not None  # interior cells have no row
        for name in home:
            position = self.dims_index(name)
            dim = self.dims[position]
            code = identity[position]
            if dim.level(code) != LEAF_LEVEL:
                return [
                    self.index[(*identity[:position], child, *identity[position + 1 :])]
                    for child in dim.children(code)
                ]
        # Leaf in every dimension of its table: it adds up the interior cells below it.
        free = [d for d in self.used if d.name not in home]
        children = []
        for leaves in itertools.product(*(d.codes for d in free)):
            codes = dict(zip((d.name for d in free), leaves, strict=True))
            full = tuple(
                codes.get(d.name, code) for d, code in zip(self.dims, identity, strict=True)
            )
            children.append(self.index[full])
        return children

    def dims_index(self, name: str) -> int:
        return next(i for i, d in enumerate(self.dims) if d.name == name)

    def finish(
        self, table_cells: tuple[TableCells, ...], known_cells: tuple[TableCells, ...]
    ) -> CellModel:
        levels = np.array(
            [
                [d.level(c) for d, c in zip(self.dims, ident, strict=True)]
                for ident in self.identities
            ],
            dtype=np.int64,
        ).reshape(len(self.identities), len(self.dims))
        at_top = np.array(
            [
                [c == d.total and d not in self.used for d, c in zip(self.dims, ident, strict=True)]
                for ident in self.identities
            ],
            dtype=bool,
        ).reshape(levels.shape)
        # Summed-out dimensions sit at total everywhere: they say nothing about depth.
        levels[at_top] = 0
        level_sum = levels.sum(axis=1)
        values = np.array(self.values, dtype=np.int64)
        row_cells: list[int] = []
        row_start = [0]
        for cell in sorted(
            (c for c in range(len(self.identities)) if self.home_table[c] is not None),
            key=lambda c: (level_sum[c], c),
        ):
            children = self._children(cell)
            values[cell] = values[children].sum()
            row_cells.append(cell)
            row_cells.extend(children)
            row_start.append(len(row_cells))
        coefs = np.full(len(row_cells), -1.0)
        coefs[np.array(row_start[:-1], dtype=np.int64)] = 1.0
        positions = [{code: i for i, code in enumerate(d.all_codes)} for d in self.dims]
        code_index = np.array(
            [[p[c] for p, c in zip(positions, ident, strict=True)] for ident in self.identities],
            dtype=np.int64,
        ).reshape(len(self.identities), len(self.dims))
        return CellModel(
            dimensions=self.dims,
            identities=tuple(self.identities),
            code_index=code_index,
            values=values,
            published=np.array(self.published, dtype=bool),
            margin_depth=(levels > 0).sum(axis=1).astype(np.int64),
            level_sum=level_sum.astype(np.int64),
            row_start=np.array(row_start, dtype=np.int64),
            row_cells=np.array(row_cells, dtype=np.int64),
            row_coefs=coefs,
            tables=table_cells,
            known_tables=known_cells,
        )
