"""Small hand-made school census tables, run through restrict() and the reference engine."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import pyarrow as pa

from safepupil.query.builder import dataset
from safepupil.query.engines import ReferenceEngine
from safepupil.query.model import Query
from safepupil.query.restriction import RestrictionContext, restrict
from safepupil.query.results import QueryResult
from safepupil.query.wire import to_json
from safepupil.release.records import HELD, ReleaseRecord, store_release
from safepupil.store.catalogue import load_catalogue
from safepupil.store.deployment import Deployment
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


def record_release(
    deployment: Deployment,
    project_id: int,
    person_id: int,
    *,
    status: str = HELD,
    reason: str = "a reason in plain words",
    pupils: int = 0,
    cells: tuple[int, int] = (0, 0),  # released, suppressed
) -> str:
    """A release as the pipeline records one (nothing shown, no cells kept), with the
    given status and figures: the shipped policy suppresses rather than holds, so tests
    make held ones (and figures that must stay unsaid) this way."""
    query = dataset(SCHOOL).by("la", "sex").count().build()
    release_id = str(uuid.uuid4())
    engine = deployment.control_engine()
    with engine.begin() as connection:
        store_release(
            connection,
            ReleaseRecord(
                id=release_id,
                project_id=project_id,
                person_id=person_id,
                dataset=SCHOOL,
                query_json=to_json(query),
                created_at=dt.datetime.now(dt.UTC),
                pupils=pupils,
                cells_released=cells[0],
                cells_suppressed=cells[1],
                checksum=None,
                status=status,
                reasons=(reason,),
                audit_proof=None,
            ),
        )
    engine.dispose()
    return release_id


def record_held_release(
    deployment: Deployment, project_id: int, person_id: int, reason: str
) -> str:
    """A held release, as the review queue gets one."""
    return record_release(deployment, project_id, person_id, reason=reason)
