"""Revision 0002 upgrades a control plane made at 0001 (a deployment from before people,
projects and the audit log), on SQLite and PostgreSQL, and matches the tables in code.
Later revisions may follow it: these tests migrate to whatever the head is."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from typer.testing import CliRunner

import safepupil.audit.tables
import safepupil.governance.tables  # noqa: F401  (their tables join Base.metadata)
from safepupil.audit.log import read_chain_head
from safepupil.audit.tables import GENESIS_HASH
from safepupil.cli.main import app
from safepupil.controlplane.database import create_control_engine
from safepupil.controlplane.facts import read_facts, record_facts_once
from safepupil.controlplane.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    upgrade_to_head,
)
from safepupil.controlplane.schema import Base
from safepupil.store.deployment import init_deployment, load_deployment

NEW_TABLES = {
    "people", "person_roles", "api_tokens", "projects", "project_items", "project_members",
    "project_decisions", "audit_log", "audit_chain_head",
}  # fmt: skip


def table_named_in(difference: object) -> str | None:
    """The table an Alembic comparison result is about."""
    if isinstance(difference, list):  # a group of column modifications
        return table_named_in(difference[0])
    assert isinstance(difference, tuple)
    subject = difference[1]
    if isinstance(subject, sa.Table):
        return subject.name
    table = getattr(subject, "table", None)  # an index or a constraint
    if isinstance(table, sa.Table):
        return table.name
    return str(difference[2])  # column operations: (op, schema, table, ...)


def migrate_to(engine: sa.Engine, revision: str, *, down: bool = False) -> None:
    with engine.begin() as connection:
        (command.downgrade if down else command.upgrade)(alembic_config(connection), revision)


def test_0001_upgrades_to_head_keeping_what_was_there(control_url: str) -> None:
    engine = create_control_engine(control_url)
    migrate_to(engine, "0001")
    record_facts_once(engine, {"deployment_id": "d-1"})
    assert not NEW_TABLES & set(sa.inspect(engine).get_table_names())
    result = upgrade_to_head(engine)
    assert (result.before, result.after) == ("0001", head_revision())
    assert read_facts(engine) == {"deployment_id": "d-1"}
    assert set(sa.inspect(engine).get_table_names()) >= NEW_TABLES
    head = read_chain_head(engine)
    assert (head.seq, head.hash) == (0, GENESIS_HASH)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    # Revision 0002 and the tables in code agree (other packages' tables are theirs to check).
    assert [d for d in differences if table_named_in(d) in NEW_TABLES] == []
    engine.dispose()


def test_0002_downgrades_and_upgrades_again(control_url: str) -> None:
    engine = create_control_engine(control_url)
    upgrade_to_head(engine)
    migrate_to(engine, "0001", down=True)
    assert current_revision(engine) == "0001"
    assert not NEW_TABLES & set(sa.inspect(engine).get_table_names())
    assert upgrade_to_head(engine).after == head_revision()
    engine.dispose()


def test_init_migrates_a_deployment_made_before_governance(
    control_url: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    url = None if control_url.startswith("sqlite") else control_url
    init_deployment(home, url, la_codes=["201"])
    engine = load_deployment(home).control_engine()
    migrate_to(engine, "0001", down=True)  # as a deployment made by the first release was
    facts = read_facts(engine)
    report = init_deployment(home)
    status = {step.what: step.status for step in report.steps}["control-plane database"]
    assert status == "migrated" and current_revision(engine) == head_revision()
    assert read_facts(engine) == facts
    engine.dispose()
    runner = CliRunner()
    added = runner.invoke(
        app,
        ["people", "add", "Ann", "--email", "ann@x.example", "--role", "custodian",
         "--organisation", "X", "--home", str(home)],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    verified = runner.invoke(app, ["audit", "verify", "--home", str(home)])
    assert verified.exit_code == 0 and "intact: 1 entries" in verified.stdout
