"""A small real deployment (the demo flow) with an approved project, shared by a module."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from safepupil.demo.flow import run_demo
from safepupil.governance import service
from safepupil.governance.projects import (
    LegalBasis,
    OrganisationType,
    ProjectApplication,
    resolve_items,
)
from safepupil.store.catalogue import load_catalogue
from safepupil.store.deployment import Deployment
from safepupil.synth.spec import SynthSpec
from tests.governance.support import TODAY, add_cast

AP, SCHOOL = "ap_census_2018", "school_census_2018"
ITEMS = (
    f"{AP}.la", f"{AP}.sex", f"{AP}.placement_reason", f"{AP}.sen_provision",
    f"{SCHOOL}.la", f"{SCHOOL}.sex", f"{SCHOOL}.fsm", f"{SCHOOL}.sessions_absent",
    f"{SCHOOL}.year_group", f"{SCHOOL}.birth_year_month",
)  # fmt: skip


@dataclass(frozen=True)
class Setting:
    deployment: Deployment
    project_id: int
    person_id: int  # a member of the project
    other_project_id: int
    other_person_id: int


def approved(deployment: Deployment, applicant: int, approvers: tuple[int, int]) -> int:
    engine = deployment.control_engine()
    application = ProjectApplication(
        title="Absence and alternative provision",
        purpose="Describe absence and AP placements by local authority.",
        public_benefit="Better placement decisions by local authorities.",
        legal_basis=LegalBasis.PUBLIC_TASK,
        organisation="University of Somewhere",
        organisation_type=OrganisationType.ACADEMIC,
        items=resolve_items(load_catalogue(), [], ITEMS),
        start=TODAY,
        end=TODAY + dt.timedelta(days=180),
    )
    project = service.apply_for_project(engine, application, applicant, [])
    for approver in approvers:
        service.approve_project(engine, project.id, approver)
    engine.dispose()
    return project.id


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory) -> Setting:
    root: Path = tmp_path_factory.mktemp("release") / "demo"
    demo = run_demo(root, SynthSpec(pupils=1500, school_pupils=5000))
    engine = demo.deployment.control_engine()
    cast = add_cast(engine)
    engine.dispose()
    approvers = (cast.approver_1.id, cast.approver_2.id)
    first = approved(demo.deployment, cast.applicant.id, approvers)
    second = approved(demo.deployment, cast.member.id, approvers)
    return Setting(demo.deployment, first, cast.applicant.id, second, cast.member.id)
