"""JSON: an exact round trip for every valid query, and strict reading."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings

from safepupil.errors import QueryError
from safepupil.query.builder import age_on, dataset, item
from safepupil.query.model import Query
from safepupil.query.wire import WIRE_VERSION, from_json, to_dict, to_json
from safepupil.store.catalogue import Catalogue, load_catalogue
from tests.query.strategies import queries

CATALOGUE = load_catalogue()


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(query=queries(CATALOGUE))
def test_round_trip_is_exact(query: Query) -> None:
    text = to_json(query)
    again = from_json(text, CATALOGUE)
    assert again == query
    assert to_json(again) == text  # and the text is canonical


def test_document_shape(catalogue: Catalogue) -> None:
    query = (
        dataset("ap_census_2018", catalogue)
        .where(
            item("placement_start").between(dt.date(2017, 9, 1), None),
            age_on(dt.date(2018, 1, 18)) >= 11,
        )
        .by("la")
        .count()
        .build()
    )
    assert to_dict(query) == {
        "version": WIRE_VERSION,
        "dataset": "ap_census_2018",
        "filters": [
            {"kind": "date_range", "item": "placement_start", "start": "2017-09-01", "end": None},
            {"kind": "age_on", "on": "2018-01-18", "op": ">=", "years": 11},
        ],
        "dimensions": ["la"],
        "measures": [{"kind": "count"}],
    }


def test_numbers_keep_their_type(catalogue: Catalogue) -> None:
    query = (
        dataset("school_census_2018", catalogue)
        .where(item("attainment8") > 40.0, item("year_group") == 11)
        .count()
        .build()
    )
    again = from_json(to_json(query), catalogue)
    values = [f.value for f in again.filters]  # type: ignore[union-attr]
    assert values == [40.0, 11] and type(values[0]) is float and type(values[1]) is int


VALID = {
    "version": 1,
    "dataset": "ap_census_2018",
    "filters": [],
    "dimensions": [],
    "measures": [{"kind": "count"}],
}

BAD = [
    ("not json", "{", "not valid JSON"),
    ("not an object", "[]", "must be a JSON object"),
    ("wrong version", json.dumps({**VALID, "version": 2}), "unsupported query version 2"),
    ("unknown key", json.dumps({**VALID, "limit": 5}), "unknown keys ['limit']"),
    (
        "missing key",
        json.dumps({k: v for k, v in VALID.items() if k != "measures"}),
        "missing keys ['measures']",
    ),
    (
        "unknown filter kind",
        json.dumps({**VALID, "filters": [{"kind": "sql", "text": "1=1"}]}),
        "needs a kind",
    ),
    (
        "extra filter key",
        json.dumps({**VALID, "filters": [{"kind": "is_null", "item": "sex", "x": 1}]}),
        "unknown keys ['x']",
    ),
    (
        "bad date",
        json.dumps(
            {**VALID, "filters": [{"kind": "age_on", "on": "18/01/2018", "op": ">", "years": 3}]}
        ),
        "not a date",
    ),
    ("dimension not text", json.dumps({**VALID, "dimensions": [1]}), "dimension must be text"),
    (
        "value not a literal",
        json.dumps(
            {**VALID, "filters": [{"kind": "compare", "item": "sex", "op": "=", "value": ["F"]}]}
        ),
        "must be text, a number or a boolean",
    ),
    ("token", json.dumps({**VALID, "dimensions": ["pupil_token"]}), "pupil_token"),
    ("too deep", "[" * 5000 + "]" * 5000, "not valid JSON"),
    ("too long", json.dumps({**VALID, "pad": "x" * 200_000}), "at most"),
]


@pytest.mark.parametrize(("text", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_strict_reading(catalogue: Catalogue, text: str, message: str) -> None:
    with pytest.raises(QueryError) as refused:
        from_json(text, catalogue)
    assert message in str(refused.value)


def test_deeply_nested_conditions_are_refused(catalogue: Catalogue) -> None:
    condition: dict[str, object] = {"kind": "is_null", "item": "sex"}
    for _ in range(900):
        condition = {"kind": "not", "term": condition}
    document = json.dumps({**VALID, "filters": [condition]})
    with pytest.raises(QueryError, match="nested"):
        from_json(document, catalogue)
