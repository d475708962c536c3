"""The parts of a query: filters (conditions on a pupil record) and measures.

Each node checks its own shape when built (an operator is an operator, a date is a
date). Whether a node makes sense for a dataset (the item exists, the literal has the
item's type, the code is in the codeset) is checked by ``model.Query``, which holds
the catalogue. Nodes are frozen and hashable; equal nodes mean the same thing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from safepupil.errors import QueryError

Operator = Literal["=", "!=", "<", "<=", ">", ">="]
OPERATORS: tuple[str, ...] = get_args(Operator)
EQUALITY_OPERATORS = frozenset({"=", "!="})
Value = str | int | float | bool | dt.date
MAX_AGE_YEARS = 120  # an age literal beyond this is a typo, not a question


class _Combinable:
    """``a & b``, ``a | b`` and ``~a`` on filters, for the Python builder."""

    def __and__(self, other: Filter) -> And:
        return And((_as_filter(self), other))

    def __or__(self, other: Filter) -> Or:
        return Or((_as_filter(self), other))

    def __invert__(self) -> Not:
        return Not(_as_filter(self))


@dataclass(frozen=True)
class Compare(_Combinable):
    """``item op value``, for example ``sex = 'F'`` or ``sessions_absent >= 20``."""

    item: str
    op: Operator
    value: Value

    def __post_init__(self) -> None:
        _check_name(self.item)
        _check_operator(self.op)
        _check_value(self.value)


@dataclass(frozen=True)
class InSet(_Combinable):
    """The item's code is one of ``codes``."""

    item: str
    codes: frozenset[str]

    def __post_init__(self) -> None:
        _check_name(self.item)
        if isinstance(self.codes, str) or not isinstance(self.codes, Iterable):
            raise QueryError(f"codes for {self.item} must be a list of codes, not one string")
        codes = frozenset(self.codes)
        if not codes or not all(isinstance(c, str) and c for c in codes):
            raise QueryError(f"codes for {self.item} must be a non-empty list of codes")
        object.__setattr__(self, "codes", codes)


@dataclass(frozen=True)
class DateRange(_Combinable):
    """The item's date lies from ``start`` to ``end``, both inclusive; either may be open."""

    item: str
    start: dt.date | None = None
    end: dt.date | None = None

    def __post_init__(self) -> None:
        _check_name(self.item)
        if self.start is None and self.end is None:
            raise QueryError(f"date range on {self.item} needs a start or an end")
        for bound in (self.start, self.end):
            if bound is not None and not is_date(bound):
                raise QueryError(f"date range on {self.item}: bounds must be dates")
        if self.start and self.end and self.start > self.end:
            raise QueryError(f"date range on {self.item} starts after it ends")


@dataclass(frozen=True)
class AgeOn(_Combinable):
    """The pupil's age in whole years on ``on`` compared with ``years``.

    Only the year and month of birth reach the store, so age is counted in months:
    ``(months from the birth month to the month of on) // 12``. It is exact on every
    day except in the birth month itself, where the birthday counts as passed.
    """

    on: dt.date
    op: Operator
    years: int

    def __post_init__(self) -> None:
        if not is_date(self.on):
            raise QueryError("age_on needs a date")
        _check_operator(self.op)
        if type(self.years) is not int or not 0 <= self.years <= MAX_AGE_YEARS:
            raise QueryError(f"age must be a whole number of years from 0 to {MAX_AGE_YEARS}")


@dataclass(frozen=True)
class IsNull(_Combinable):
    """The item is missing (for example ``placement_end``: the placement goes on)."""

    item: str

    def __post_init__(self) -> None:
        _check_name(self.item)


@dataclass(frozen=True)
class And(_Combinable):
    terms: tuple[Filter, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "terms", _flatten(And, self.terms))


@dataclass(frozen=True)
class Or(_Combinable):
    terms: tuple[Filter, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "terms", _flatten(Or, self.terms))


@dataclass(frozen=True)
class Not(_Combinable):
    term: Filter

    def __post_init__(self) -> None:
        _as_filter(self.term)


Filter = Compare | InSet | DateRange | AgeOn | IsNull | And | Or | Not
FILTER_TYPES = (Compare, InSet, DateRange, AgeOn, IsNull, And, Or, Not)


@dataclass(frozen=True)
class Count:
    """Pupils in the cell (distinct pupils, not records)."""

    @property
    def label(self) -> str:
        return "count"


@dataclass(frozen=True)
class Sum:
    item: str

    def __post_init__(self) -> None:
        _check_name(self.item)

    @property
    def label(self) -> str:
        return f"sum({self.item})"


@dataclass(frozen=True)
class Mean:
    item: str

    def __post_init__(self) -> None:
        _check_name(self.item)

    @property
    def label(self) -> str:
        return f"mean({self.item})"


@dataclass(frozen=True)
class Median:
    item: str

    def __post_init__(self) -> None:
        _check_name(self.item)

    @property
    def label(self) -> str:
        return f"median({self.item})"


@dataclass(frozen=True)
class Proportion:
    """Share of the cell's pupils with at least one record meeting ``condition``."""

    condition: Filter

    def __post_init__(self) -> None:
        _as_filter(self.condition)

    @property
    def label(self) -> str:
        return f"proportion({describe(self.condition)})"


Measure = Count | Sum | Mean | Median | Proportion
MEASURE_TYPES = (Count, Sum, Mean, Median, Proportion)
MagnitudeMeasure = Sum | Mean | Median


def describe(condition: Filter) -> str:
    """A readable one-line rendering of a filter (for labels and messages, never for SQL)."""
    match condition:
        case Compare(item, op, value):
            return f"{item} {op} {_show(value)}"
        case InSet(item, codes):
            return f"{item} in ({', '.join(sorted(codes))})"
        case DateRange(item, start, end):
            return f"{item} from {start or '...'} to {end or '...'}"
        case AgeOn(on, op, years):
            return f"age on {on} {op} {years}"
        case IsNull(item):
            return f"{item} is missing"
        case And(terms):
            return " and ".join(_bracketed(t) for t in terms)
        case Or(terms):
            return " or ".join(_bracketed(t) for t in terms)
        case Not(term):
            return f"not {_bracketed(term)}"
    raise QueryError(f"not a filter: {type(condition).__name__}")


def _bracketed(condition: Filter) -> str:
    text = describe(condition)
    return f"({text})" if isinstance(condition, And | Or) else text


def _show(value: Value) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def _flatten(kind: type[And] | type[Or], terms: Iterable[Filter]) -> tuple[Filter, ...]:
    """``a and (b and c)`` is ``a and b and c``: one shape for one meaning."""
    flat: list[Filter] = []
    for term in terms:
        _as_filter(term)
        flat.extend(term.terms if isinstance(term, kind) else (term,))
    if len(flat) < 2:
        raise QueryError(f"'{kind.__name__.lower()}' needs at least two conditions")
    return tuple(flat)


def _as_filter(candidate: object) -> Filter:
    if not isinstance(candidate, FILTER_TYPES):
        raise QueryError(f"expected a condition, got {type(candidate).__name__}")
    return candidate


def _check_name(name: object) -> None:
    if not isinstance(name, str) or not name:
        raise QueryError("an item must be named by a non-empty string")


def _check_operator(op: object) -> None:
    if op not in OPERATORS:
        raise QueryError(f"unknown comparison {op!r}", hint=f"use one of {' '.join(OPERATORS)}")


def is_date(value: object) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _check_value(value: object) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise QueryError("a number in a query must be finite")
    if not (isinstance(value, str | int | float) or is_date(value)):
        raise QueryError(f"a literal must be text, a number, true/false or a date, not {value!r}")
