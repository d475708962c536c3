"""The researcher's CLI route to the real store: a token, a project, a protected table."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from safepupil.cli.main import app
from safepupil.governance import service
from tests.release.conftest import Setting

QUERY = "SELECT la, sex, COUNT(*) FROM ap_census_2018 GROUP BY la, sex\n"


def _token(setting: Setting, person_id: int) -> str:
    engine = setting.deployment.control_engine()
    try:
        return service.create_token(engine, person_id).secret
    finally:
        engine.dispose()


def _run(setting: Setting, tmp_path: Path, *extra: str, token: str | None = None) -> object:
    query = tmp_path / "q.sql"
    query.write_text(QUERY, "utf-8")
    env = {"SAFEPUPIL_TOKEN": token} if token else {}
    home = str(setting.deployment.home)
    return CliRunner().invoke(app, ["query", "run", str(query), "--home", home, *extra], env=env)


def test_a_member_gets_a_protected_table_and_its_export(setting: Setting, tmp_path: Path) -> None:
    token = _token(setting, setting.person_id)
    out = tmp_path / "table.csv"
    result = _run(setting, tmp_path, "--project", str(setting.project_id), "--output", str(out),
                  token=token)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "SHA-256 of the table" in result.output and "Pupils involved" in result.output
    rows = list(csv.reader(out.open()))
    shown = {value for row in rows[1:] for value in row[2:]}
    # Every shown count is a multiple of the rounding base, or a symbol.
    assert all(v in {"c", "low", "x", "z"} or int(v) % 5 == 0 for v in shown)


def test_it_says_which_stage_it_is_in_on_stderr(setting: Setting, tmp_path: Path) -> None:
    result = _run(setting, tmp_path, "--project", str(setting.project_id), "--json",
                  token=_token(setting, setting.person_id))  # fmt: skip
    assert result.exit_code == 0, result.output
    stages = [line[2:] for line in result.stderr.splitlines() if line.startswith("- ")]
    expected = ["checking", "running the query", "applying the disclosure rules",
                "choosing complementary", "proving the pattern", "recording"]  # fmt: skip
    assert len(stages) == len(expected), stages
    assert all(stage.startswith(e) for stage, e in zip(stages, expected, strict=True)), stages
    # The table itself is on stdout alone, so --json output stays parseable.
    assert json.loads(result.stdout)["release_id"]


def test_without_a_token_or_project_it_refuses_and_says_what_to_do(
    setting: Setting, tmp_path: Path
) -> None:
    no_token = _run(setting, tmp_path, "--project", str(setting.project_id))
    assert no_token.exit_code != 0 and "token" in str(no_token.exception or no_token.output)
    no_project = _run(setting, tmp_path, token=_token(setting, setting.person_id))
    assert no_project.exit_code != 0
    assert "--project" in str(no_project.exception or no_project.output)


def test_a_non_member_is_refused_with_the_rule(setting: Setting, tmp_path: Path) -> None:
    token = _token(setting, setting.other_person_id)
    result = _run(setting, tmp_path, "--project", str(setting.project_id), token=token)
    assert result.exit_code != 0
    assert "member" in str(result.exception)
