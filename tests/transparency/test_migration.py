"""Revision 0005 matches the transparency tables in code, downgrades and upgrades again."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

# Every module that puts a table on Base.metadata, so that a later revision's table (the
# portal's sessions refer to access codes) is not reported missing when this runs alone.
import safepupil.transparency.portal_tables
import safepupil.transparency.tables  # noqa: F401
from safepupil.controlplane.database import create_control_engine, sqlite_url
from safepupil.controlplane.migrate import alembic_config, upgrade_to_head
from safepupil.controlplane.schema import Base

OURS = {"access_codes", "release_pupil_sets"}


def test_0005_matches_the_tables_and_downgrades(tmp_path: Path) -> None:
    engine = create_control_engine(sqlite_url(tmp_path / "control.db"))
    upgrade_to_head(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in differences if any(name in repr(d) for name in OURS)] == []
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0004")
    assert not OURS & set(sa.inspect(engine).get_table_names())
    upgrade_to_head(engine)
    assert set(sa.inspect(engine).get_table_names()) >= OURS
    engine.dispose()
