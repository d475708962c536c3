"""Revision 0009 indexes releases by their requester (My releases lists one person's),
and 0010 numbers each dataset's releases in the order they were released, on SQLite and
PostgreSQL: each index is there at head, as the table in code declares it; 0010 numbers
the releases already made, in the order they were made; a downgrade removes each
revision's part and nothing else."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa
from alembic import command

from safepupil.controlplane.database import create_control_engine
from safepupil.controlplane.migrate import alembic_config, current_revision, upgrade_to_head
from safepupil.governance.tables import table_of
from safepupil.release.records import RELEASED_SEQ_INDEX, ReleaseRow
from tests.audit.conftest import control_url  # noqa: F401  (a fixture, used by name)
from tests.controlplane.conftest import postgres_url  # noqa: F401
from tests.governance.support import add_cast
from tests.governance.test_authorise import approved_project

INDEX = "ix_releases_person_id"
AP, SCHOOL = "ap_census_2018", "school_census_2018"
# The releases table as revision 0009 left it: no number yet.
RELEASES_0009 = sa.table(
    "releases",
    *(sa.column(name) for name in ("id", "project_id", "person_id", "dataset", "query")),
    *(sa.column(name) for name in ("created_at", "pupils", "cells_released")),
    *(sa.column(name) for name in ("cells_suppressed", "status", "reasons")),
)


def release_indexes(engine: sa.Engine) -> dict[str, list[str]]:
    """The ``releases`` table's indexes in the database: name -> columns."""
    found = sa.inspect(engine).get_indexes("releases")
    return {str(index["name"]): list(index["column_names"]) for index in found}


def migrate(engine: sa.Engine, revision: str, *, down: bool = False) -> None:
    with engine.begin() as connection:
        step = command.downgrade if down else command.upgrade
        step(alembic_config(connection), revision)
    assert current_revision(engine) == revision


def test_0009_indexes_releases_by_requester_and_downgrades(control_url: str) -> None:  # noqa: F811
    engine = create_control_engine(control_url)
    try:
        upgrade_to_head(engine)
        assert release_indexes(engine)[INDEX] == ["person_id"]
        declared = {str(index.name) for index in table_of(ReleaseRow).indexes}
        assert set(release_indexes(engine)) == declared  # the migrations and the code agree
        migrate(engine, "0008", down=True)
        assert set(release_indexes(engine)) == declared - {INDEX, RELEASED_SEQ_INDEX}
        upgrade_to_head(engine)
        assert INDEX in release_indexes(engine)
    finally:
        engine.dispose()


def test_0010_numbers_releases_made_before_it_in_order_and_downgrades(
    control_url: str,  # noqa: F811
) -> None:
    engine = create_control_engine(control_url)
    try:
        migrate(engine, "0009")
        cast = add_cast(engine)
        project = approved_project(engine, cast).id
        day = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
        made = {  # name: (dataset, hours after the first, status)
            "ap_third": (AP, 5, "released"),
            "ap_first": (AP, 1, "released"),
            "ap_held": (AP, 2, "held"),
            "ap_second": (AP, 3, "released"),
            "ap_refused": (AP, 4, "refused"),
            "school_first": (SCHOOL, 0, "released"),
        }
        ids = {name: str(uuid.uuid4()) for name in made}
        with engine.begin() as connection:
            connection.execute(
                sa.insert(RELEASES_0009),
                [
                    {
                        "id": ids[name],
                        "project_id": project,
                        "person_id": cast.member.id,
                        "dataset": dataset,
                        "query": "{}",
                        "created_at": day + dt.timedelta(hours=hours),
                        "pupils": 0,
                        "cells_released": 0,
                        "cells_suppressed": 0,
                        "status": status,
                        "reasons": "[]",
                    }
                    for name, (dataset, hours, status) in made.items()
                ],
            )
        upgrade_to_head(engine)
        assert numbers(engine, ids) == {
            "ap_first": 1,
            "ap_second": 2,
            "ap_third": 3,
            "ap_held": None,
            "ap_refused": None,
            "school_first": 1,  # each dataset counts from 1
        }
        indexes = sa.inspect(engine).get_indexes("releases")
        (ours,) = [index for index in indexes if index["name"] == RELEASED_SEQ_INDEX]
        assert ours["column_names"] == ["dataset", "released_seq"] and ours["unique"]
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(  # a second release numbered 1 in the AP census
                sa.update(table_of(ReleaseRow))
                .where(table_of(ReleaseRow).c.id == ids["ap_second"])
                .values(released_seq=1)
            )
        migrate(engine, "0009", down=True)
        columns = {c["name"] for c in sa.inspect(engine).get_columns("releases")}
        assert "released_seq" not in columns and RELEASED_SEQ_INDEX not in release_indexes(engine)
        with engine.connect() as connection:
            assert (
                connection.execute(sa.select(sa.func.count()).select_from(RELEASES_0009)).scalar()
                == 6
            )
        upgrade_to_head(engine)
        assert numbers(engine, ids)["ap_third"] == 3
    finally:
        engine.dispose()


def numbers(engine: sa.Engine, ids: dict[str, str]) -> dict[str, int | None]:
    releases = table_of(ReleaseRow)
    with engine.connect() as connection:
        found = dict(connection.execute(sa.select(releases.c.id, releases.c.released_seq)).all())
    return {name: found[release_id] for name, release_id in ids.items()}
