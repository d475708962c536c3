"""One DuckDB statement per query, composed from catalogue identifiers and parameters.

Security property 1: every identifier in the text comes from the catalogue (and is
checked against the catalogue's identifier pattern again here, then double-quoted);
every value (codes, dates, numbers, look-up tables, excluded tokens) is a named
parameter. The fixed words and the generated column names (``d0``, ``v0``...) are
the engine's own.

Shape of the statement (CTEs):
  rows   one record per filtered, non-excluded row: pupil id, every level column,
         the value of each magnitude item, the truth of each proportion's condition
  units  (datasets with several records per pupil) one row per pupil per cell, so a
         pupil counts once and top-2 contributions are per-pupil totals
  cells  the cells, with GROUPING SETS when margins are asked for; the interior cells
         carry the list of their pupil ids, from which contributor bitmaps are made, or,
         where the engine makes the bitmaps from per-code bitmaps (``ids_listed=False``),
         only the sum of their pupil ids, against which those bitmaps are checked
"""

# ruff: noqa: S608 - this module is where SQL text is composed, from catalogue identifiers
# (re-checked by quoted()) and the engine's own column names; every value is a parameter.
from __future__ import annotations

from dataclasses import dataclass, field

from safepupil.errors import InternalError
from safepupil.query.derivations import (
    ENGLAND,
    AgeBands,
    code_group_lookup,
    month_number,
    region_lookup,
)
from safepupil.query.engines.base import PUPIL_ID, PUPIL_TOKEN
from safepupil.query.nodes import (
    AgeOn,
    And,
    Compare,
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
from safepupil.query.results import Grouping
from safepupil.store.catalogue import IDENTIFIER, Dataset, DerivedDimension

_SQL_OPERATORS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_VALUE_TYPES = {"integer": "BIGINT", "decimal": "DOUBLE"}


@dataclass
class Params:
    """Named parameters, bound in the order they are made."""

    values: dict[str, object] = field(default_factory=dict)

    def bind(self, value: object) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"


def quoted(name: str) -> str:
    """A catalogue identifier, double-quoted; anything else is a bug."""
    if not IDENTIFIER.match(name):
        raise InternalError(f"{name!r} is not a catalogue identifier")
    return f'"{name}"'


@dataclass(frozen=True)
class Plan:
    sql: str
    params: dict[str, object]
    families: tuple[Grouping, ...]  # the cell families computed, the interior first
    levels: tuple[str, ...]  # column d{i} holds level levels[i]
    grouping_ids: dict[int, Grouping]  # the g column -> the cell family
    interior_id: int
    value_items: tuple[str, ...]  # column sum{j}, rows{j}, n{j}, top{j} for item j
    median_items: tuple[str, ...]  # column med{j} for value_items[j] in this tuple
    proportions: int  # columns num0..
    ids_listed: bool  # column ids (pupil id lists) if true, else id_sum (their sum)


def plan(
    dataset: Dataset,
    filters: tuple[Filter, ...],
    measures: tuple[Measure, ...],
    excluded_tokens: frozenset[str],
    families: tuple[Grouping, ...],
    *,
    ids_listed: bool = True,
) -> Plan:
    """The statement for a query whose cells fall in ``families`` (interior first).

    ``ids_listed=False`` (one family, one record per pupil) gives each cell the sum of its
    pupil ids instead of their list."""
    if not ids_listed and (len(families) != 1 or not dataset.one_row_per_pupil):
        raise InternalError("id sums are for one family of a one-record-per-pupil dataset")
    params = Params()
    levels = tuple(dict.fromkeys(level for g in families for level in g if level is not None))
    value_items = tuple(
        dict.fromkeys(m.item for m in measures if isinstance(m, Sum | Mean | Median))
    )
    medians = tuple(dict.fromkeys(m.item for m in measures if isinstance(m, Median)))
    conditions = [m.condition for m in measures if isinstance(m, Proportion)]
    rows = _rows_cte(dataset, levels, value_items, conditions, filters, excluded_tokens, params)
    interior_id = _grouping_id(families[0], levels)
    shape = _Shape(
        levels=levels,
        families=families,
        value_types=tuple(_VALUE_TYPES[dataset.item(i).type] for i in value_items),
        median_columns=tuple(value_items.index(i) for i in medians),
        proportions=len(conditions),
        interior_id=interior_id,
        ids_listed=ids_listed,
    )
    if dataset.one_row_per_pupil:
        cells = _cells_one_row_per_pupil(shape)
    else:
        cells = _cells_several_rows_per_pupil(shape)
    return Plan(
        sql=f"WITH rows AS ({rows}), {cells}",
        params=params.values,
        families=families,
        levels=levels,
        grouping_ids={_grouping_id(g, levels): g for g in families},
        interior_id=interior_id,
        value_items=value_items,
        median_items=medians,
        proportions=len(conditions),
        ids_listed=ids_listed,
    )


def population_statement(
    dataset: Dataset, filters: tuple[Filter, ...], excluded_tokens: frozenset[str]
) -> tuple[str, dict[str, object]]:
    """The pupil ids (32 bits; null if out of range) of the records passing ``filters``,
    excluded pupils left out: the same rows the query's statement aggregates."""
    params = Params()
    rows = _rows_cte(dataset, (), (), [], filters, excluded_tokens, params)
    return f"SELECT TRY_CAST(pupil_id AS UINTEGER) AS pupil_id FROM ({rows})", params.values


def _grouping_id(grouping: Grouping, levels: tuple[str, ...]) -> int:
    """DuckDB's GROUPING(d0, d1, ...): bit set for each level column not grouped by,
    the first column the most significant bit."""
    present = {level for level in grouping if level is not None}
    width = len(levels)
    return sum(1 << (width - 1 - i) for i, level in enumerate(levels) if level not in present)


# --- rows: the filtered records with their level, value and condition columns -----------


def _rows_cte(
    dataset: Dataset,
    levels: tuple[str, ...],
    value_items: tuple[str, ...],
    conditions: list[Filter],
    filters: tuple[Filter, ...],
    excluded_tokens: frozenset[str],
    params: Params,
) -> str:
    joins: list[str] = []
    columns = [f"t.{quoted(PUPIL_ID)} AS pupil_id"]
    for index, level in enumerate(levels):
        columns.append(f"{_level_sql(dataset, level, index, joins, params)} AS d{index}")
    for index, item in enumerate(value_items):
        kind = _VALUE_TYPES[dataset.item(item).type]
        columns.append(f"CAST(t.{quoted(item)} AS {kind}) AS v{index}")
    for index, condition in enumerate(conditions):
        columns.append(f"({condition_sql(condition, dataset, params)}) IS TRUE AS c{index}")
    where = [condition_sql(f, dataset, params) for f in filters]
    if excluded_tokens:
        excluded = params.bind(sorted(excluded_tokens))
        where.append(f"t.{quoted(PUPIL_TOKEN)} NOT IN (SELECT unnest({excluded}::VARCHAR[]))")
    text = f"SELECT {', '.join(columns)} FROM {quoted(dataset.name)} AS t {' '.join(joins)}"
    return f"{text} WHERE {' AND '.join(where)}" if where else text


def _level_sql(dataset: Dataset, level: str, index: int, joins: list[str], params: Params) -> str:
    spec = dataset.dimension(level)
    if not isinstance(spec, DerivedDimension):
        return f"t.{quoted(level)}"
    if spec.kind == "country":
        return params.bind(ENGLAND)
    if spec.kind in ("region", "code_group"):
        lookup = (
            region_lookup(dataset) if spec.kind == "region" else code_group_lookup(dataset, spec)
        )
        keys, groups = params.bind(list(lookup)), params.bind(list(lookup.values()))
        joins.append(
            f"LEFT JOIN (SELECT unnest({keys}::VARCHAR[]) AS code, "
            f"unnest({groups}::VARCHAR[]) AS grp) AS lk{index} "
            f"ON t.{quoted(spec.source)} = lk{index}.code"
        )
        return f"lk{index}.grp"
    if spec.on is None:
        raise InternalError(f"{spec.name} has no day to take the age on")
    age = _age_sql(spec.source, spec.on.year, spec.on.month, params)
    if spec.kind == "age":
        return age
    bands = AgeBands(spec.band_starts)
    branches = [
        f"WHEN {age} >= {params.bind(start)} THEN {params.bind(label)}"
        for start, label in reversed(list(zip(bands.starts, bands.labels, strict=True)))
    ]
    return f"CASE {' '.join(branches)} ELSE NULL END"


def _age_sql(source: str, year: int, month: int, params: Params) -> str:
    column = f"t.{quoted(source)}"
    year_of_birth = f"CAST(substr({column}, 1, 4) AS INTEGER)"
    month_of_birth = f"CAST(substr({column}, 6, 2) AS INTEGER)"
    birth = f"({year_of_birth} * 12 + {month_of_birth} - 1)"
    # floor, not DuckDB's //, which truncates towards zero; derivations uses Python's //.
    return f"CAST(floor(({params.bind(month_number(year, month))} - {birth}) / 12) AS INTEGER)"


def condition_sql(condition: Filter, dataset: Dataset, params: Params) -> str:
    """A filter as a SQL boolean expression with SQL's three-valued logic."""
    match condition:
        case Compare(item, op, value):
            return f"t.{quoted(item)} {_SQL_OPERATORS[op]} {params.bind(value)}"
        case InSet(item, codes):
            listed = ", ".join(params.bind(code) for code in sorted(codes))
            return f"t.{quoted(item)} IN ({listed})"
        case DateRange(item, start, end):
            bounds = []
            if start is not None:
                bounds.append(f"t.{quoted(item)} >= {params.bind(start)}")
            if end is not None:
                bounds.append(f"t.{quoted(item)} <= {params.bind(end)}")
            return f"({' AND '.join(bounds)})"
        case AgeOn(on, op, years):
            age = _age_sql(dataset.age_source(), on.year, on.month, params)
            return f"{age} {_SQL_OPERATORS[op]} {params.bind(years)}"
        case IsNull(item):
            return f"t.{quoted(item)} IS NULL"
        case And(terms):
            return "(" + " AND ".join(condition_sql(t, dataset, params) for t in terms) + ")"
        case Or(terms):
            return "(" + " OR ".join(condition_sql(t, dataset, params) for t in terms) + ")"
        case Not(term):
            return f"(NOT {condition_sql(term, dataset, params)})"
    raise InternalError(f"no SQL for {type(condition).__name__}")


# --- cells ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """The column layout shared by the two ways of making cells."""

    levels: tuple[str, ...]
    families: tuple[Grouping, ...]
    value_types: tuple[str, ...]  # SQL type of v{j}
    median_columns: tuple[int, ...]  # med{k} is the median of v{median_columns[k]}
    proportions: int
    interior_id: int
    ids_listed: bool

    @property
    def dims(self) -> list[str]:
        return [f"d{i}" for i in range(len(self.levels))]

    def columns_of(self, grouping: Grouping) -> list[str]:
        present = {level for level in grouping if level is not None}
        return [f"d{i}" for i, level in enumerate(self.levels) if level in present]

    def group_by(self, *extra: str) -> str:
        if len(self.families) > 1:
            sets = ", ".join(
                _listed(*self.columns_of(g), *extra, bracket=True) for g in self.families
            )
            return f"GROUP BY GROUPING SETS ({sets})"
        columns = [*self.dims, *extra]
        return f"GROUP BY {_listed(*columns)}" if columns else ""

    def grouping_id(self) -> str:
        return f"GROUPING({_listed(*self.dims)})" if len(self.families) > 1 else "0"

    def same_cell(self, left: str, right: str, columns: list[str]) -> str:
        """Join condition on cell keys; a missing code is a code, so NULLs must match."""
        return " AND ".join(
            [f"{left}.g = {right}.g"]
            + [f"{left}.{c} IS NOT DISTINCT FROM {right}.{c}" for c in columns]
        )


def _listed(*parts: str, bracket: bool = False) -> str:
    text = ", ".join(p for p in parts if p)
    return f"({text})" if bracket else text


def _magnitudes(shape: _Shape, value: str, rows: str, pupils: str | None) -> list[str]:
    """Sum, record count, pupil count (when it differs) and top-2 per-pupil totals."""
    columns = []
    for j, kind in enumerate(shape.value_types):
        columns += [
            f"CAST(sum({value}{j}) AS {kind}) AS sum{j}",
            f"CAST({rows.format(j=j)} AS BIGINT) AS rows{j}",
            f"max({value}{j}, 2) AS top{j}",
        ]
        if pupils is not None:
            columns.append(f"{pupils.format(j=j)} AS n{j}")
    return columns


def _cells_one_row_per_pupil(shape: _Shape) -> str:
    """Each record is a pupil (the store guarantees it; the engine checks every cell's
    count against its bitmap), so cells aggregate the records directly."""
    columns = [f"{shape.grouping_id()} AS g", *shape.dims, "count(*) AS n_pupils"]
    columns += _magnitudes(shape, "v", rows="count(v{j})", pupils=None)  # records are pupils
    columns += [f"median(v{j}) AS med{k}" for k, j in enumerate(shape.median_columns)]
    columns += [f"count(*) FILTER (WHERE c{k}) AS num{k}" for k in range(shape.proportions)]
    if not shape.ids_listed:
        columns.append("CAST(sum(pupil_id) AS BIGINT) AS id_sum")
        cells = f"cells AS (SELECT {_listed(*columns)} FROM rows {shape.group_by()})"
        return f"{cells} SELECT * FROM cells"
    if len(shape.families) == 1:
        # 32-bit ids halve what crosses from DuckDB to the bitmaps; an id out of range
        # becomes null and the engine refuses it (pupil ids are null-free otherwise).
        columns.append("list(TRY_CAST(pupil_id AS UINTEGER)) AS ids")
        cells = f"cells AS (SELECT {_listed(*columns)} FROM rows {shape.group_by()})"
        return f"{cells} SELECT * FROM cells"
    # GROUPING() cannot steer an aggregate's FILTER, so the interior's pupil lists come
    # from their own grouping, joined back (lists for every margin would cost far more).
    interior = shape.columns_of(shape.families[0])
    by_interior = f"GROUP BY {_listed(*interior)}" if interior else ""
    listed = _listed(f"{shape.interior_id} AS g", *interior, "list(pupil_id) AS ids")
    ids = f"ids AS (SELECT {listed} FROM rows {by_interior})"
    joined = shape.same_cell("cells", "ids", interior)
    return (
        f"cells AS (SELECT {_listed(*columns)} FROM rows {shape.group_by()}), {ids} "
        f"SELECT cells.*, ids.ids FROM cells LEFT JOIN ids ON {joined}"
    )


def _cells_several_rows_per_pupil(shape: _Shape) -> str:
    """A pupil may have several records: first one row per pupil per cell (units), so
    counts are of pupils and the top contributions are per-pupil totals."""
    per_pupil = [f"{shape.grouping_id()} AS g", *shape.dims, "pupil_id"]
    for j, kind in enumerate(shape.value_types):
        per_pupil += [f"CAST(sum(v{j}) AS {kind}) AS s{j}", f"count(v{j}) AS k{j}"]
    per_pupil += [f"bool_or(c{k}) AS c{k}" for k in range(shape.proportions)]
    units = f"units AS (SELECT {_listed(*per_pupil)} FROM rows {shape.group_by('pupil_id')})"
    columns = ["g", *shape.dims, "count(*) AS n_pupils"]
    columns += _magnitudes(shape, "s", rows="sum(k{j})", pupils="count(s{j})")
    columns += [f"count(*) FILTER (WHERE c{k}) AS num{k}" for k in range(shape.proportions)]
    columns.append(f"list(pupil_id) FILTER (WHERE g = {shape.interior_id}) AS ids")
    cells = f"cells AS (SELECT {_listed(*columns)} FROM units GROUP BY {_listed('g', *shape.dims)})"
    if not shape.median_columns:
        return f"{units}, {cells} SELECT * FROM cells"
    # Medians are of records, not of per-pupil totals, so they group the rows themselves.
    medians = [f"{shape.grouping_id()} AS g", *shape.dims]
    medians += [f"median(v{j}) AS med{k}" for k, j in enumerate(shape.median_columns)]
    picked = ", ".join(f"medians.med{k}" for k in range(len(shape.median_columns)))
    return (
        f"{units}, {cells}, medians AS (SELECT {_listed(*medians)} FROM rows {shape.group_by()}) "
        f"SELECT cells.*, {picked} FROM cells "
        f"LEFT JOIN medians ON {shape.same_cell('cells', 'medians', shape.dims)}"
    )
