"""Revision 0009 indexes releases by their requester (My releases lists one person's),
on SQLite and PostgreSQL: the index is there at head, as the table in code declares it,
and a downgrade to 0008 removes it and nothing else."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from safepupil.controlplane.database import create_control_engine
from safepupil.controlplane.migrate import alembic_config, current_revision, upgrade_to_head
from safepupil.governance.tables import table_of
from safepupil.release.records import ReleaseRow
from tests.audit.conftest import control_url  # noqa: F401  (a fixture, used by name)
from tests.controlplane.conftest import postgres_url  # noqa: F401

INDEX = "ix_releases_person_id"


def release_indexes(engine: sa.Engine) -> dict[str, list[str]]:
    """The ``releases`` table's indexes in the database: name -> columns."""
    found = sa.inspect(engine).get_indexes("releases")
    return {str(index["name"]): list(index["column_names"]) for index in found}


def test_0009_indexes_releases_by_requester_and_downgrades(control_url: str) -> None:  # noqa: F811
    engine = create_control_engine(control_url)
    try:
        upgrade_to_head(engine)
        assert release_indexes(engine)[INDEX] == ["person_id"]
        declared = {str(index.name) for index in table_of(ReleaseRow).indexes}
        assert set(release_indexes(engine)) == declared  # the migrations and the code agree
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0008")
        assert current_revision(engine) == "0008"
        assert set(release_indexes(engine)) == declared - {INDEX}
        upgrade_to_head(engine)
        assert INDEX in release_indexes(engine)
    finally:
        engine.dispose()
