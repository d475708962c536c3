"""Lifted witnesses: the region-level table protected first, its tables lifted into each region.

In a table of LAs within regions, a hidden region-level cell ties its region to every
other, so every programme over the whole hidden part spans the country. Here:

1. the region-level table (the hierarchical dimension cut at its groups: region x the
   other dimensions, with the England margins) is protected on its own
   (``region_table``); its witnesses are tables of region-level values;
2. a witness is *lifted*: for every region whose region-level cells it moves by d, a
   change to that region's LA-level cells is found whose sums are exactly d
   (``cheapest_lift``, one region's block at a time). The region-level table adds up
   and every region's cells add up to their region's values, so the whole is a table
   for the country that agrees with every released cell: a witness the audit checks
   like any other.

Each programme is then one region's size instead of the whole hidden part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safepupil.disclosure.blocks import grouped_dimension
from safepupil.disclosure.cell_model import (
    BoolArray,
    CellModel,
    FloatArray,
    IntArray,
    build_cell_model,
)
from safepupil.disclosure.perturbation import Limits, cheapest_change
from safepupil.disclosure.tables import Dimension


@dataclass(frozen=True)
class Regions:
    """The groups of the hierarchical dimension as blocks of the model's cells."""

    dimension: int
    count: int
    block: IntArray  # per cell: its group, for cells at a leaf of the dimension; else -1
    group: IntArray  # per cell: its group, for cells at a group of the dimension; else -1
    column: IntArray  # per cell at a leaf: the cell with its group instead; else -1

    @property
    def boundary(self) -> BoolArray:
        return np.asarray(self.block < 0, dtype=bool)

    def cells_of(self, group: int) -> BoolArray:
        return np.asarray(self.block == group, dtype=bool)

    def moved_groups(self, change: FloatArray, tolerance: float) -> IntArray:
        moved = np.abs(change) > tolerance
        return np.unique(self.group[moved & (self.group >= 0)])


def regions_of(model: CellModel) -> Regions | None:
    """The model's blocks along its most grouped dimension (None when nothing is grouped)."""
    d = grouped_dimension(model)
    if d is None:
        return None
    dimension = model.dimensions[d]
    leaves = len(dimension.codes)
    group_of_leaf = np.empty(leaves, dtype=np.int64)
    for g, (_, members) in enumerate(dimension.groups):
        group_of_leaf[[dimension.codes.index(code) for code in members]] = g
    position = model.code_index[:, d]
    at_leaf = position < leaves
    block = np.where(at_leaf, group_of_leaf[np.minimum(position, leaves - 1)], -1)
    at_group = (position >= leaves) & (position < leaves + len(dimension.groups))
    group = np.where(at_group, position - leaves, -1)
    column = np.full(model.size, -1, dtype=np.int64)
    for cell in np.flatnonzero(at_leaf).tolist():
        identity = list(model.identities[cell])
        identity[d] = dimension.group_codes[int(block[cell])]
        column[cell] = model.cell_of.get(tuple(identity), -1)
    return Regions(d, len(dimension.groups), block, group.astype(np.int64), column)


@dataclass(frozen=True)
class RegionTable:
    """The region-level table as a model of its own, and where its cells sit in the full one."""

    model: CellModel
    full_cell: IntArray  # per region-model cell: the full model's cell (-1: not in it)

    def to_full(self, values: FloatArray, size: int) -> FloatArray:
        full = np.zeros(size)
        present = self.full_cell >= 0
        full[self.full_cell[present]] = values[present]
        return full

    def from_full(self, mask: BoolArray) -> BoolArray:
        present = self.full_cell >= 0
        out = np.zeros(self.model.size, dtype=bool)
        out[present] = mask[self.full_cell[present]]
        return out


def region_table(model: CellModel, regions: Regions) -> RegionTable:
    """The same tables with the hierarchical dimension's leaves replaced by its groups."""
    d = regions.dimension
    dimension = model.dimensions[d]
    cut = Dimension(dimension.name, dimension.group_codes, total=dimension.total)
    dims = tuple(cut if i == d else dim for i, dim in enumerate(model.dimensions))
    counts: dict[tuple[str, ...], int] = {}
    for cell in np.flatnonzero(model.level_sum == 0).tolist():
        key = tuple(
            dim.group_codes[int(regions.block[cell])]
            if i == d
            else (code if code != dim.total else dim.codes[0])
            for i, (dim, code) in enumerate(
                zip(model.dimensions, model.identities[cell], strict=True)
            )
        )
        counts[key] = counts.get(key, 0) + int(model.values[cell])
    tables = [table.table for table in model.tables]
    known = [table.table for table in model.known_tables]
    cut_model = build_cell_model(counts, dims, tables, known)
    full_cell = np.array(
        [model.cell_of.get(identity, -1) for identity in cut_model.identities], dtype=np.int64
    )
    return RegionTable(cut_model, full_cell)


def cheapest_lift(
    model: CellModel,
    box: BoolArray,
    fixed: FloatArray,
    cost: FloatArray,
    limits: Limits,
    target: tuple[int, float] | None = None,
) -> FloatArray | None:
    """The cheapest change inside ``box`` that adds up to ``fixed`` outside it (None if none).

    ``fixed`` is the change of every cell outside the box (the region-level change being
    lifted); ``target``: a cell of the box and the rise it must take as well.
    """
    return cheapest_change(model, box, cost, limits, fixed=fixed, target=target)
