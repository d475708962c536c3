"""Queries as JSON, exactly: ``from_json(to_json(q), catalogue) == q`` for every query.

The document carries a version. Each filter and measure is an object with a ``kind``;
dates are ISO text (an item's catalogue type says when text is a date); codes in a set
are written sorted. Reading is strict: an unknown key, a missing key or a value of the
wrong JSON type is a QueryError, and the result is checked like any other query.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from safepupil.errors import QueryError
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
    Value,
)
from safepupil.store.catalogue import Catalogue, Dataset

WIRE_VERSION = 1
MAX_DOCUMENT_CHARS = 100_000  # a real query is a few hundred characters

Json = dict[str, Any]


def to_json(query: Query) -> str:
    return json.dumps(to_dict(query), sort_keys=True, separators=(",", ":"))


def to_dict(query: Query) -> Json:
    return {
        "version": WIRE_VERSION,
        "dataset": query.dataset,
        "filters": [_filter_out(f) for f in query.filters],
        "dimensions": list(query.dimensions),
        "measures": [_measure_out(m) for m in query.measures],
    }


def from_json(text: str, catalogue: Catalogue) -> Query:
    if len(text) > MAX_DOCUMENT_CHARS:
        raise QueryError(f"a query document may be at most {MAX_DOCUMENT_CHARS} characters")
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise QueryError(f"the query is not valid JSON: {error}") from None
    return from_dict(document, catalogue)


def from_dict(document: object, catalogue: Catalogue) -> Query:
    try:
        return _read(document, catalogue)
    except RecursionError:
        raise QueryError("the query is nested too deeply") from None


def _read(document: object, catalogue: Catalogue) -> Query:
    body = _object(document, "query", {"version", "dataset", "filters", "dimensions", "measures"})
    if body["version"] != WIRE_VERSION:
        raise QueryError(f"unsupported query version {body['version']!r}; use {WIRE_VERSION}")
    dataset = catalogue.dataset(_text(body["dataset"], "dataset"))
    reader = _Reader(dataset)
    return Query(
        dataset=dataset.name,
        filters=tuple(reader.filter(f) for f in _list(body["filters"], "filters")),
        dimensions=tuple(_text(d, "dimension") for d in _list(body["dimensions"], "dimensions")),
        measures=tuple(reader.measure(m) for m in _list(body["measures"], "measures")),
        catalogue=catalogue,
    )


# --- writing ---------------------------------------------------------------------------------


def _filter_out(condition: Filter) -> Json:
    match condition:
        case Compare(item, op, value):
            return {"kind": "compare", "item": item, "op": op, "value": _value_out(value)}
        case InSet(item, codes):
            return {"kind": "in", "item": item, "codes": sorted(codes)}
        case DateRange(item, start, end):
            return {
                "kind": "date_range",
                "item": item,
                "start": _date_out(start),
                "end": _date_out(end),
            }
        case AgeOn(on, op, years):
            return {"kind": "age_on", "on": on.isoformat(), "op": op, "years": years}
        case IsNull(item):
            return {"kind": "is_null", "item": item}
        case And(terms):
            return {"kind": "and", "terms": [_filter_out(t) for t in terms]}
        case Or(terms):
            return {"kind": "or", "terms": [_filter_out(t) for t in terms]}
        case Not(term):
            return {"kind": "not", "term": _filter_out(term)}
    raise QueryError(f"cannot write {type(condition).__name__} as JSON")


def _measure_out(measure: Measure) -> Json:
    match measure:
        case Count():
            return {"kind": "count"}
        case Sum(item) | Mean(item) | Median(item):
            return {"kind": type(measure).__name__.lower(), "item": item}
        case Proportion(condition):
            return {"kind": "proportion", "condition": _filter_out(condition)}
    raise QueryError(f"cannot write {type(measure).__name__} as JSON")


def _value_out(value: Value) -> Value:
    return value.isoformat() if isinstance(value, dt.date) else value


def _date_out(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- reading ---------------------------------------------------------------------------------

_FILTER_KEYS = {
    "compare": {"item", "op", "value"},
    "in": {"item", "codes"},
    "date_range": {"item", "start", "end"},
    "age_on": {"on", "op", "years"},
    "is_null": {"item"},
    "and": {"terms"},
    "or": {"terms"},
    "not": {"term"},
}
_MEASURE_KEYS = {
    "count": set(),
    "sum": {"item"},
    "mean": {"item"},
    "median": {"item"},
    "proportion": {"condition"},
}


class _Reader:
    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def filter(self, document: object) -> Filter:
        kind = _kind(document, _FILTER_KEYS, "filter")
        body = _object(document, f"{kind} filter", _FILTER_KEYS[kind] | {"kind"})
        match kind:
            case "compare":
                item = _text(body["item"], "item")
                return Compare(item, body["op"], self._value(item, body["value"]))
            case "in":
                codes = _list(body["codes"], "codes")
                return InSet(
                    _text(body["item"], "item"), frozenset(_text(c, "code") for c in codes)
                )
            case "date_range":
                start, end = _optional_date(body["start"]), _optional_date(body["end"])
                return DateRange(_text(body["item"], "item"), start, end)
            case "age_on":
                return AgeOn(_date(body["on"]), body["op"], body["years"])
            case "is_null":
                return IsNull(_text(body["item"], "item"))
            case "and":
                return And(tuple(self.filter(t) for t in _list(body["terms"], "terms")))
            case "or":
                return Or(tuple(self.filter(t) for t in _list(body["terms"], "terms")))
        return Not(self.filter(body["term"]))

    def measure(self, document: object) -> Measure:
        kind = _kind(document, _MEASURE_KEYS, "measure")
        body = _object(document, f"{kind} measure", _MEASURE_KEYS[kind] | {"kind"})
        match kind:
            case "count":
                return Count()
            case "sum":
                return Sum(_text(body["item"], "item"))
            case "mean":
                return Mean(_text(body["item"], "item"))
            case "median":
                return Median(_text(body["item"], "item"))
        return Proportion(self.filter(body["condition"]))

    def _value(self, item: str, value: object) -> Value:
        """JSON has no dates: a date item's value is ISO text."""
        if isinstance(value, str) and self.dataset.item(item).type == "date":
            return _date(value)
        if not isinstance(value, str | int | float):
            raise QueryError(f"the value compared with {item} must be text, a number or a boolean")
        return value


def _kind(document: object, known: dict[str, set[str]], what: str) -> str:
    if not isinstance(document, dict) or document.get("kind") not in known:
        raise QueryError(f"each {what} needs a kind, one of: {', '.join(known)}")
    return str(document["kind"])


def _object(document: object, what: str, keys: set[str]) -> Json:
    if not isinstance(document, dict):
        raise QueryError(f"the {what} must be a JSON object")
    missing, unknown = keys - document.keys(), document.keys() - keys
    if missing or unknown:
        raise QueryError(
            f"the {what} has missing keys {sorted(missing)} or unknown keys {sorted(unknown)}"
        )
    return document


def _list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise QueryError(f"{what} must be a JSON list")
    return value


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise QueryError(f"{what} must be text")
    return value


def _optional_date(value: object) -> dt.date | None:
    return None if value is None else _date(value)


def _date(value: object) -> dt.date:
    try:
        return dt.date.fromisoformat(_text(value, "a date"))
    except ValueError:
        raise QueryError(f"{value!r} is not a date (YYYY-MM-DD)") from None
