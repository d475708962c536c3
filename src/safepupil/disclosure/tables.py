"""How a published table is described: its dimensions, their codes and hierarchy.

A dimension has leaf codes, optionally one intermediate level of groups (regions
over LAs) that partition the leaves, and a grand total. Every published table
carries all its margins, so a cell of a table picks, in each of its dimensions,
a leaf, a group or the total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from safepupil.errors import QueryError

LEAF_LEVEL = 0
GROUP_LEVEL = 1


@dataclass(frozen=True)
class Dimension:
    name: str  # e.g. "la", "sex"
    codes: tuple[str, ...]  # leaf codes, in publication order
    # One optional intermediate level: (group code, its leaf codes); groups partition the leaves.
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    total: str = "Total"  # code of the dimension's grand total

    def __post_init__(self) -> None:
        # Accept lists from callers but store tuples, so the value stays hashable.
        object.__setattr__(self, "codes", tuple(self.codes))
        object.__setattr__(
            self, "groups", tuple((group, tuple(leaves)) for group, leaves in self.groups)
        )
        _check_names(self)
        _check_groups(self)

    @cached_property
    def group_codes(self) -> tuple[str, ...]:
        return tuple(group for group, _ in self.groups)

    @cached_property
    def all_codes(self) -> tuple[str, ...]:
        """Every code a published cell can take here: leaves, then groups, then the total."""
        return (*self.codes, *self.group_codes, self.total)

    @cached_property
    def total_level(self) -> int:
        return GROUP_LEVEL + 1 if self.groups else GROUP_LEVEL

    def level(self, code: str) -> int:
        """0 for a leaf, 1 for a group, and the top level for the total."""
        if code == self.total:
            return self.total_level
        return GROUP_LEVEL if code in self._group_leaves else LEAF_LEVEL

    def children(self, code: str) -> tuple[str, ...]:
        """The codes one level below ``code`` (a leaf has none)."""
        if code == self.total:
            return self.group_codes if self.groups else self.codes
        return self._group_leaves.get(code, ())

    def leaves(self, code: str) -> tuple[str, ...]:
        """The leaf codes that ``code`` adds up."""
        if code == self.total:
            return self.codes
        return self._group_leaves.get(code, (code,))

    @cached_property
    def _group_leaves(self) -> dict[str, tuple[str, ...]]:
        return dict(self.groups)


def _check_names(dimension: Dimension) -> None:
    where = f"dimension {dimension.name!r}"
    if not dimension.name:
        raise QueryError("a dimension needs a name", hint="name it after its item, e.g. 'sex'")
    if not dimension.codes:
        raise QueryError(f"{where} has no codes", hint="list at least one leaf code")
    if len(set(dimension.codes)) != len(dimension.codes):
        raise QueryError(f"{where} lists a code twice", hint="list each leaf code once")
    if dimension.total in dimension.codes or dimension.total in dimension.group_codes:
        raise QueryError(
            f"{where} uses its total code {dimension.total!r} as a leaf or group code",
            hint="choose a total code that no leaf or group uses",
        )


def _check_groups(dimension: Dimension) -> None:
    if not dimension.groups:
        return
    where = f"dimension {dimension.name!r}"
    group_codes = dimension.group_codes
    if len(set(group_codes)) != len(group_codes):
        raise QueryError(f"{where} lists a group twice", hint="list each group once")
    if set(group_codes) & set(dimension.codes):
        raise QueryError(
            f"{where} uses a code both as a group and as a leaf",
            hint="give groups codes of their own",
        )
    grouped = [leaf for _, leaves in dimension.groups for leaf in leaves]
    if any(not leaves for _, leaves in dimension.groups):
        raise QueryError(f"{where} has an empty group", hint="drop it or give it leaves")
    if sorted(grouped) != sorted(dimension.codes):
        raise QueryError(
            f"{where}: the groups do not partition the leaf codes",
            hint="put every leaf code in exactly one group",
        )


def check_tables(
    dimensions: Sequence[Dimension],
    tables: Sequence[tuple[str, ...]],
    *,
    allow_none: bool = False,
) -> tuple[tuple[str, ...], ...]:
    """Validate tables against the dimensions; return them as tuples."""
    names = [dimension.name for dimension in dimensions]
    if len(set(names)) != len(names):
        raise QueryError("two dimensions share a name", hint="give each dimension its own name")
    if not tables and not allow_none:
        raise QueryError("no table to publish", hint="list at least one table")
    checked = tuple(tuple(table) for table in tables)
    if len(set(checked)) != len(checked):
        raise QueryError("a table is listed twice", hint="list each published table once")
    for table in checked:
        unknown = [name for name in table if name not in names]
        if unknown:
            raise QueryError(
                f"table {table} names unknown dimensions {unknown}",
                hint=f"use dimensions from {names}",
            )
        if len(set(table)) != len(table):
            raise QueryError(f"table {table} names a dimension twice")
    return checked
