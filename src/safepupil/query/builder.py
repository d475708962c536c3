"""The Python front end: write a query as a chain of calls.

    from safepupil.query.builder import dataset, item, age_on

    query = (
        dataset("ap_census_2018")
        .where(item("sex") == "F", item("placement_reason").isin(["PEX", "SUS"]))
        .by("la", "sen_type_1")
        .count()
        .mean("sessions_absent")   # on a dataset that has it
        .build()
    )

Every step returns a new builder (builders are immutable, so a half-built query can
be reused); ``build()`` makes the ``model.Query`` and runs the catalogue's checks.
Conditions combine with ``&``, ``|`` and ``~``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

from safepupil.query.model import Query
from safepupil.query.nodes import (
    AgeOn,
    Compare,
    Count,
    DateRange,
    Filter,
    InSet,
    IsNull,
    Mean,
    Measure,
    Median,
    Not,
    Operator,
    Proportion,
    Sum,
    Value,
)
from safepupil.store.catalogue import Catalogue, load_catalogue


class ItemRef:
    """An item named in a condition: ``item("sex") == "F"`` is a Compare filter."""

    __slots__ = ("name",)
    __hash__ = None  # type: ignore[assignment]  # == builds a condition, so no hashing

    def __init__(self, name: str) -> None:
        self.name = name

    def _compare(self, op: Operator, value: Value) -> Compare:
        return Compare(self.name, op, value)

    def __eq__(self, value: object) -> Compare:  # type: ignore[override]
        return self._compare("=", value)  # type: ignore[arg-type]  # checked by Compare

    def __ne__(self, value: object) -> Compare:  # type: ignore[override]
        return self._compare("!=", value)  # type: ignore[arg-type]

    def __lt__(self, value: Value) -> Compare:
        return self._compare("<", value)

    def __le__(self, value: Value) -> Compare:
        return self._compare("<=", value)

    def __gt__(self, value: Value) -> Compare:
        return self._compare(">", value)

    def __ge__(self, value: Value) -> Compare:
        return self._compare(">=", value)

    def isin(self, codes: Iterable[str]) -> InSet:
        return InSet(self.name, frozenset(codes))

    def between(self, start: dt.date | None, end: dt.date | None) -> DateRange:
        """A date from ``start`` to ``end``, both inclusive (None leaves that end open)."""
        return DateRange(self.name, start, end)

    def is_null(self) -> IsNull:
        return IsNull(self.name)

    def is_not_null(self) -> Not:
        return Not(IsNull(self.name))


def item(name: str) -> ItemRef:
    return ItemRef(name)


class AgeRef:
    """The pupil's age in whole years on a day: ``age_on(date(2018, 1, 18)) >= 11``."""

    __slots__ = ("on",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, on: dt.date) -> None:
        self.on = on

    def __eq__(self, years: object) -> AgeOn:  # type: ignore[override]
        return AgeOn(self.on, "=", years)  # type: ignore[arg-type]  # checked by AgeOn

    def __ne__(self, years: object) -> AgeOn:  # type: ignore[override]
        return AgeOn(self.on, "!=", years)  # type: ignore[arg-type]

    def __lt__(self, years: int) -> AgeOn:
        return AgeOn(self.on, "<", years)

    def __le__(self, years: int) -> AgeOn:
        return AgeOn(self.on, "<=", years)

    def __gt__(self, years: int) -> AgeOn:
        return AgeOn(self.on, ">", years)

    def __ge__(self, years: int) -> AgeOn:
        return AgeOn(self.on, ">=", years)


def age_on(day: dt.date) -> AgeRef:
    return AgeRef(day)


@dataclass(frozen=True)
class QueryBuilder:
    dataset: str
    catalogue: Catalogue
    filters: tuple[Filter, ...] = ()
    dimensions: tuple[str, ...] = ()
    measures: tuple[Measure, ...] = ()

    def where(self, *conditions: Filter) -> QueryBuilder:
        """Keep records meeting every condition (calls add up: where(a).where(b))."""
        return replace(self, filters=self.filters + conditions)

    def by(self, *dimensions: str) -> QueryBuilder:
        """Split the result into cells by these dimensions, in this order."""
        return replace(self, dimensions=self.dimensions + dimensions)

    def count(self) -> QueryBuilder:
        return self._measure(Count())

    def sum(self, item_name: str) -> QueryBuilder:
        return self._measure(Sum(item_name))

    def mean(self, item_name: str) -> QueryBuilder:
        return self._measure(Mean(item_name))

    def median(self, item_name: str) -> QueryBuilder:
        return self._measure(Median(item_name))

    def proportion(self, condition: Filter) -> QueryBuilder:
        """Share of each cell's pupils with a record meeting ``condition``."""
        return self._measure(Proportion(condition))

    def build(self) -> Query:
        return Query(
            self.dataset,
            self.filters,
            self.dimensions,
            self.measures,
            catalogue=self.catalogue,
        )

    def _measure(self, measure: Measure) -> QueryBuilder:
        return replace(self, measures=(*self.measures, measure))


def dataset(name: str, catalogue: Catalogue | None = None) -> QueryBuilder:
    """Start a query on a dataset of ``catalogue`` (by default the shipped one)."""
    chosen = catalogue if catalogue is not None else load_catalogue()
    chosen.dataset(name)  # fail at the first step on a misspelt dataset
    return QueryBuilder(name, chosen)
