"""The process's copy of earlier released cells reads only new releases, and matches a
full read after each; a database made anew at the same address is read afresh."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import sqlalchemy as sa
from pyroaring import FrozenBitMap

from safepupil.controlplane.database import create_control_engine, sqlite_url
from safepupil.controlplane.migrate import upgrade_to_head
from safepupil.release.earlier import EarlierCells
from safepupil.release.records import RELEASED, ReleaseRecord, earlier_cell_list, store_release
from tests.audit.conftest import control_url  # noqa: F401  (a fixture, used by name)
from tests.controlplane.conftest import postgres_url  # noqa: F401
from tests.governance.support import add_cast
from tests.governance.test_authorise import approved_project

AP = "ap_census_2018"


def _release(engine: sa.Engine, project: int, person: int, pupils: range, status: str) -> str:
    release_id = str(uuid.uuid4())
    record = ReleaseRecord(
        id=release_id,
        project_id=project,
        person_id=person,
        dataset=AP,
        query_json="{}",
        created_at=dt.datetime.now(dt.UTC),
        pupils=len(pupils),
        cells_released=1,
        cells_suppressed=0,
        checksum="0" * 64,
        status=status,
        reasons=(),
        audit_proof=None,
        released_cells=(('{"la": "Total"}', FrozenBitMap(pupils)),),
    )
    with engine.begin() as connection:
        store_release(connection, record)
    return release_id


def _cells(index: object) -> set[tuple[str, int]]:
    held = index._cells  # type: ignore[attr-defined]
    return {(cell.release_id, len(cell.contributors)) for cell in held}


def test_the_copy_reads_only_new_releases_and_matches_a_full_read(
    control_url: str,  # noqa: F811
) -> None:
    engine = create_control_engine(control_url)
    upgrade_to_head(engine)
    cast = add_cast(engine)
    project = approved_project(engine, cast).id
    cache = EarlierCells()
    with engine.connect() as connection:
        seen, index = cache.snapshot(connection, AP)
    assert seen == frozenset() and len(index) == 0
    first = _release(engine, project, cast.member.id, range(0, 30), RELEASED)
    _release(engine, project, cast.member.id, range(0, 40), "held")  # not released: not read
    with engine.connect() as connection:
        seen, index = cache.snapshot(connection, AP)
        full = earlier_cell_list(connection, AP)
    assert seen == {first} and _cells(index) == {(c.release_id, len(c.contributors)) for c in full}
    second = _release(engine, project, cast.member.id, range(5, 50), RELEASED)
    with engine.connect() as connection:
        seen, index = cache.snapshot(connection, AP)
    assert seen == {first, second} and _cells(index) == {(first, 30), (second, 45)}
    engine.dispose()


def test_a_database_made_anew_at_the_same_address_is_read_afresh(tmp_path: Path) -> None:
    cache = EarlierCells()
    path = tmp_path / "control.db"
    for pupils in (range(0, 30), range(0, 20)):
        path.unlink(missing_ok=True)
        engine = create_control_engine(sqlite_url(path))
        upgrade_to_head(engine)
        cast = add_cast(engine)
        made = _release(engine, approved_project(engine, cast).id, cast.member.id, pupils, RELEASED)
        with engine.connect() as connection:
            seen, index = cache.snapshot(connection, AP)
        engine.dispose()
        assert seen == {made} and _cells(index) == {(made, len(pupils))}
