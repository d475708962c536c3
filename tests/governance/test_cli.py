"""``safepupil people`` and ``safepupil projects`` end to end on a deployment made by
``init``, on SQLite and PostgreSQL: the commands a custodian and approvers would type."""

from __future__ import annotations

import datetime as dt
import json
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safepupil.audit.log import read_entries
from safepupil.cli.main import app
from safepupil.cli.main import run as main_run
from safepupil.errors import ConfigError, PermissionDenied, QueryError, UserError
from safepupil.governance import service
from safepupil.store.deployment import init_deployment, load_deployment

runner = CliRunner()
TODAY = dt.date.today()
START, END = TODAY.isoformat(), (TODAY + dt.timedelta(days=200)).isoformat()


@pytest.fixture
def home(control_url: str, tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "home"
    url = None if control_url.startswith("sqlite") else control_url
    init_deployment(home, url, la_codes=["201"])
    yield home


def words(command: str) -> list[str]:
    return shlex.split(command)


def invoke(home: Path, *args: str) -> str:
    result = runner.invoke(app, [*args, "--home", str(home)])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def refused(home: Path, *args: str) -> BaseException:
    result = runner.invoke(app, [*args, "--home", str(home)])
    assert result.exit_code != 0 and result.exception is not None, result.output
    return result.exception


def add_people(home: Path) -> None:
    invoke(
        home,
        *words("people add 'Cara C' --email cara@dfe.example --role custodian"),
        "--organisation",
        "DfE",
    )
    for name in ("alex", "bo"):
        invoke(
            home,
            *words(f"people add {name} --email {name}@panel.example --role approver"),
            "--organisation",
            "Panel",
        )
    for name in ("rita", "sam"):
        invoke(
            home,
            *words(f"people add {name} --email {name}@uni.example --role researcher"),
            "--organisation",
            "Uni",
        )
        invoke(home, *words(f"people accredit {name}@uni.example --until {END}"))


def apply(home: Path, *extra: str, org_type: str = "academic") -> list[str]:
    return [
        "projects", "apply", "--title", "Return to school", "--purpose", "Who returns.",
        "--public-benefit", "Better placements.", "--legal-basis", "public-task",
        "--organisation", "Uni", "--org-type", org_type, "--dataset", "ap_census_2018",
        "--item", "sex", "--item", "placement_reason", "--start", START, "--end", END,
        "--applicant", "rita@uni.example", *extra,
    ]  # fmt: skip


def test_people_are_added_accredited_and_listed(home: Path) -> None:
    add_people(home)
    output = invoke(
        home, *words("people add Lee --email lee@la.example --role la-submitter --la 201")
    )
    assert "added person 6: Lee <lee@la.example> (la-submitter)" in output
    people = json.loads(invoke(home, "people", "list", "--json"))
    assert [p["email"] for p in people][-1] == "lee@la.example"
    assert people[-1]["organisation"] == "City of London" and people[-1]["la"] == "201"
    rita = next(p for p in people if p["email"] == "rita@uni.example")
    assert (rita["accreditation"], rita["accredited_until"]) == ("accredited", END)
    table = invoke(home, "people", "list")
    assert "cara@dfe.example" in table and "la-submitter 201" in table
    invoke(home, "people", "revoke-accreditation", "sam@uni.example")
    invoke(home, "people", "disable", "sam@uni.example")
    sam = json.loads(invoke(home, "people", "list", "--json"))[4]
    assert (sam["accreditation"], sam["active"]) == ("none", False)


MISTAKES: list[tuple[str, type[Exception], str]] = [
    ("people add X --email x@y.example --role reseacher", UserError, "did you mean researcher"),
    ("people add X --email x@y.example --role researcher", UserError, "give --organisation"),
    ("people add X --email rita@uni.example --role researcher --organisation U", UserError,
     "already has an account"),
    ("people add X --email x@y.example --role approver --organisation U --la 201", UserError,
     "only LA submitters"),
    (f"people accredit ghost@y.example --until {END}", UserError, "nobody has the address"),
    ("people accredit rita@uni.example --until tomorrow", UserError, "YYYY-MM-DD"),
    ("people token revoke 7", UserError, "no token 7"),
    ("projects show 9", UserError, "no project 9"),
    ("projects approve 9 --by alex@panel.example", UserError, "no project 9"),
]  # fmt: skip


def test_mistakes_are_refused_with_what_to_do(home: Path) -> None:
    add_people(home)
    for command, error, message in MISTAKES:
        exception = refused(home, *words(command))
        assert isinstance(exception, error) and message in str(exception), (command, exception)


def test_a_project_is_applied_for_approved_by_two_and_shown(home: Path) -> None:
    add_people(home)
    applied = invoke(home, *apply(home, "--member", "sam@uni.example"))
    assert "project 1 applied for: 2 items, 2 members" in applied
    approved_once = invoke(home, *words("projects approve 1 --by alex@panel.example"))
    assert "1 approval(s); status pending" in approved_once
    denied = refused(home, "projects", "approve", "1", "--by", "sam@uni.example")
    assert isinstance(denied, PermissionDenied) and "not-an-approver" in str(denied)
    assert "status approved" in invoke(home, "projects", "approve", "1", "--by", "bo@panel.example")
    shown = json.loads(invoke(home, "projects", "show", "1", "--json"))
    assert shown["status"] == "approved"
    assert shown["approved_by"] == ["alex@panel.example", "bo@panel.example"]
    assert shown["items"] == ["ap_census_2018.placement_reason", "ap_census_2018.sex"]
    assert shown["members"] == ["rita@uni.example", "sam@uni.example"]
    assert "Return to school" in invoke(home, "projects", "show", "1")
    listed = json.loads(invoke(home, "projects", "list", "--json"))
    assert [(p["id"], p["status"]) for p in listed] == [(1, "approved")]
    engine = load_deployment(home).control_engine()
    rita = service.find_person(engine, "rita@uni.example")
    grant = service.authorise_query(engine, rita.id, 1, {"sex"}, "ap_census_2018", TODAY)
    assert grant.allowed_items == {"sex", "placement_reason"}
    engine.dispose()


def test_a_refused_application_names_the_rule_and_exits_4(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    add_people(home)
    argv = ["safepupil", *apply(home, org_type="journalism"), "--home", str(home)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exited:
        main_run()
    assert exited.value.code == PermissionDenied.exit_code == 4
    printed = capsys.readouterr().err
    assert "access-policy: journalism projects may not use items of sensitivity" in printed
    assert "Traceback" not in printed
    unknown = refused(home, *apply(home), "--item", "placement_reasn")
    assert isinstance(unknown, QueryError) and "did you mean placement_reason" in str(unknown)


def test_an_application_is_rejected_with_a_reason(home: Path) -> None:
    add_people(home)
    invoke(home, *apply(home))
    invoke(home, "projects", "reject", "1", "--by", "alex@panel.example", "--reason", "No benefit.")
    shown = json.loads(invoke(home, "projects", "show", "1", "--json"))
    assert (shown["status"], shown["rejected_by"], shown["rejection_reason"]) == (
        "rejected",
        "alex@panel.example",
        "No benefit.",
    )


def test_a_token_is_printed_once_and_works_until_revoked(home: Path) -> None:
    add_people(home)
    command = words(f"people token create rita@uni.example --days 3 --home {home}")
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert len(secret) == 43 and "token 1 for rita@uni.example" in result.stderr
    engine = load_deployment(home).control_engine()
    assert service.authenticate_token(engine, secret).email == "rita@uni.example"
    assert "active" in invoke(home, "people", "token", "list", "rita@uni.example")
    assert "token 1 revoked" in invoke(home, "people", "token", "revoke", "1")
    with pytest.raises(PermissionDenied, match="token-revoked"):
        service.authenticate_token(engine, secret)
    assert secret not in json.dumps([dict(e.payload) for e in read_entries(engine, limit=100)])
    engine.dispose()


def test_a_password_is_set_from_a_hidden_prompt(home: Path) -> None:
    add_people(home)
    result = runner.invoke(
        app,
        ["people", "set-password", "rita@uni.example", "--home", str(home)],
        input="a long enough passphrase\na long enough passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "a long enough passphrase" not in result.output
    engine = load_deployment(home).control_engine()
    assert service.check_password(engine, "rita@uni.example", "a long enough passphrase")
    engine.dispose()


def test_commands_need_a_deployment(tmp_path: Path) -> None:
    result = runner.invoke(app, ["people", "list", "--home", str(tmp_path / "none")])
    assert isinstance(result.exception, ConfigError)
    assert "safepupil init --home" in str(result.exception)
