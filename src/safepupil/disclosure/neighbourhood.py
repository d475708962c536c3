"""A small box of cells around a target, where a cheap perturbation is likely to be found.

Searching the whole table for each small cell is needlessly slow: a cheapest
perturbation is nearly always a rectangle (or a small hypercube) through the target
and a few of its cheapest neighbours, in the spirit of the hypercube method. The box
keeps, in each dimension, the target's code, its ancestors (group, total), the
``breadth`` cheapest codes beside it (siblings first, then any code at the same
level) and, under every non-leaf code kept, its ``breadth`` cheapest children.

Because every kept code brings its ancestors, every additive row that touches a box
cell has its left-hand cell in the box too. A perturbation that is zero outside the
box and satisfies the box's rows therefore satisfies every row of the model.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from safepupil.disclosure.cell_model import BoolArray, CellModel, FloatArray, IntArray
from safepupil.disclosure.tables import Dimension


@dataclass(frozen=True)
class CodeTree:
    """One dimension's codes as positions in ``Dimension.all_codes``."""

    parent: tuple[int, ...]  # -1 for the total
    level: tuple[int, ...]
    children: tuple[tuple[int, ...], ...]

    @classmethod
    def of(cls, dimension: Dimension) -> CodeTree:
        position = {code: i for i, code in enumerate(dimension.all_codes)}
        parent = [-1] * len(position)
        children: list[tuple[int, ...]] = []
        for code in dimension.all_codes:
            kids = tuple(position[child] for child in dimension.children(code))
            for kid in kids:
                parent[kid] = position[code]
            children.append(kids)
        level = tuple(dimension.level(code) for code in dimension.all_codes)
        return cls(tuple(parent), level, tuple(children))

    def ancestors(self, code: int) -> list[int]:
        found = []
        while self.parent[code] >= 0:
            code = self.parent[code]
            found.append(code)
        return found

    def same_level(self, code: int) -> list[int]:
        return [c for c, lv in enumerate(self.level) if lv == self.level[code] and c != code]

    def siblings(self, code: int) -> list[int]:
        up = self.parent[code]
        return [] if up < 0 else [c for c in self.children[up] if c != code]


class Neighbourhoods:
    def __init__(self, model: CellModel) -> None:
        self.model = model
        self.trees = tuple(CodeTree.of(d) for d in model.dimensions)
        # Every combination of codes -> model cell (or -1): a cell's neighbours are slices.
        shape = tuple(len(tree.level) for tree in self.trees)
        self._dense = np.full(shape, -1, dtype=np.int64)
        self._dense[tuple(model.code_index.T)] = np.arange(model.size)

    @cached_property
    def everything(self) -> BoolArray:
        return np.ones(self.model.size, dtype=bool)

    def box(self, target: int, cost: FloatArray, breadth: int) -> BoolArray:
        """Model cells whose codes all lie in the codes kept around ``target``."""
        kept = self._partners(target, cost, breadth)
        box = np.ones(self.model.size, dtype=bool)
        for d, tree in enumerate(self.trees):
            here = int(self.model.code_index[target, d])
            rank = self._ranker(target, d, cost)
            codes = kept[d] | {here, *tree.ancestors(here)}
            codes.update(sorted(tree.siblings(here), key=rank)[:breadth])
            mask = np.zeros(len(tree.level), dtype=bool)
            mask[sorted(_with_family(tree, codes, rank, breadth))] = True
            box &= mask[self.model.code_index[:, d]]
        return box

    def _partners(self, target: int, cost: FloatArray, count: int) -> list[set[int]]:
        """Codes of the cheapest rectangles through the target, in every plane through it.

        A rectangle (t, t with d moved, t with e moved, t with both moved) among siblings
        is the smallest change that keeps both dimensions' margins fixed; its cost is the
        sum of its three other corners' costs.
        """
        codes = self.model.code_index[target]
        kept: list[set[int]] = [set() for _ in self.trees]
        priced = np.append(cost, np.inf)  # index -1 (no such cell) costs infinity
        for d, e in itertools.combinations(range(len(self.trees)), 2):
            rows = [int(codes[d]), *self.trees[d].siblings(int(codes[d]))]
            cols = [int(codes[e]), *self.trees[e].siblings(int(codes[e]))]
            if len(rows) < 2 or len(cols) < 2:
                continue
            where = [np.array([c]) for c in codes]
            where[d], where[e] = np.array(rows), np.array(cols)
            plane = priced[self._dense[np.ix_(*where)].reshape(len(rows), len(cols))]
            rectangle = plane[:, :1] + plane[:1, :] + plane
            rectangle[0, :] = np.inf
            rectangle[:, 0] = np.inf
            best = np.argsort(rectangle, axis=None, kind="stable")[:count]
            for flat in best:
                if np.isfinite(rectangle.flat[flat]):
                    i, j = divmod(int(flat), len(cols))
                    kept[d].add(rows[i])
                    kept[e].add(cols[j])
        return kept

    def _ranker(self, target: int, d: int, cost: FloatArray) -> _CodeRank:
        return _CodeRank(self._dense, tuple(self.model.code_index[target].tolist()), d, cost)


def _with_family(tree: CodeTree, codes: set[int], rank: _CodeRank, breadth: int) -> set[int]:
    """The codes, their ancestors, and the ``breadth`` cheapest children of every non-leaf."""
    kept = set(codes)
    for code in codes:
        kept.update(tree.ancestors(code))
    frontier = [c for c in kept if tree.children[c]]
    while frontier:
        code = frontier.pop()
        for child in sorted(tree.children[code], key=rank)[:breadth]:
            if child not in kept:
                kept.add(child)
                if tree.children[child]:
                    frontier.append(child)
    return kept


@dataclass(frozen=True)
class _CodeRank:
    """Sort key for a code of dimension d: its cell's cost (target moved to it), then position."""

    dense: IntArray
    codes: tuple[int, ...]
    d: int
    cost: FloatArray

    def __call__(self, code: int) -> tuple[float, int]:
        moved = (*self.codes[: self.d], code, *self.codes[self.d + 1 :])
        cell = int(self.dense[moved])
        return (np.inf if cell < 0 else float(self.cost[cell]), code)


def expand_ranges(starts: IntArray, lengths: IntArray) -> IntArray:
    """Concatenate arange(s, s + n) for each (s, n) without a Python loop."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return offsets + np.arange(total, dtype=np.int64)
