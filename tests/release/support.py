"""Small hand-made school census tables, run through restrict() and the reference engine."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from safepupil.query.engines import ReferenceEngine
from safepupil.query.model import Query
from safepupil.query.restriction import RestrictionContext, restrict
from safepupil.query.results import QueryResult
from safepupil.store.catalogue import load_catalogue
from safepupil.synth.dummy import make_dummy

SCHOOL = "school_census_2018"


def school_table(rows: Sequence[tuple[str, str, int]], first_id: int = 0) -> pa.Table:
    """One pupil per (la, sex, sessions_absent) row; other items are dummy values."""
    base = make_dummy(load_catalogue(), SCHOOL, len(rows), 7)
    ids = list(range(first_id, first_id + len(rows)))
    columns = {
        "la": [r[0] for r in rows],
        "sex": [r[1] for r in rows],
        "sessions_absent": [r[2] for r in rows],
        "pupil_id": ids,
        "pupil_token": [f"token-{i}" for i in ids],
    }
    for name, values in columns.items():
        position = base.schema.get_field_index(name)
        base = base.set_column(position, name, pa.array(values, base.schema.field(name).type))
    return base


def counts_table(cells: dict[tuple[str, str], int], absent: int = 3) -> list[tuple[str, str, int]]:
    return [(la, sex, absent) for (la, sex), n in cells.items() for _ in range(n)]


def run_reference(query: Query, table: pa.Table) -> QueryResult:
    restricted = restrict(query, RestrictionContext(allowed_items=None))
    return ReferenceEngine().run(restricted, table, with_margins=True)
