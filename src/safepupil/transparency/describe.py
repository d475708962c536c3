"""A release's query in plain words, for the register and a pupil's page.

Only names from the catalogue appear (datasets, items, measures), never a filter's
values: a filter can name a code chosen to single out a small group.
"""

from __future__ import annotations

from safepupil.errors import SafepupilError
from safepupil.query.model import Query
from safepupil.query.nodes import Count, Mean, Median, Proportion, Sum
from safepupil.query.wire import from_json
from safepupil.store.catalogue import Catalogue

MEASURE_WORDS = {Count: "number of pupils", Sum: "total", Mean: "average", Median: "median"}


def describe_query(query_json: str, catalogue: Catalogue) -> str:
    """E.g. "number of pupils by local authority and sex, for some pupils (chosen by
    placement reason)"; a query that no longer reads against the catalogue is named so."""
    try:
        query = from_json(query_json, catalogue)
    except SafepupilError:
        return "a table whose description is no longer available"
    return _words(query)


def _words(query: Query) -> str:
    measures = _join([_measure(m) for m in query.measures]) or "number of pupils"
    text = measures
    if query.dimensions:
        text += " by " + _join([_name(d) for d in query.dimensions])
    dataset = query.catalogue.dataset(query.dataset)
    touched = {s for d in query.dimensions for s in dataset.source_items(d)}
    touched |= {getattr(m, "item", "") for m in query.measures}
    filtered = sorted(query.items_used() - touched)
    if filtered:
        text += f", for some pupils (chosen by {_join([_name(f) for f in filtered])})"
    return text


def _measure(measure: object) -> str:
    if isinstance(measure, Proportion):
        return "share of pupils meeting a condition"
    words = MEASURE_WORDS.get(type(measure), "a statistic")
    item = getattr(measure, "item", None)
    return f"{words} of {_name(item)}" if item else words


def _name(name: str) -> str:
    return {"la": "local authority", "placement_la": "placing local authority"}.get(
        name, name.replace("_", " ")
    )


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"
