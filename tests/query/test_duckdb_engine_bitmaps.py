"""DuckDB engine contributor bitmaps at sizes the spec tables do not reach: cells of
more than 65,536 pupils (several roaring containers, some of them bitsets), ids at the
top of the 32-bit range, no pupils at all, and excluded pupils."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from pyroaring import FrozenBitMap

from safepupil.query.builder import dataset, item
from safepupil.query.restriction import RestrictionContext
from safepupil.store.catalogue import Catalogue
from tests.query.conftest import run_on, store_table
from tests.query.spec_data import SCHOOL_ROWS

SC = "school_census_2018"
PUPILS = 70_000  # more than one 65,536-id container per cell


def _many_pupils(catalogue: Catalogue) -> tuple[pa.Table, np.ndarray]:
    """PUPILS copies of one spec row, with shuffled ids: a dense run (bitset containers)
    and a sparse spread reaching 2**32 - 1; sex alternates by position."""
    rng = np.random.default_rng(9)
    dense = np.arange(100_000, 100_000 + PUPILS // 2, dtype=np.uint64)
    sparse = rng.choice(2**32 - 200_000, PUPILS // 2 - 1, replace=False).astype(np.uint64)
    ids = rng.permutation(np.concatenate([dense, sparse + 200_000, [2**32 - 1]]))
    template = {**SCHOOL_ROWS[0], "sex": None}
    table = store_table(catalogue.dataset(SC), [template] * PUPILS)
    sexes = pa.array(["F" if i % 2 else "M" for i in range(PUPILS)], pa.string())
    table = table.set_column(table.schema.get_field_index("sex"), "sex", sexes)
    table = table.set_column(0, "pupil_id", pa.array(ids, pa.uint32()))
    tokens = pa.array([f"big{i}" for i in range(PUPILS)], pa.string())
    return table.set_column(table.schema.get_field_index("pupil_token"), "pupil_token", tokens), ids


@pytest.mark.slow
def test_cells_of_more_than_65536_pupils(catalogue: Catalogue) -> None:
    table, ids = _many_pupils(catalogue)
    query = dataset(SC, catalogue).by("sex").count().build()
    result = run_on("duckdb", query, table, with_margins=True)
    female = ids[1::2]
    assert result.cell("F").contributors == FrozenBitMap(female.tolist())
    assert result.cell("M").n_pupils == PUPILS // 2
    assert result.contributors == FrozenBitMap(ids.tolist())
    assert 2**32 - 1 in result.contributors
    (total,) = result.margins
    assert total.n_pupils == PUPILS and total.contributors == result.contributors


def test_no_pupils_gives_no_cells(catalogue: Catalogue, engine_name: str) -> None:
    table = store_table(catalogue.dataset(SC), SCHOOL_ROWS)
    query = dataset(SC, catalogue).where(item("sessions_absent") > 10**6).by("la").count().build()
    for margins in (False, True):
        result = run_on(engine_name, query, table, with_margins=margins)
        assert result.cells == () and len(result.contributors) == 0


def test_excluded_pupils_are_in_no_bitmap(catalogue: Catalogue, engine_name: str) -> None:
    table = store_table(catalogue.dataset(SC), SCHOOL_ROWS)
    excluded = {SCHOOL_ROWS[0]["pupil_token"], SCHOOL_ROWS[3]["pupil_token"]}
    context = RestrictionContext(allowed_items=None, excluded_tokens=frozenset(excluded))
    query = dataset(SC, catalogue).by("la").count().build()
    result = run_on(engine_name, query, table, with_margins=True, context=context)
    kept = {row["pupil_id"] for row in SCHOOL_ROWS if row["pupil_token"] not in excluded}
    assert result.contributors == FrozenBitMap(kept)
    assert sum(cell.n_pupils for cell in result.interior) == len(kept)
