"""The reference engine: plain Python over a list of records. Slow and obviously right.

Every other engine is tested against this one. It follows SQL's three-valued logic
(a comparison with a missing value is unknown, and unknown rows are left out) so that
engines built on SQL agree with it.
"""

from __future__ import annotations

import operator
import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias

import pyarrow as pa
from pyroaring import FrozenBitMap

from safepupil.errors import InternalError
from safepupil.query.derivations import age_in_years, derived_value
from safepupil.query.engines.base import PUPIL_ID, PUPIL_TOKEN, groupings
from safepupil.query.model import Query
from safepupil.query.nodes import (
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
)
from safepupil.query.restriction import RestrictedQuery, require_restricted
from safepupil.query.results import Cell, CellCode, Grouping, MeasureValue, QueryResult
from safepupil.store.catalogue import Dataset, DerivedDimension

Row = Mapping[str, Any]
ReferenceSource: TypeAlias = "pa.Table | Sequence[Row]"
Truth = bool | None  # None: unknown, as in SQL

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class ReferenceEngine:
    name = "reference"

    def run(
        self, restricted: RestrictedQuery, source: ReferenceSource, *, with_margins: bool = False
    ) -> QueryResult:
        restricted = require_restricted(restricted)
        query = restricted.query
        dataset = query.spec
        rows = source.to_pylist() if isinstance(source, pa.Table) else list(source)
        try:
            kept = [
                row
                for row in rows
                if row[PUPIL_TOKEN] not in restricted.excluded_tokens
                and all(evaluate(f, row, dataset) is True for f in query.filters)
            ]
            families = groupings(query, with_margins)
            cells = [
                cell
                for grouping in families
                for cell in _cells(query, grouping, kept, interior=grouping == families[0])
            ]
        except KeyError as missing:
            raise InternalError(f"the source lacks column {missing}") from None
        return QueryResult.assemble(
            query.dimensions, [m.label for m in query.measures], families, cells
        )


def evaluate(condition: Filter, row: Row, dataset: Dataset) -> Truth:
    """The condition on one record, in three-valued logic."""
    match condition:
        case Compare(item, op, value):
            found = row[item]
            return None if found is None else _COMPARE[op](found, value)
        case InSet(item, codes):
            found = row[item]
            return None if found is None else found in codes
        case DateRange(item, start, end):
            found = row[item]
            if found is None:
                return None
            return (start is None or found >= start) and (end is None or found <= end)
        case AgeOn(on, op, years):
            birth = row[dataset.age_source()]
            return None if birth is None else _COMPARE[op](age_in_years(birth, on), years)
        case IsNull(item):
            return row[item] is None
        case And(terms):
            truths = [evaluate(t, row, dataset) for t in terms]
            return False if False in truths else (None if None in truths else True)
        case Or(terms):
            truths = [evaluate(t, row, dataset) for t in terms]
            return True if True in truths else (None if None in truths else False)
        case Not(term):
            truth = evaluate(term, row, dataset)
            return None if truth is None else not truth
    raise InternalError(f"the reference engine cannot evaluate {type(condition).__name__}")


def level_value(level: str | None, row: Row, dataset: Dataset) -> CellCode:
    """The code of one record at one level (None for a totalled position)."""
    if level is None:
        return None
    spec = dataset.dimension(level)
    if isinstance(spec, DerivedDimension):
        return derived_value(spec, dataset, row[spec.source])
    value: CellCode = row[level]
    return value


def _cells(query: Query, grouping: Grouping, rows: list[Row], interior: bool) -> list[Cell]:
    groups: dict[tuple[CellCode, ...], list[Row]] = {}
    for row in rows:
        key = tuple(level_value(level, row, query.spec) for level in grouping)
        groups.setdefault(key, []).append(row)
    return [
        Cell(
            levels=grouping,
            codes=codes,
            n_pupils=len({row[PUPIL_ID] for row in members}),
            values=tuple(_measure(m, members, query.spec) for m in query.measures),
            contributors=FrozenBitMap(row[PUPIL_ID] for row in members),
            interior=interior,
        )
        for codes, members in groups.items()
    ]


def _measure(measure: Measure, rows: list[Row], dataset: Dataset) -> MeasureValue:
    pupils = {row[PUPIL_ID] for row in rows}
    if isinstance(measure, Count):
        return MeasureValue(value=len(pupils), n_pupils=len(pupils))
    if isinstance(measure, Proportion):
        meeting = {
            row[PUPIL_ID] for row in rows if evaluate(measure.condition, row, dataset) is True
        }
        return MeasureValue(
            value=len(meeting) / len(pupils), n_pupils=len(pupils), numerator=len(meeting)
        )
    return _magnitude(measure, rows)


def _magnitude(measure: Sum | Mean | Median, rows: list[Row]) -> MeasureValue:
    values = [(row[PUPIL_ID], row[measure.item]) for row in rows if row[measure.item] is not None]
    per_pupil: dict[int, Any] = {}
    for pupil, value in values:
        per_pupil[pupil] = per_pupil.get(pupil, 0) + value
    largest = sorted(per_pupil.values(), reverse=True)[:2]
    top1, top2 = [*largest, None, None][:2]
    numbers = [value for _, value in values]
    statistic: int | float | None = None
    if numbers and isinstance(measure, Sum):
        statistic = sum(numbers)
    elif numbers and isinstance(measure, Mean):
        statistic = sum(numbers) / len(numbers)
    elif numbers:
        statistic = float(statistics.median(numbers))
    return MeasureValue(value=statistic, n_pupils=len(per_pupil), top1=top1, top2=top2)
