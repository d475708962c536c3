"""``safepupil audit verify`` and ``audit list`` on a deployment made by ``init``, on SQLite
and PostgreSQL: the head is printed to publish, tampering exits 3 naming the entry."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from typer.testing import CliRunner

from safepupil.audit.events import KeyUsed, ReleaseMade, TokenUsed
from safepupil.audit.log import record
from safepupil.cli.main import app
from safepupil.cli.main import run as main_run
from safepupil.controlplane.migrate import alembic_config
from safepupil.errors import ConfigError, IntegrityError, UserError
from safepupil.store.deployment import init_deployment, load_deployment
from tests.audit.test_verify import attack, sql

runner = CliRunner()


@pytest.fixture
def home(control_url: str, tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "home"
    init_deployment(
        home, None if control_url.startswith("sqlite") else control_url, la_codes=["201"]
    )
    engine = load_deployment(home).control_engine()
    record(engine, KeyUsed(key_id="ab12", purpose="open submission"))
    record(
        engine,
        ReleaseMade(
            actor_id=3, project_id=1, release_id="r1", query_id="q1", cells=8, pupils=4_210
        ),
    )
    record(engine, TokenUsed(actor_id=3, token_id=1))
    engine.dispose()
    yield home


def engine_of(home: Path) -> sa.Engine:
    return load_deployment(home).control_engine()


def test_verify_prints_the_head_to_publish(home: Path) -> None:
    result = runner.invoke(app, ["audit", "verify", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert "intact: 3 entries" in result.stdout
    head = result.stdout.splitlines()[-1]  # alone on the last line, to copy
    assert head.startswith("3:") and len(head) == 2 + 64
    again = runner.invoke(app, ["audit", "verify", "--published", head, "--home", str(home)])
    assert again.exit_code == 0 and "1 published head(s) found in it" in again.stdout


def test_verify_exits_3_naming_the_first_entry_that_fails(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = engine_of(home)
    attack(engine, sql("UPDATE audit_log SET pupils = 42 WHERE seq = 2"))
    engine.dispose()
    monkeypatch.setattr(sys, "argv", ["safepupil", "audit", "verify", "--home", str(home)])
    with pytest.raises(SystemExit) as exited:
        main_run()
    assert exited.value.code == IntegrityError.exit_code == 3
    printed = capsys.readouterr()
    assert "broken: entries 1..1 verify" in printed.out
    assert "fails at entry 2: entry 2 was edited" in printed.err
    assert "Traceback" not in printed.err


def test_a_published_head_must_be_well_formed(home: Path) -> None:
    result = runner.invoke(app, ["audit", "verify", "--published", "3:xyz", "--home", str(home)])
    assert isinstance(result.exception, UserError) and "SEQ:HASH" in str(result.exception)


def test_list_shows_ids_and_counts_filtered_by_kind(home: Path) -> None:
    result = runner.invoke(app, ["audit", "list", "--json", "--home", str(home)])
    assert result.exit_code == 0, result.output
    entries = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert entries[1]["pupils"] == 4_210 and entries[1]["payload"]["cells"] == 8
    only = runner.invoke(app, ["audit", "list", "--kind", "token_used", "--home", str(home)])
    assert only.exit_code == 0 and "token_used" in only.stdout and "key_used" not in only.stdout
    assert "4210" not in only.stdout
    table = runner.invoke(app, ["audit", "list", "--limit", "1", "--home", str(home)])
    assert "token_used" in table.stdout and "release_made" not in table.stdout
    bad = runner.invoke(app, ["audit", "list", "--kind", "relase_made", "--home", str(home)])
    assert isinstance(bad.exception, UserError) and "release_made" in str(bad.exception.hint)


def test_a_control_plane_not_yet_migrated_is_named(home: Path) -> None:
    engine = engine_of(home)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0001")
    engine.dispose()
    result = runner.invoke(app, ["audit", "verify", "--home", str(home)])
    assert isinstance(result.exception, ConfigError)
    assert "at revision 0001" in str(result.exception)
    assert f"safepupil init --home {home}" in str(result.exception)
