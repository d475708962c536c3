"""Control-plane migrations run to head on SQLite and PostgreSQL, and match the schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

# Every table module, so Base.metadata holds the whole schema the migrations build.
import safepupil.audit.tables
import safepupil.governance.objections
import safepupil.governance.session_tables
import safepupil.governance.tables
import safepupil.release.records
import safepupil.release.review
import safepupil.transparency.corrections
import safepupil.transparency.portal_tables
import safepupil.transparency.tables  # noqa: F401
from safepupil.controlplane.database import create_control_engine, sqlite_url
from safepupil.controlplane.facts import read_facts, record_facts_once
from safepupil.controlplane.migrate import current_revision, head_revision, upgrade_to_head
from safepupil.controlplane.schema import Base
from safepupil.errors import ConfigError
from safepupil.store.deployment import init_deployment, load_deployment


def schema_differences(engine: sa.Engine) -> list[object]:
    with engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def check_migrates_to_head(url: str) -> None:
    engine = create_control_engine(url)
    try:
        assert current_revision(engine) is None
        first = upgrade_to_head(engine)
        assert (first.before, first.after, first.changed) == (None, head_revision(), True)
        again = upgrade_to_head(engine)
        assert not again.changed and again.after == head_revision()
        assert schema_differences(engine) == []  # migrations and schema.py agree
        assert set(sa.inspect(engine).get_table_names()) >= {"deployment_info", "alembic_version"}
    finally:
        engine.dispose()


def test_sqlite_migrates_to_head_and_matches_the_schema(tmp_path: Path) -> None:
    check_migrates_to_head(sqlite_url(tmp_path / "control.db"))


@pytest.mark.postgres
def test_postgresql_migrates_to_head_and_matches_the_schema(postgres_url: str) -> None:
    check_migrates_to_head(postgres_url)


def test_facts_are_recorded_once_and_never_changed(tmp_path: Path) -> None:
    engine = create_control_engine(sqlite_url(tmp_path / "control.db"))
    upgrade_to_head(engine)
    assert record_facts_once(engine, {"deployment_id": "a"}) == {"deployment_id": "a"}
    record_facts_once(engine, {"deployment_id": "b", "created_at": "now"})
    assert read_facts(engine) == {"deployment_id": "a", "created_at": "now"}
    engine.dispose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://root@localhost/db", "not supported"),
        ("postgresql+pg8000://postgres@localhost/db", "psycopg driver"),
        ("not a url", "cannot be read"),
    ],
)
def test_unsupported_urls_are_refused(url: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        create_control_engine(url)


@pytest.mark.postgres
def test_init_with_postgresql_keeps_the_url_and_is_idempotent(
    postgres_url: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    first = init_deployment(home, postgres_url, la_codes=["201"])
    assert not (home / "control.db").exists()
    deployment = load_deployment(home)
    assert deployment.database_url == postgres_url
    engine = deployment.control_engine()
    assert current_revision(engine) == head_revision()
    facts = read_facts(engine)
    engine.dispose()
    second = init_deployment(home)
    statuses = {step.what: step.status for step in second.steps}
    assert statuses["control-plane database"] == "exists"
    assert [s.what for s in first.steps] == [s.what for s in second.steps]
    engine = deployment.control_engine()
    assert read_facts(engine) == facts  # the deployment id is kept across reruns
    engine.dispose()
