"""The workbench's query forms: what a project may ask for, and a filled form as a query.

Two ways to write a query, both ending as a ``model.Query`` checked against the
catalogue (security property 1: no text is ever run): the form (dataset, group-by items,
one measure, a few simple filters) built with ``query.builder``, or the restricted SQL
subset read by ``query.sql.parse_sql``. The form offers only what the project was
approved for; the restriction step checks it again whatever a request sends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from safepupil.errors import QueryError
from safepupil.governance.projects import Project
from safepupil.query.builder import QueryBuilder, dataset, item
from safepupil.query.model import Query
from safepupil.query.nodes import Filter
from safepupil.query.sql import parse_sql
from safepupil.store.catalogue import NUMERIC_ITEM_TYPES, Catalogue, Dataset

FILTER_ROWS = 3  # simple filters on the form; anything richer is written in SQL
MAX_FIELD_CHARS = 200
FILTER_OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "in", "missing", "present")
OPERATOR_WORDS = {
    "=": "is",
    "!=": "is not",
    "<": "is less than",
    "<=": "is at most",
    ">": "is more than",
    ">=": "is at least",
    "in": "is one of (comma-separated)",
    "missing": "is missing",
    "present": "is not missing",
}
MEASURE_KINDS = ("sum", "mean", "median")
TRUE_WORDS, FALSE_WORDS = {"true", "yes", "1"}, {"false", "no", "0"}


@dataclass(frozen=True)
class FilterRow:
    item: str = ""
    op: str = "="
    value: str = ""


@dataclass(frozen=True)
class ComposeForm:
    """What the researcher typed or chose, kept to fill the form again."""

    mode: str = "form"  # "form" or "sql"
    dataset: str = ""
    dimensions: tuple[str, ...] = ()
    measure: str = "count"  # "count", or "mean:ITEM", "sum:ITEM", "median:ITEM"
    filters: tuple[FilterRow, ...] = field(default_factory=tuple)
    sql: str = ""

    def rows(self) -> tuple[FilterRow, ...]:
        """The filter rows, padded to FILTER_ROWS for the form."""
        return (*self.filters, *(FilterRow() for _ in range(FILTER_ROWS - len(self.filters))))

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "dataset": self.dataset,
            "dimensions": list(self.dimensions),
            "measure": self.measure,
            "filters": [{"item": f.item, "op": f.op, "value": f.value} for f in self.filters],
            "sql": self.sql,
        }


def read_form(fields: Mapping[str, Any], dimensions: Sequence[str]) -> ComposeForm:
    """A ComposeForm from posted fields (``filter_item_1``, ``filter_op_1``, ...)."""

    def text(name: str) -> str:
        value = fields.get(name, "")
        return value.strip()[:MAX_FIELD_CHARS] if isinstance(value, str) else ""

    rows = tuple(
        FilterRow(
            text(f"filter_item_{n}"), text(f"filter_op_{n}") or "=", text(f"filter_value_{n}")
        )
        for n in range(1, FILTER_ROWS + 1)
    )
    sql = fields.get("sql", "")
    return ComposeForm(
        mode="sql" if text("mode") == "sql" else "form",
        dataset=text("dataset"),
        dimensions=tuple(d.strip() for d in dimensions if d.strip())[:5],
        measure=text("measure") or "count",
        filters=tuple(row for row in rows if row.item),
        sql=sql if isinstance(sql, str) else "",
    )


def build_query(form: ComposeForm, catalogue: Catalogue) -> Query:
    """The query the form describes; a QueryError saying what to change when it cannot be."""
    if form.mode == "sql":
        if not form.sql.strip():
            raise QueryError("write a query in the SQL box", hint="e.g. SELECT sex, COUNT(*) ...")
        return parse_sql(form.sql, catalogue)
    if not form.dataset:
        raise QueryError("choose a dataset")
    spec = catalogue.dataset(form.dataset)
    builder = dataset(form.dataset, catalogue).by(*form.dimensions)
    builder = builder.where(*(_condition(spec, row) for row in form.filters))
    return _with_measure(builder, form.measure).build()


def _with_measure(builder: QueryBuilder, measure: str) -> QueryBuilder:
    kind, _, name = measure.partition(":")
    if kind == "count" and not name:
        return builder.count()
    if kind in MEASURE_KINDS and name:
        return {"sum": builder.sum, "mean": builder.mean, "median": builder.median}[kind](name)
    raise QueryError(f"no measure {measure!r}", hint="choose a measure from the list")


def _condition(spec: Dataset, row: FilterRow) -> Filter:
    ref = item(row.item)
    kind = spec.item(row.item).type  # QueryError with near matches for an unknown item
    if row.op == "missing":
        return ref.is_null()
    if row.op == "present":
        return ref.is_not_null()
    if row.op == "in":
        codes = [code.strip() for code in row.value.split(",") if code.strip()]
        if not codes:
            raise QueryError(f"give the codes of {row.item}, separated by commas")
        return ref.isin(codes)
    value = _literal(row.item, kind, row.value)
    comparisons = {
        "=": ref.__eq__,
        "!=": ref.__ne__,
        "<": ref.__lt__,
        "<=": ref.__le__,
        ">": ref.__gt__,
        ">=": ref.__ge__,
    }
    if row.op not in comparisons:
        raise QueryError(f"no condition {row.op!r}", hint="choose one from the list")
    return comparisons[row.op](value)


def _literal(name: str, kind: str, text: str) -> str | int | float | bool | dt.date:
    if not text:
        raise QueryError(f"give a value for the condition on {name}")
    try:
        if kind == "integer":
            return int(text)
        if kind == "decimal":
            return float(text)
        if kind == "date":
            return dt.date.fromisoformat(text)
    except ValueError:
        raise QueryError(
            f"{name} is of type {kind}: {text[:40]!r} is not one",
            hint="give a whole number" if kind == "integer" else "see the item's type",
        ) from None
    if kind == "boolean":
        if text.lower() in TRUE_WORDS | FALSE_WORDS:
            return text.lower() in TRUE_WORDS
        raise QueryError(f"{name} is true or false", hint="give true or false")
    return text


# ---- what the form offers -------------------------------------------------------------------


def form_options(project: Project, catalogue: Catalogue) -> list[dict[str, Any]]:
    """Per dataset of the project: the dimensions, measures and filter items it may use
    (only what the project was approved for)."""
    options = []
    for name in project.application.datasets:
        spec = catalogue.dataset(name)
        approved = project.application.items_of(name)
        dimensions = [d for d in spec.dimension_names if spec.source_items(d) <= approved]
        items = [i for i in spec.items if i.name in approved and i.is_queryable]
        numeric = [i.name for i in items if i.type in NUMERIC_ITEM_TYPES]
        measures = [{"value": "count", "label": "Number of pupils"}] + [
            {"value": f"{kind}:{n}", "label": f"{kind.capitalize()} of {n}"}
            for n in numeric
            for kind in MEASURE_KINDS
        ]
        options.append(
            {
                "dataset": name,
                "description": spec.description,
                "dimensions": dimensions,
                "measures": measures,
                "filter_items": [
                    {"name": i.name, "type": i.type, "description": i.description} for i in items
                ],
                "operators": [
                    {"value": op, "label": OPERATOR_WORDS[op]} for op in FILTER_OPERATORS
                ],
            }
        )
    return options
