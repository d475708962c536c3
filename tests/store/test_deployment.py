"""``safepupil init``: the deployment's layout, secrets kept apart, safe reruns, clear errors."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safepupil.cli.main import app
from safepupil.collection.keys.create import init_keys
from safepupil.collection.keys.layout import KeyLayout
from safepupil.controlplane.facts import read_facts
from safepupil.controlplane.migrate import head_revision
from safepupil.errors import ConfigError
from safepupil.store.deployment import (
    CREATED,
    EXISTS,
    DeploymentPaths,
    init_deployment,
    load_deployment,
    open_store,
)
from tests.store.test_intake_support import snapshot

FEW_LAS = ("201", "202")  # enough LA keys for these tests, quicker than all 152
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def every_file(home: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(home)): p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file()
    }


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    init_deployment(home, la_codes=FEW_LAS)
    return home


def test_init_lays_out_the_store_its_key_and_the_control_plane(home: Path) -> None:
    paths = DeploymentPaths(home)
    for path in (paths.store_database, paths.store_key, paths.config_file, home / "control.db"):
        assert path.is_file(), path
    assert paths.keys.national_box_key.is_file() and paths.keys.la_registry.is_file()
    assert mode(paths.store_key) == 0o600 and mode(paths.store_key.parent) == 0o700
    assert mode(paths.store_folder) == 0o700 and mode(home) == 0o700
    assert paths.store_key.parent != paths.store_database.parent  # the key is kept apart
    deployment = load_deployment(home)
    assert deployment.database_url == "sqlite:///control.db"
    assert read_facts(deployment.control_engine()).keys() >= {"deployment_id", "created_at"}


def test_deployment_toml_records_no_secret(home: Path) -> None:
    text = DeploymentPaths(home).config_file.read_text()
    secrets = [p.read_text().strip() for p in (home / "keys").rglob("*.key")]
    assert secrets and not any(secret in text for secret in secrets)


def test_rerunning_init_changes_no_key_or_data_and_says_what_exists(home: Path) -> None:
    keys, store = every_file(home / "keys"), snapshot(load_deployment(home))
    report = init_deployment(home)
    assert every_file(home / "keys") == keys
    assert snapshot(load_deployment(home)) == store
    assert {step.status for step in report.steps} == {EXISTS}


def test_init_completes_a_home_that_already_had_keys(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init_keys(KeyLayout(home), FEW_LAS)
    keys_before = every_file(home / "keys")
    report = init_deployment(home)
    statuses = {step.what: step.status for step in report.steps}
    assert statuses["national keys"] == EXISTS and statuses["pupil store (encrypted)"] == CREATED
    assert {k: v for k, v in every_file(home / "keys").items() if "store" not in k} == keys_before


def test_a_store_whose_key_is_lost_is_never_given_a_new_one(home: Path) -> None:
    DeploymentPaths(home).store_key.unlink()
    with pytest.raises(ConfigError, match="its key is missing"):
        init_deployment(home)
    assert not DeploymentPaths(home).store_key.exists()


def test_an_unreachable_database_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with pytest.raises(ConfigError, match="cannot connect to the control-plane database"):
        init_deployment(home, UNREACHABLE, la_codes=FEW_LAS)
    assert list(home.iterdir()) == []


def test_a_database_url_with_a_password_is_refused(tmp_path: Path) -> None:
    url = "postgresql+psycopg://postgres:hunter2@127.0.0.1/test"
    with pytest.raises(ConfigError, match="carries a password") as raised:
        init_deployment(tmp_path / "home", url)
    assert "hunter2" not in str(raised.value)


def test_a_rerun_cannot_move_the_deployment_to_another_database(home: Path) -> None:
    with pytest.raises(ConfigError, match="already uses"):
        init_deployment(home, "sqlite:///elsewhere.db")


def test_a_folder_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match="cannot create the deployment folder"):
        init_deployment(blocker / "home")


def test_a_home_without_a_deployment_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no safepupil deployment here") as raised:
        load_deployment(tmp_path)
    assert "safepupil init" in raised.value.hint


def test_the_store_opens_with_the_deployment_alone(home: Path) -> None:
    with open_store(load_deployment(home), read_only=True) as store:
        tables = {row[0] for row in store.execute("SHOW TABLES").fetchall()}
    assert {"pupils", "submissions", "statistics_only_aggregates"} <= tables


def test_cli_init_reads_home_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "from-env"
    monkeypatch.setenv("SAFEPUPIL_HOME", str(home))
    result = CliRunner().invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert "created" in result.output and load_deployment(home).home == home
    again = CliRunner().invoke(app, ["init"])
    assert again.exit_code == 0 and "created" not in again.output
    assert head_revision() in again.output
