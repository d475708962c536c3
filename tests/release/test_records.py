"""Revision 0003 (releases) matches the tables in code, downgrades and upgrades again,
and a stored release reads back with its contributor bitmaps, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from pyroaring import FrozenBitMap

from safepupil.controlplane.database import create_control_engine
from safepupil.controlplane.migrate import alembic_config, current_revision, upgrade_to_head
from safepupil.controlplane.schema import Base
from safepupil.release.records import (
    RELEASED,
    ReleaseRecord,
    earlier_cells,
    load_release,
    store_release,
)
from tests.audit.conftest import control_url  # noqa: F401  (a fixture, used by name)
from tests.controlplane.conftest import postgres_url  # noqa: F401
from tests.governance.support import add_cast
from tests.governance.test_authorise import approved_project

OURS = {"releases", "released_cells"}


def test_0003_matches_the_release_tables_in_code(control_url: str) -> None:  # noqa: F811
    engine = create_control_engine(control_url)
    upgrade_to_head(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    ours = [d for d in differences if OURS & set(_tables_named(d))]
    assert ours == []
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0002")
    assert current_revision(engine) == "0002"
    assert not OURS & set(sa.inspect(engine).get_table_names())
    upgrade_to_head(engine)
    assert set(sa.inspect(engine).get_table_names()) >= OURS
    engine.dispose()


def test_a_release_reads_back_with_its_bitmaps(control_url: str) -> None:  # noqa: F811
    engine = create_control_engine(control_url)
    upgrade_to_head(engine)
    cast = add_cast(engine)
    project = approved_project(engine, cast)
    record = ReleaseRecord(
        id="3f1c0a52-0000-4000-8000-000000000001",
        project_id=project.id,
        person_id=cast.member.id,
        dataset="ap_census_2018",
        query_json="{}",
        created_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        pupils=25,
        cells_released=2,
        cells_suppressed=1,
        checksum="0" * 64,
        status=RELEASED,
        reasons=(),
        audit_proof={"protected": True},
        released_cells=(
            ('{"la": "201"}', FrozenBitMap(range(10, 25))),
            ('{"la": "Total"}', FrozenBitMap(range(0, 25))),
        ),
    )
    with engine.begin() as connection:
        store_release(connection, record)
    with engine.connect() as connection:
        again = load_release(connection, record.id)
        index = earlier_cells(connection, "ap_census_2018")
        other = earlier_cells(connection, "school_census_2018")
    engine.dispose()
    assert again is not None
    assert again.released_cells == record.released_cells
    assert again.audit_proof == {"protected": True} and again.pupils == 25
    assert len(index) == 2 and len(other) == 0
    hit = index.first_hit(FrozenBitMap(range(11, 25)), 10)
    assert hit is not None and hit.difference == 1


def _tables_named(difference: object) -> list[str]:
    names = []
    for part in difference if isinstance(difference, tuple) else ():
        table = getattr(part, "table", None)
        name = getattr(part, "name", None)
        names += [getattr(table, "name", ""), name if isinstance(name, str) else ""]
    return names
