"""The DuckDB engine: one statement per query over the national store.

The source is a DuckDB connection whose database holds one table per dataset, named
as in the catalogue, with the catalogue's items and ``pupil_id`` as columns.

Contributor bitmaps: where each record is a pupil, a cell's contributors are
intersections of per-code bitmaps the process keeps (within the filtered pupils, listed
by a second statement, if the query has filters), checked against each cell's pupil
count and id sum (code_bitmaps.py); that costs a fraction of listing the ids.
Otherwise, or if that check fails, the interior cells' pupil ids come back as one Arrow
list column and become roaring bitmaps without passing through Python integers. A
margin's contributors are the union of the interior cells below it (every record falls
in exactly one interior cell); each cell's pupil count is checked against its bitmap,
which also proves the store's one-record-per-pupil promise where it is relied on.

Margins: where every record is a pupil and no median is asked for, a margin's values
follow exactly from the interior cells below it (sums and counts add, the top two of a
margin are among its cells' top twos), so they are rolled up here; otherwise DuckDB
computes them with GROUPING SETS, which costs one aggregation per family of cells.
"""

from __future__ import annotations

import array
import logging
from collections.abc import Callable, Sequence
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from pyroaring import BitMap, FrozenBitMap

from safepupil.errors import InternalError
from safepupil.query.derivations import derived_value
from safepupil.query.engines.base import MAX_PUPIL_ID, finer_family, groupings, rollup_levels
from safepupil.query.engines.code_bitmaps import CellsDisagree, cell_bitmaps, population
from safepupil.query.engines.duckdb_sql import Plan, plan, population_statement
from safepupil.query.model import Query
from safepupil.query.nodes import Count, Mean, Measure, Median, Proportion, Sum
from safepupil.query.restriction import RestrictedQuery, require_restricted
from safepupil.query.results import Cell, CellCode, Grouping, MeasureValue, QueryResult
from safepupil.store.catalogue import Dataset, DerivedDimension

Row = dict[str, Any]
LOG = logging.getLogger(__name__)


class DuckDBEngine:
    """``list_ids=True`` always lists each cell's pupil ids (no per-code bitmaps): the
    slower way, kept as the fallback and as the yardstick the faster way is tested on."""

    name = "duckdb"

    def __init__(self, *, list_ids: bool = False) -> None:
        self.list_ids = list_ids

    def run(
        self,
        restricted: RestrictedQuery,
        source: duckdb.DuckDBPyConnection,
        *,
        with_margins: bool = False,
    ) -> QueryResult:
        restricted = require_restricted(restricted)
        query = restricted.query
        families = groupings(query, with_margins)
        rolled_up = len(families) > 1 and _margins_roll_up(query)
        computed = families[:1] if rolled_up else families
        made: tuple[list[Cell], FrozenBitMap | None] | None = None
        if not self.list_ids and _from_code_bitmaps(query, computed):
            made = _cells_from_code_bitmaps(restricted, source, computed, families, rolled_up)
        if made is None:
            made = _cells_from_listed_ids(restricted, source, computed, families, rolled_up)
        cells, everyone = made
        measures = [m.label for m in query.measures]
        return QueryResult.assemble(query.dimensions, measures, families, cells, everyone)


def _cells_from_listed_ids(
    restricted: RestrictedQuery,
    source: duckdb.DuckDBPyConnection,
    computed: tuple[Grouping, ...],
    families: tuple[Grouping, ...],
    rolled_up: bool,
) -> tuple[list[Cell], None]:
    """The cells, contributors made from each interior cell's listed pupil ids."""
    query = restricted.query
    statement = plan(
        query.spec, query.filters, query.measures, restricted.excluded_tokens, computed
    )
    table = _without_empty_total(_execute(source, statement, query.dataset))
    bitmaps = _listed_bitmaps(table.column("ids"))
    return _cells(query, statement, table, bitmaps, families if rolled_up else ()), None


def _from_code_bitmaps(query: Query, computed: tuple[Grouping, ...]) -> bool:
    """Whether contributors can be made from per-code bitmaps: one record per pupil (a
    pupil then holds one code per level), one family computed, at least one level."""
    return query.spec.one_row_per_pupil and len(computed) == 1 and bool(query.dimensions)


def _cells_from_code_bitmaps(
    restricted: RestrictedQuery,
    source: duckdb.DuckDBPyConnection,
    computed: tuple[Grouping, ...],
    families: tuple[Grouping, ...],
    rolled_up: bool,
) -> tuple[list[Cell], FrozenBitMap] | None:
    """The cells, contributors made from per-code bitmaps, and every pupil in them; None
    if those bitmaps disagree with the statement's cells."""
    query = restricted.query
    statement = plan(
        query.spec,
        query.filters,
        query.measures,
        restricted.excluded_tokens,
        computed,
        ids_listed=False,
    )
    table = _execute(source, statement, query.dataset)
    columns = [table.column(f"d{i}").to_pylist() for i in range(len(statement.levels))]
    codes = list(zip(*columns, strict=True))
    checks = (table.column("n_pupils").to_pylist(), table.column("id_sum").to_pylist())
    filtered = (
        population_statement(query.spec, query.filters, restricted.excluded_tokens)
        if query.filters
        else None
    )
    pupils = population(source, query.spec, restricted.excluded_tokens, filtered)
    try:
        made = cell_bitmaps(source, query.spec, statement.levels, codes, checks, pupils)
    except CellsDisagree:
        # Listing the ids is always right; a disagreement here is logged for a look.
        LOG.warning("%s: per-code contributor bitmaps disagreed; listing ids", query.dataset)
        return None
    table = table.drop_columns(["id_sum"])
    by_row = dict(enumerate(made.interior))
    rolled = families if rolled_up else ()
    return _cells(query, statement, table, by_row, rolled, made.margins), made.everyone


def explain(restricted: RestrictedQuery, *, with_margins: bool = False) -> Plan:
    """The statement the engine runs for ``restricted`` (for tests and reviewers)."""
    query = require_restricted(restricted).query
    families = groupings(query, with_margins)
    if len(families) > 1 and _margins_roll_up(query):
        families = families[:1]
    return plan(
        query.spec,
        query.filters,
        query.measures,
        restricted.excluded_tokens,
        families,
        ids_listed=not _from_code_bitmaps(query, families),
    )


def _without_empty_total(table: pa.Table) -> pa.Table:
    """A total over no records (GROUP BY () on nothing) is no cell."""
    counts = table.column("n_pupils").to_pylist()
    if 0 not in counts:
        return table
    return table.take(pa.array([i for i, n in enumerate(counts) if n > 0], pa.int64()))


def _margins_roll_up(query: Query) -> bool:
    return query.spec.one_row_per_pupil and not any(isinstance(m, Median) for m in query.measures)


def _execute(connection: duckdb.DuckDBPyConnection, statement: Plan, dataset: str) -> pa.Table:
    try:
        return connection.execute(statement.sql, statement.params).to_arrow_table()
    except duckdb.Error as error:
        # DuckDB's message can quote a stored value; only its kind leaves this function.
        raise InternalError(
            f"the store could not run a query on {dataset} ({type(error).__name__})"
        ) from None


Codes = tuple[CellCode, ...]
# A margin family's cells -> their contributors (code_bitmaps.CodeCells.margins).
MarginBitmaps = Callable[[Grouping, list[Codes]], Sequence[FrozenBitMap | None]]


def _cells(
    query: Query,
    statement: Plan,
    table: pa.Table,
    bitmaps: dict[int, FrozenBitMap],
    rolled_families: tuple[Grouping, ...],
    margin_bitmaps: MarginBitmaps | None = None,
) -> list[Cell]:
    """Cells from the statement's rows (``bitmaps``: each interior row's contributors);
    with ``rolled_families``, their margins too. A margin cell's contributors are the
    union of the cells below it, or ``margin_bitmaps``' where their size is right."""
    interior = statement.families[0]
    computed: dict[Grouping, dict[Codes, Row]] = {f: {} for f in statement.families}
    found: dict[Grouping, dict[Codes, tuple[Row, FrozenBitMap]]] = {interior: {}}
    rows = table.drop_columns(["ids"]) if "ids" in table.column_names else table
    code_columns = {family: _code_columns(family, statement) for family in statement.families}
    for index, row in enumerate(rows.to_pylist()):
        grouping = statement.grouping_ids[row["g"]]
        codes = tuple(None if c is None else row[c] for c in code_columns[grouping])
        computed[grouping][codes] = row
        if grouping == interior:
            found[interior][codes] = (row, bitmaps[index])
    families = rolled_families or statement.families
    levels = rollup_levels(query)
    for family in families[1:]:
        finer, position = finer_family(family, levels)
        groups = _group_below(query.spec, found[finer], finer, family, position)
        made = margin_bitmaps(family, list(groups)) if margin_bitmaps else [None] * len(groups)
        found[family] = {}
        for (codes, below), pupils in zip(groups.items(), made, strict=True):
            rows = [found[finer][c][0] for c in below]
            row = _combine(rows, statement) if rolled_families else computed[family].get(codes)
            if row is None:
                raise InternalError(f"{query.dataset}: a margin cell has no row from DuckDB")
            if pupils is None or len(pupils) != row["n_pupils"]:
                pupils = FrozenBitMap(BitMap.union(*(found[finer][c][1] for c in below)))
            found[family][codes] = (row, pupils)
    return [
        _cell(query, statement, family, codes, row, contributors, family == interior)
        for family, cells in found.items()
        for codes, (row, contributors) in cells.items()
    ]


def _group_below(
    dataset: Dataset, cells: dict[Codes, Any], finer: Grouping, family: Grouping, position: int
) -> dict[Codes, list[Codes]]:
    """The cells of ``family`` (one step coarser at ``position``), each with the codes of
    the ``finer`` cells below it."""
    groups: dict[Codes, list[Codes]] = {}
    for codes in cells:
        coarse = _coarsen(dataset, finer[position], family[position], codes[position])
        groups.setdefault((*codes[:position], coarse, *codes[position + 1 :]), []).append(codes)
    return groups


def _cell(
    query: Query,
    statement: Plan,
    family: Grouping,
    codes: Codes,
    row: Row,
    contributors: FrozenBitMap,
    interior: bool,
) -> Cell:
    if len(contributors) != row["n_pupils"]:
        raise InternalError(
            f"{query.dataset}: a cell counts {row['n_pupils']} pupils but has "
            f"{len(contributors)} distinct pupil ids (is the dataset one record per pupil?)"
        )
    values = _values(query.measures, row, statement)
    return Cell(family, codes, row["n_pupils"], values, contributors, interior)


def _combine(rows: list[Row], statement: Plan) -> Row:
    """A margin's statistics from its interior cells, where every record is a pupil."""
    combined: Row = {"n_pupils": sum(r["n_pupils"] for r in rows)}
    for j in range(len(statement.value_items)):
        sums = [r[f"sum{j}"] for r in rows if r[f"sum{j}"] is not None]
        combined[f"sum{j}"] = sum(sums) if sums else None
        combined[f"rows{j}"] = sum(r[f"rows{j}"] for r in rows)
        tops = sorted((t for r in rows for t in r[f"top{j}"] or ()), reverse=True)[:2]
        combined[f"top{j}"] = tops or None
    for k in range(statement.proportions):
        combined[f"num{k}"] = sum(r[f"num{k}"] for r in rows)
    return combined


def _code_columns(grouping: Grouping, statement: Plan) -> tuple[str | None, ...]:
    """The statement's column holding each level's code (None: totalled)."""
    return tuple(
        None if level is None else f"d{statement.levels.index(level)}" for level in grouping
    )


def _listed_bitmaps(column: pa.ChunkedArray) -> dict[int, FrozenBitMap]:
    """Row index -> bitmap of the pupil ids listed in that row (interior rows only)."""
    lists = column.combine_chunks()
    if len(lists) == 0:
        return {}
    offsets = lists.offsets.to_numpy()
    if lists.values.null_count:  # TRY_CAST to 32 bits gave null: an id out of range
        raise InternalError("a pupil_id is outside 0..2**32-1")
    ids = lists.values.to_numpy(zero_copy_only=False)
    if len(ids) and (ids.min() < 0 or ids.max() > MAX_PUPIL_ID):
        raise InternalError("a pupil_id is outside 0..2**32-1")
    ids = ids.astype(np.uint32, copy=False)
    valid = lists.is_valid().to_numpy(zero_copy_only=False)
    return {
        row: FrozenBitMap(array.array("I", ids[offsets[row] : offsets[row + 1]].tobytes()))
        for row in np.flatnonzero(valid).tolist()
    }


def _coarsen(dataset: Dataset, level: str | None, target: str | None, code: CellCode) -> CellCode:
    """The code at a coarser ``target`` level of a record whose code at ``level`` is
    ``code``: the same code, None for a total, or the region or England of an LA."""
    if target is None:
        return None
    if target == level:
        return code
    spec = dataset.dimension(target)
    if not isinstance(spec, DerivedDimension):
        raise InternalError(f"{target} is not coarser than {level}")
    return derived_value(spec, dataset, code)


def _values(measures: Sequence[Measure], row: Row, statement: Plan) -> tuple[MeasureValue, ...]:
    values = []
    proportion = 0
    for measure in measures:
        if isinstance(measure, Count):
            values.append(MeasureValue(value=row["n_pupils"], n_pupils=row["n_pupils"]))
        elif isinstance(measure, Proportion):
            meeting = row[f"num{proportion}"]
            proportion += 1
            values.append(
                MeasureValue(
                    value=meeting / row["n_pupils"], n_pupils=row["n_pupils"], numerator=meeting
                )
            )
        else:
            values.append(_magnitude(measure, row, statement))
    return tuple(values)


def _magnitude(measure: Sum | Mean | Median, row: Row, statement: Plan) -> MeasureValue:
    j = statement.value_items.index(measure.item)
    total, records = row[f"sum{j}"], row[f"rows{j}"]
    pupils = int(row.get(f"n{j}", records) or 0)  # no n{j} where every record is a pupil
    top = [*(row[f"top{j}"] or []), None, None]
    statistic: int | float | None = None
    if records and isinstance(measure, Sum):
        statistic = total
    elif records and isinstance(measure, Mean):
        statistic = total / records
    elif records:
        statistic = float(row[f"med{statement.median_items.index(measure.item)}"])
    return MeasureValue(value=statistic, n_pupils=pupils, top1=top[0], top2=top[1])
