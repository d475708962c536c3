"""A small real deployment for the pupils' rights tests: the demo flow once per session,
copied for each module, with a cast (custodian, two LA submitters of different LAs,
researchers with an approved project) and a pupil known to be in the store."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from safepupil.demo.flow import run_demo
from safepupil.governance import service
from safepupil.governance.people import Person
from safepupil.governance.roles import Role
from safepupil.store.deployment import Deployment, load_deployment, open_store
from safepupil.synth.spec import SynthSpec
from tests.governance.support import Cast, add_cast
from tests.release.conftest import approved

AP = "ap_census_2018"
_BUILT: dict[str, Path] = {}


@dataclass(frozen=True)
class Pupil:
    token: str
    pupil_id: int
    la: str
    sex: str


@dataclass(frozen=True)
class Rights:
    deployment: Deployment
    cast: Cast
    la_staff: Person  # LA submitter of the pupil's LA
    other_la_staff: Person  # LA submitter of another LA
    project_id: int
    pupil: Pupil


def _built_home(factory: pytest.TempPathFactory) -> Path:
    if "home" not in _BUILT:
        root = factory.mktemp("rights") / "demo"
        demo = run_demo(root, SynthSpec(pupils=1200, school_pupils=400))
        _BUILT["home"] = demo.deployment.home
    return _BUILT["home"]


def rights_setting(factory: pytest.TempPathFactory, name: str) -> Rights:
    """A fresh copy of the session's deployment, with people and a project added."""
    home = factory.mktemp(name) / "home"
    shutil.copytree(_built_home(factory), home)
    deployment = load_deployment(home)
    pupil = _a_pupil(deployment)
    engine = deployment.control_engine()
    cast = add_cast(engine)
    other = "202" if pupil.la != "202" else "201"
    la_staff = _submitter(engine, "la.staff", pupil.la)
    other_staff = _submitter(engine, "other.la", other)
    engine.dispose()
    project_id = approved(deployment, cast.applicant.id, (cast.approver_1.id, cast.approver_2.id))
    return Rights(deployment, cast, la_staff, other_staff, project_id, pupil)


def _submitter(engine: object, name: str, la: str) -> Person:
    return service.add_person(
        engine,  # type: ignore[arg-type]
        name=name.replace(".", " ").title(),
        email=f"{name}@la{la}.example",
        roles=[Role.LA_SUBMITTER],
        organisation=f"LA {la}",
        la_code=la,
    )


def _a_pupil(deployment: Deployment) -> Pupil:
    """A girl with exactly one record, in the LA with the most records (cells stay large)."""
    with open_store(deployment, read_only=True) as store:
        row = store.execute(
            "WITH big AS (SELECT la FROM ap_census_2018 GROUP BY la ORDER BY count(*) DESC, la "
            "LIMIT 1), once AS (SELECT pupil_id FROM ap_census_2018 GROUP BY pupil_id "
            "HAVING count(*) = 1) "
            "SELECT p.pupil_token, r.pupil_id, r.la, r.sex FROM ap_census_2018 r "
            "JOIN pupils p USING (pupil_id) WHERE r.la IN (FROM big) AND r.sex = 'F' "
            "AND r.pupil_id IN (FROM once) ORDER BY r.pupil_id LIMIT 1"
        ).fetchone()
    assert row is not None
    return Pupil(token=row[0], pupil_id=int(row[1]), la=row[2], sex=row[3])


def view_value(deployment: Deployment, pupil: Pupil, item: str) -> object:
    with open_store(deployment, read_only=True) as store:
        row = store.execute(
            f'SELECT "{item}" FROM ap_census_2018 WHERE pupil_id = ? AND la = ?',
            [pupil.pupil_id, pupil.la],
        ).fetchone()
    assert row is not None
    return row[0]
