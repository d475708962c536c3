"""The public register: built from the control plane, and in step with the audit log."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from pyroaring import FrozenBitMap
from typer.testing import CliRunner

from safepupil.audit.log import read_entries
from safepupil.cli.main import app
from safepupil.governance import service
from safepupil.release.records import REFUSED
from safepupil.transparency.register import build_register, project_phase
from tests.governance.support import an_application
from tests.transparency.conftest import World, store_with_event

DAY = dt.date(2027, 3, 1)


@pytest.mark.parametrize(
    ("start", "end", "phase"),
    [
        (DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=9), "approved"),
        (DAY, DAY + dt.timedelta(days=9), "active"),  # first day
        (DAY - dt.timedelta(days=9), DAY, "active"),  # last day, inclusive
        (DAY - dt.timedelta(days=9), DAY - dt.timedelta(days=1), "ended"),
    ],
)
def test_project_phases(start: dt.date, end: dt.date, phase: str) -> None:
    assert project_phase(start, end, DAY) == phase


def test_the_register_matches_the_audit_log_release_by_release(world: World) -> None:
    ids = world.other_pupil_ids
    store_with_event(
        world.deployment, world.project_id, world.cast.applicant.id,
        (FrozenBitMap(ids[:50]), FrozenBitMap(ids[50:75])),
    )  # fmt: skip
    store_with_event(
        world.deployment, world.project_id, world.cast.applicant.id, (), status=REFUSED
    )
    engine = world.deployment.control_engine()
    register = build_register(engine)
    made = read_entries(engine, kind="release_made", limit=10_000)
    refused = read_entries(engine, kind="release_refused", limit=10_000)
    engine.dispose()
    from_log = {str(e.payload["release_id"]): e.pupils for e in made}
    from_register = {r.id: r.pupils for r in register.releases}
    assert from_register == from_log  # each way round, with the same pupil counts
    assert 75 in from_register.values()
    assert register.refused_releases == len(refused) >= 1
    project = register.project(world.project_id)
    assert project is not None
    assert project.refused_releases == len([e for e in refused if e.project_id == project.id])
    assert project.status == "active" and project.legal_basis == "public-task"


def test_pending_applications_are_not_listed(world: World) -> None:
    engine = world.deployment.control_engine()
    pending = service.apply_for_project(engine, an_application(), world.cast.member.id)
    register = build_register(engine)
    engine.dispose()
    assert register.project(pending.id) is None
    assert register.project(world.project_id) is not None


def test_export_writes_json_and_csvs_that_agree(world: World, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["register", "export", "--home", str(world.deployment.home), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "register.json").read_text("utf-8"))
    with (tmp_path / "releases.csv").open(encoding="utf-8") as stream:
        releases = list(csv.DictReader(stream))
    with (tmp_path / "projects.csv").open(encoding="utf-8") as stream:
        projects = list(csv.DictReader(stream))
    assert [r["id"] for r in releases] == [r["id"] for r in document["releases"]]
    assert [int(r["pupils"]) for r in releases] == [r["pupils"] for r in document["releases"]]
    assert {int(p["id"]) for p in projects} == {p["id"] for p in document["projects"]}
    assert "ap_census_2018.placement_reason" in projects[0]["items"]
    assert (tmp_path / "register.json").stat().st_mode & 0o777 == 0o644
