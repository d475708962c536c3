"""The process's copy of earlier released cells reads only new releases (those numbered
above the last it read, made by any process), and matches a full read after each; a
database made anew at the same address is read afresh."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import sqlalchemy as sa
from pyroaring import FrozenBitMap

from safepupil.controlplane.database import create_control_engine, sqlite_url
from safepupil.controlplane.migrate import upgrade_to_head
from safepupil.release.earlier import EarlierCells
from safepupil.release.records import (
    RELEASED,
    RELEASED_SEQ_INDEX,
    ReleasedCellRow,
    ReleaseRecord,
    earlier_cell_list,
    store_release,
)
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
    assert seen == 0 and len(index) == 0
    first = _release(engine, project, cast.member.id, range(0, 30), RELEASED)
    _release(engine, project, cast.member.id, range(0, 40), "held")  # not released: not read
    with engine.connect() as connection:
        seen, index = cache.snapshot(connection, AP)
        full = earlier_cell_list(connection, AP)
    assert _cells(index) == {(c.release_id, len(c.contributors)) for c in full} == {(first, 30)}
    assert seen == 1  # the held release has no number
    second = _release(engine, project, cast.member.id, range(5, 50), RELEASED)
    with engine.connect() as connection:
        seen, index = cache.snapshot(connection, AP)
    assert seen == 2 and _cells(index) == {(first, 30), (second, 45)}
    engine.dispose()


def test_a_database_made_anew_at_the_same_address_is_read_afresh(tmp_path: Path) -> None:
    """Made anew with as many releases as before, or more: the numbers it has read are
    there again, but not for the releases it read."""
    cache = EarlierCells()
    path = tmp_path / "control.db"
    for made in ((range(0, 30),), (range(0, 20),), (range(0, 15), range(0, 25))):
        path.unlink(missing_ok=True)
        engine = create_control_engine(sqlite_url(path))
        upgrade_to_head(engine)
        cast = add_cast(engine)
        project = approved_project(engine, cast).id
        ids = [_release(engine, project, cast.member.id, pupils, RELEASED) for pupils in made]
        with engine.connect() as connection:
            seen, index = cache.snapshot(connection, AP)
        engine.dispose()
        assert seen == len(made)
        assert _cells(index) == {(i, len(pupils)) for i, pupils in zip(ids, made, strict=True)}


def test_releases_made_elsewhere_are_seen_and_old_ones_never_read_again(
    control_url: str,  # noqa: F811
) -> None:
    """Releases recorded through another engine (another process's connections) are
    picked up; a look reads only the releases numbered from the last one read (which
    it checks is still there), never the ones before it, nor their cells."""
    engine = create_control_engine(control_url)
    upgrade_to_head(engine)
    cast = add_cast(engine)
    project = approved_project(engine, cast).id
    elsewhere = create_control_engine(control_url)
    cache = EarlierCells()
    old = [_release(elsewhere, project, cast.member.id, range(n, 40), RELEASED) for n in range(3)]
    with engine.connect() as connection:
        seen, _ = cache.snapshot(connection, AP)
    assert seen == 3
    with elsewhere.begin() as connection:  # old cells made unreadable: a re-read would fail
        connection.execute(
            sa.update(ReleasedCellRow)
            .where(ReleasedCellRow.release_id.in_(old[:2]))
            .values(contributors=b"not a bitmap")
        )
    new = _release(elsewhere, project, cast.member.id, range(10, 60), RELEASED)
    statements: list[tuple[str, object]] = []

    def keep(*args: object) -> None:
        statements.append((str(args[2]), args[3]))

    sa.event.listen(engine, "before_cursor_execute", keep)
    with engine.connect() as connection:
        seen, index = cache.snapshot(connection, AP)
    sa.event.remove(engine, "before_cursor_execute", keep)
    assert seen == 4 and (new, 50) in _cells(index) and len(_cells(index)) == 4
    assert statements and all("released_seq >" in sql for sql, _ in statements)
    for _, parameters in statements:  # bounded below by the number last read, 3
        values = parameters.values() if isinstance(parameters, dict) else parameters
        assert 3 in list(values)  # type: ignore[call-overload]
    if engine.dialect.name == "sqlite":  # and the index finds them: no scan of history
        with engine.connect() as connection:
            for sql, parameters in statements:
                plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)  # type: ignore[arg-type]
                steps = [str(row[-1]) for row in plan if "releases " in f"{row[-1]} "]
                assert steps and all(
                    f"USING INDEX {RELEASED_SEQ_INDEX} (dataset=? AND released_seq>" in step
                    for step in steps
                ), steps
    elsewhere.dispose()
    engine.dispose()
