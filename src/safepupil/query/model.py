"""The query model: what a researcher may ask of one dataset, as frozen data with no I/O.

A ``Query`` holds the catalogue it was checked against (a keyword argument, left out
of equality, hashing and repr), so an invalid query cannot exist: every way to make one
(the constructor, ``dataclasses.replace``, the Python builder, restricted SQL, JSON)
runs the same checks in ``__post_init__`` and raises a QueryError saying why.

A query is a conjunction of ``filters`` on pupil records, the ``dimensions`` that split
the result into cells (item names or derived dimensions such as ``region``), and the
``measures`` computed in every cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from safepupil.errors import QueryError
from safepupil.query.nodes import (
    EQUALITY_OPERATORS,
    FILTER_TYPES,
    MEASURE_TYPES,
    AgeOn,
    And,
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
    Or,
    Proportion,
    Sum,
    is_date,
)
from safepupil.store.catalogue import NUMERIC_ITEM_TYPES, Catalogue, Dataset, Item

__all__ = [
    "AgeOn",
    "And",
    "Compare",
    "Count",
    "DateRange",
    "Filter",
    "InSet",
    "IsNull",
    "Mean",
    "Measure",
    "Median",
    "Not",
    "Or",
    "Proportion",
    "Query",
    "Sum",
]

MAX_DIMENSIONS = 5  # margins multiply cells by 2 per dimension; more is a pupil list
MAX_MEASURES = 10
MAX_FILTER_DEPTH = 16  # deep enough for any real question, shallow enough to refuse abuse
YEAR_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

_T = TypeVar("_T")


@dataclass(frozen=True)
class Query:
    dataset: str
    filters: tuple[Filter, ...] = ()
    dimensions: tuple[str, ...] = ()
    measures: tuple[Measure, ...] = ()
    catalogue: Catalogue = field(kw_only=True, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "filters", _top_level_terms(_as_tuple(self.filters, "filters")))
        object.__setattr__(self, "dimensions", _as_tuple(self.dimensions, "dimensions"))
        object.__setattr__(self, "measures", _as_tuple(self.measures, "measures"))
        if not isinstance(self.catalogue, Catalogue):
            raise QueryError("a query is checked against a catalogue: pass catalogue=")
        dataset = self.catalogue.dataset(self.dataset)
        for condition in self.filters:
            _check_filter(condition, dataset, depth=1)
        _check_dimensions(self.dimensions, dataset)
        _check_measures(self.measures, dataset)

    @property
    def spec(self) -> Dataset:
        """The catalogue entry of the queried dataset."""
        return self.catalogue.dataset(self.dataset)

    def items_used(self) -> frozenset[str]:
        """Every item the query reads, derived dimensions replaced by their sources."""
        dataset = self.spec
        used: set[str] = set()
        for condition in self.filters:
            used |= _filter_items(condition, dataset)
        for dimension in self.dimensions:
            used |= dataset.source_items(dimension)
        for measure in self.measures:
            if isinstance(measure, Sum | Mean | Median):
                used.add(measure.item)
            elif isinstance(measure, Proportion):
                used |= _filter_items(measure.condition, dataset)
        return frozenset(used)


def _as_tuple(values: Iterable[_T], what: str) -> tuple[_T, ...]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise QueryError(f"{what} must be a list, not {type(values).__name__}")
    return tuple(values)


def _top_level_terms(filters: tuple[Filter, ...]) -> tuple[Filter, ...]:
    """``where(a & b)`` and ``where(a, b)`` are the same query, with the same shape."""
    terms: list[Filter] = []
    for condition in filters:
        terms.extend(condition.terms if isinstance(condition, And) else (condition,))
    return tuple(terms)


def _queryable(dataset: Dataset, name: str) -> Item:
    found = dataset.item(name)
    if not found.is_queryable:
        raise QueryError(
            f"{name} in dataset {dataset.name} links records inside the store and cannot be "
            "used in a query",
            hint="count pupils with a count measure instead",
        )
    return found


def _check_filter(condition: Filter, dataset: Dataset, depth: int) -> None:
    if depth > MAX_FILTER_DEPTH:
        raise QueryError(f"conditions are nested more than {MAX_FILTER_DEPTH} deep")
    if not isinstance(condition, FILTER_TYPES):
        raise QueryError(f"expected a condition, got {type(condition).__name__}")
    match condition:
        case Compare():
            _check_comparison(condition, _queryable(dataset, condition.item), dataset)
        case InSet(item, codes):
            _check_codes(_queryable(dataset, item), codes, dataset)
        case DateRange(item):
            if _queryable(dataset, item).type != "date":
                raise QueryError(f"a date range needs a date item; {item} is not a date")
        case AgeOn():
            dataset.age_source()
        case IsNull(item):
            _queryable(dataset, item)
        case And(terms) | Or(terms):
            for term in terms:
                _check_filter(term, dataset, depth + 1)
        case Not(term):
            _check_filter(term, dataset, depth + 1)


def _check_comparison(condition: Compare, item: Item, dataset: Dataset) -> None:
    value = condition.value
    if item.type in ("code", "boolean") and condition.op not in EQUALITY_OPERATORS:
        raise QueryError(f"{item.name} is of type {item.type}: compare it with = or != only")
    if not _literal_fits(item, value):
        raise QueryError(
            f"{item.name} is of type {item.type} and cannot be compared with {value!r}",
            hint=_LITERAL_HINTS[item.type],
        )
    if item.type == "code":
        _check_codes(item, frozenset({str(value)}), dataset)


_LITERAL_HINTS = {
    "code": "give a code as text, e.g. 'F'",
    "boolean": "give true or false",
    "integer": "give a whole number",
    "decimal": "give a number",
    "date": "give a date, e.g. DATE '2018-01-18'",
    "year_month": "give a year and month as text, e.g. '2005-09'",
    "token": "tokens cannot be queried",
}


def _literal_fits(item: Item, value: object) -> bool:
    kind = item.type
    if kind == "code":
        return isinstance(value, str) and bool(value)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "decimal":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "date":
        return is_date(value)
    if kind == "year_month":
        return isinstance(value, str) and YEAR_MONTH.match(value) is not None
    return False


def _check_codes(item: Item, codes: frozenset[str], dataset: Dataset) -> None:
    if item.type != "code":
        raise QueryError(f"a list of codes needs a code item; {item.name} is of type {item.type}")
    allowed = dataset.allowed_codes(item.name)
    unknown = sorted(codes - allowed) if allowed is not None else []
    if unknown:
        raise QueryError(
            f"{', '.join(unknown)} not a valid code of {item.name} on "
            f"{dataset.reference_date} (codeset {item.codeset})",
            hint=f"valid codes: {', '.join(sorted(allowed or ()))}",
        )


def _check_dimensions(dimensions: tuple[str, ...], dataset: Dataset) -> None:
    if len(dimensions) > MAX_DIMENSIONS:
        raise QueryError(f"a query may have at most {MAX_DIMENSIONS} dimensions")
    for name in dimensions:
        if not isinstance(name, str):
            raise QueryError(f"a dimension is named by text, not {type(name).__name__}")
        if any(i.name == name for i in dataset.items):
            _queryable(dataset, name)  # says why pupil_token is refused, before the type
        for source in dataset.source_items(name):
            _queryable(dataset, source)
    repeated = sorted({d for d in dimensions if dimensions.count(d) > 1})
    if repeated:
        raise QueryError(f"dimension named twice: {', '.join(repeated)}")
    geography = [d for d in dimensions if dataset.geography_chain(d)]
    if len(geography) > 1:
        raise QueryError(
            f"{' and '.join(geography)} are levels of one hierarchy: group by one of them",
            hint="the coarser levels come with the margins",
        )


def _check_measures(measures: tuple[Measure, ...], dataset: Dataset) -> None:
    if not measures:
        raise QueryError("a query needs at least one measure", hint="add a count")
    if len(measures) > MAX_MEASURES:
        raise QueryError(f"a query may have at most {MAX_MEASURES} measures")
    for measure in measures:
        if not isinstance(measure, MEASURE_TYPES):
            raise QueryError(f"expected a measure, got {type(measure).__name__}")
        if isinstance(measure, Sum | Mean | Median):
            item = _queryable(dataset, measure.item)
            if item.type not in NUMERIC_ITEM_TYPES:
                raise QueryError(
                    f"{measure.label}: {item.name} is of type {item.type}, not a number",
                    hint="use a count by that item, or a proportion with a condition",
                )
        elif isinstance(measure, Proportion):
            _check_filter(measure.condition, dataset, depth=1)
    labels = [m.label for m in measures]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise QueryError(f"measure asked for twice: {', '.join(repeated)}")


def _filter_items(condition: Filter, dataset: Dataset) -> set[str]:
    match condition:
        case Compare(item) | InSet(item) | DateRange(item) | IsNull(item):
            return {item}
        case AgeOn():
            return {dataset.age_source()}
        case And(terms) | Or(terms):
            return set().union(*(_filter_items(t, dataset) for t in terms))
        case Not(term):
            return _filter_items(term, dataset)
    return set()
