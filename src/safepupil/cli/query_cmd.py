"""``safepupil query run``: try a query on dummy data, on the researcher's own machine.

A query file is restricted SQL (``.sql``), a Python builder script (``.py``, which must
assign ``query``) or the wire format (``.json``). Whatever its form, the query becomes a
``model.Query``, passes ``restrict`` and runs on an engine, exactly as it will in the
service; only the data differ. Real-store queries (``--project``) go through
the safe-outputs pipeline in ``cli/query_protected.py``.

A ``.py`` file runs here, locally, as the researcher's own code, in a fresh namespace
holding the builder; it is never sent anywhere. Only the JSON model crosses into the
service (``--json`` shows it).
"""

from __future__ import annotations

import builtins
import datetime as dt
import enum
import json
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import typer
from rich.table import Table

from safepupil.cli.console import out
from safepupil.cli.query_protected import run_on_store
from safepupil.domain.codesets import codeset
from safepupil.domain.local_authorities import la_by_code
from safepupil.errors import Location, QueryError, UserError
from safepupil.query.builder import QueryBuilder, age_on, dataset, item
from safepupil.query.engines import DuckDBEngine, ReferenceEngine
from safepupil.query.model import Query
from safepupil.query.nodes import And, Compare, Filter, InSet, Not, Or, Proportion
from safepupil.query.restriction import RestrictionContext, restrict
from safepupil.query.results import Cell, CellCode, QueryResult
from safepupil.query.sql import parse_sql
from safepupil.query.wire import from_json, to_dict
from safepupil.store.catalogue import LA_CODESET, Catalogue, Dataset, Item, load_catalogue
from safepupil.synth.dummy import DEFAULT_ROWS, DEFAULT_SEED, guarantee_rows, make_dummy
from safepupil.synth.dummy_io import read_dummy
from safepupil.synth.dummy_model import withheld_codes

QUERY_VARIABLE = "query"  # what a .py query file must assign
MAX_QUERY_FILE_BYTES = 100_000
SUGGESTED_ROWS = 500_000
DUMMY_NOTICE = (
    "Dummy data: made-up pupils. The figures mean nothing; they show the shape of the "
    "answer. On the real store every result also passes disclosure control."
)

app = typer.Typer(help="Write queries and try them on dummy data.", no_args_is_help=True)


class EngineName(enum.Enum):
    DUCKDB = "duckdb"
    REFERENCE = "reference"


@app.command("run")
def run(
    query_file: Path = typer.Argument(..., help="A query: .sql, .py (builder) or .json."),
    dummy: bool = typer.Option(False, "--dummy", help="Run on dummy data, on this machine."),
    rows: int = typer.Option(DEFAULT_ROWS, "--rows", help="Dummy records to make."),
    dummy_file: Path | None = typer.Option(
        None, "--dummy-file", help="Dummy data made by `safepupil dummy` (.parquet or .csv)."
    ),
    seed: int = typer.Option(DEFAULT_SEED, help="Seed of the dummy data."),
    json_output: bool = typer.Option(False, "--json", help="Print a JSON document instead."),
    margins: bool = typer.Option(False, "--margins", help="Add totals for every dimension."),
    engine: EngineName = typer.Option(EngineName.DUCKDB, help="Engine to run the query on."),
    project: str | None = typer.Option(
        None, "--project", help="Number of your approved project: run on the real store."
    ),
    home: Path | None = typer.Option(None, "--home", help="Deployment folder (real store)."),
    token: str | None = typer.Option(
        None, "--token", envvar="SAFEPUPIL_TOKEN", help="Your API token (real store)."
    ),
    output: Path | None = typer.Option(
        None, "--output", help="Also write the protected table (.csv, .json or .parquet)."
    ),
) -> None:
    """Run a query: on dummy data (--dummy), or on the real store for an approved project
    (--project), where only a disclosure-checked table comes back."""
    if not dummy:
        run_on_store(query_file, project, home, token, json_output=json_output, output=output)
        return
    catalogue = load_catalogue()
    query = load_query_file(query_file, catalogue)
    if dummy_file is not None:
        table, source = read_dummy(dummy_file, query.spec), str(dummy_file)
    else:
        table, source = make_dummy(catalogue, query.dataset, rows, seed), f"made, seed {seed}"
    result = run_on_dummy(query, table, engine, margins)
    notes = _notes(query, result, generated_rows=None if dummy_file else rows)
    if json_output:
        document = _document(query, result, table.num_rows, source, engine, notes)
        typer.echo(json.dumps(document, indent=2))
    else:
        _print_result(query, result, table.num_rows, source, notes)


# ---- reading query files ----------------------------------------------------------------


def load_query_file(path: Path, catalogue: Catalogue) -> Query:
    """The query in ``path``; a QueryError names the file (and, for SQL, the construct)."""
    readers: dict[str, Callable[[str, Path, Catalogue], Query]] = {
        ".sql": lambda text, _, cat: parse_sql(text, cat),
        ".json": lambda text, _, cat: from_json(text, cat),
        ".py": _from_python,
    }
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise UserError(
            f"cannot tell what kind of query {path.name} holds",
            hint="name it .sql (restricted SQL), .py (Python builder) or .json (wire format)",
        )
    text = _read_text(path)
    try:
        return reader(text, path, catalogue)
    except QueryError as error:
        where = error.where or Location(file=str(path))
        raise QueryError(error.message, hint=error.hint, where=where) from None


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"no query file {path}", hint="check the path") from None
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror}", hint="check the path") from None
    if len(raw) > MAX_QUERY_FILE_BYTES:
        raise QueryError(f"a query file may be at most {MAX_QUERY_FILE_BYTES:,} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise QueryError(
            "the query file is not UTF-8 text", where=Location(file=str(path))
        ) from None


def _from_python(text: str, path: Path, catalogue: Catalogue) -> Query:
    """Run the researcher's own builder script here, in a fresh namespace; it must
    assign ``query`` (a built Query, or a builder, which is built here)."""
    namespace: dict[str, Any] = {
        "__name__": "__safepupil_query__",
        "__file__": str(path),
        "__builtins__": builtins,
        "dataset": dataset,
        "item": item,
        "age_on": age_on,
        "date": dt.date,
    }
    try:
        code = compile(text, str(path), "exec")
        exec(code, namespace)  # noqa: S102 - the researcher's own file, on their own machine
    except SyntaxError as error:
        raise QueryError(
            f"the Python query file does not parse: {error.msg}",
            where=Location(file=str(path), position=f"line {error.lineno}"),
        ) from None
    except QueryError as error:
        raise QueryError(error.message, hint=error.hint, where=_where(error, path)) from None
    except Exception as error:
        raise QueryError(
            f"the Python query file stopped with {type(error).__name__}: {error}",
            where=_where(error, path),
            hint=f"fix the script; it must assign `{QUERY_VARIABLE}`",
        ) from None
    found = namespace.get(QUERY_VARIABLE)
    if isinstance(found, QueryBuilder):
        found = found.build()
    if not isinstance(found, Query):
        raise QueryError(
            f"the Python query file must assign a variable `{QUERY_VARIABLE}`",
            where=Location(file=str(path)),
            hint='e.g. query = dataset("ap_census_2018").by("la").count().build()',
        )
    return found


def _where(error: BaseException, path: Path) -> Location:
    """The script's own line where the error arose (the deepest frame in the file)."""
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == str(path)]
    return Location(file=str(path), position=f"line {lines[-1]}" if lines else None)


# ---- running ------------------------------------------------------------------------------


def run_on_dummy(query: Query, table: pa.Table, engine: EngineName, margins: bool) -> QueryResult:
    """Through restrict() and an engine, as in the service. No project: every item is open."""
    restricted = restrict(query, RestrictionContext(allowed_items=None))
    if engine is EngineName.REFERENCE:
        return ReferenceEngine().run(restricted, table, with_margins=margins)
    connection = duckdb.connect()
    try:
        connection.register(query.dataset, table)
        return DuckDBEngine().run(restricted, connection, with_margins=margins)
    finally:
        connection.close()


def withheld_asked(query: Query) -> dict[str, set[str]]:
    """Withheld statistics-only codes the query's conditions name: records never hold
    them (the item is null and its _withheld flag true), on dummy data as in the store."""
    withheld = withheld_codes(query.spec)
    found: dict[str, set[str]] = {}

    def visit(condition: Filter) -> None:
        match condition:
            case Compare(name, _, value) if value in withheld.get(name, ()):
                found.setdefault(name, set()).add(str(value))
            case InSet(name, codes) if codes & withheld.get(name, frozenset()):
                found.setdefault(name, set()).update(codes & withheld[name])
            case And(terms) | Or(terms):
                for term in terms:
                    visit(term)
            case Not(term):
                visit(term)

    for condition in query.filters:
        visit(condition)
    for measure in query.measures:
        if isinstance(measure, Proportion):
            visit(measure.condition)
    return found


def _notes(query: Query, result: QueryResult, generated_rows: int | None) -> list[str]:
    notes = [
        f"{name} codes {', '.join(sorted(codes))} are statistics-only: LAs withhold them at "
        f"source, so in pupil records {name} is null and {name}_withheld is true. No record "
        f"matches them, here or on the real store; they are counted only in the LAs' protected "
        f"aggregates. To count withheld records, filter on {name}_withheld = TRUE."
        for name, codes in sorted(withheld_asked(query).items())
    ]
    if not result.interior and not notes:
        notes.append(_nothing_matched(query, generated_rows))
    return [*notes, DUMMY_NOTICE]


def _nothing_matched(query: Query, generated_rows: int | None) -> str:
    if generated_rows is not None and generated_rows < guarantee_rows(query.spec):
        why = f"below {guarantee_rows(query.spec):,} rows not every code appears in every LA"
    else:
        why = (
            "the combination is rare (each code appears in every LA among girls and among "
            "boys, but not every mix of codes does)"
        )
    return (
        f"The dummy data has no records matching this filter: {why}. "
        f"Try --rows {SUGGESTED_ROWS:,} or --dummy-file."
    )


# ---- showing the result ---------------------------------------------------------------------


def _print_result(
    query: Query, result: QueryResult, rows: int, source: str, notes: list[str]
) -> None:
    title = f"{query.dataset}: dummy data, {rows:,} records ({source})"
    table = Table(title=title, title_justify="left")
    for dimension in result.dimensions:
        table.add_column(dimension)
    table.add_column("pupils", justify="right")
    for label in result.measures:
        table.add_column(label, justify="right")
    for cell in result.cells:
        labels = _labels(query.spec, cell)
        values = [_number(v.value) for v in cell.values]
        style = None if cell.interior else "dim"
        table.add_row(*labels, f"{cell.n_pupils:,}", *values, style=style)
    out.print(table if result.cells else f"{title}: no cells.", highlight=False)
    for note in notes:
        out.print(note, style="yellow" if note != DUMMY_NOTICE else "dim", highlight=False)


def _document(
    query: Query,
    result: QueryResult,
    rows: int,
    source: str,
    engine: EngineName,
    notes: list[str],
) -> dict[str, object]:
    return {
        "dummy": True,
        "dataset": query.dataset,
        "rows": rows,
        "source": source,
        "engine": engine.value,
        "query": to_dict(query),  # what would cross into the service
        "dimensions": list(result.dimensions),
        "measures": list(result.measures),
        "cells": [_cell_document(query.spec, result, cell) for cell in result.cells],
        "notes": notes,
    }


def _cell_document(dataset: Dataset, result: QueryResult, cell: Cell) -> dict[str, object]:
    values: dict[str, dict[str, object]] = {}
    for label, measure in zip(result.measures, cell.values, strict=True):
        values[label] = {"value": measure.value, "n_pupils": measure.n_pupils}
        if measure.numerator is not None:
            values[label]["numerator"] = measure.numerator
    return {
        "interior": cell.interior,
        "levels": list(cell.levels),
        "codes": list(cell.codes),
        "labels": _labels(dataset, cell),
        "n_pupils": cell.n_pupils,
        "values": values,
    }


def _labels(dataset: Dataset, cell: Cell) -> list[str]:
    return [_label(dataset, lvl, code) for lvl, code in zip(cell.levels, cell.codes, strict=True)]


def _label(dataset: Dataset, level: str | None, code: CellCode) -> str:
    """A code with its meaning: "201 City of London", "F Female"; "all" for a total."""
    if level is None:
        return "all"
    if code is None:
        return "(missing)"
    found = dataset.dimension(level)
    if isinstance(found, Item) and found.codeset == LA_CODESET:
        la = la_by_code(str(code), dataset.reference_date)
        return f"{code} {la.name}" if la else str(code)
    if isinstance(found, Item) and found.codeset is not None:
        meaning = codeset(found.codeset).label(str(code))
        return f"{code} {meaning}" if meaning != code else str(code)
    return str(code)


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.3f}"
