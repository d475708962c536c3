"""The demo's two projects: different organisations and purposes, each applied for by
one accredited researcher and approved by two approvers, neither of them the applicant."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from safepupil.governance import service
from safepupil.governance.projects import (
    LegalBasis,
    OrganisationType,
    Project,
    ProjectApplication,
    resolve_items,
)
from safepupil.store.catalogue import load_catalogue

AP = "ap_census_2018"
PROJECT_DAYS = 365


@dataclass(frozen=True)
class ProjectPlan:
    key: str
    applicant: str  # a DemoPeople key
    title: str
    purpose: str
    public_benefit: str
    legal_basis: LegalBasis
    organisation: str
    organisation_type: OrganisationType
    items: tuple[str, ...]


PROJECTS: tuple[ProjectPlan, ...] = (
    ProjectPlan(
        key="placements",
        applicant="researcher_1",
        title="Who is placed in alternative provision, and where",
        purpose="Describe AP placements by region, LA, sex and SEN provision.",
        public_benefit="Evidence for LAs planning AP places and reintegration support.",
        legal_basis=LegalBasis.PUBLIC_TASK,
        organisation="University of Leeds",
        organisation_type=OrganisationType.ACADEMIC,
        items=("la", "sex", "sen_provision", "ap_setting_type", "birth_year_month"),
    ),
    ProjectPlan(
        key="sen_support",
        applicant="researcher_2",
        title="Special educational needs among pupils in AP",
        purpose="Count pupils in AP with SEN support or an EHC plan, by sex and setting.",
        public_benefit="A charity's advice to parents of children with SEN moved to AP.",
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        organisation="Children's Education Trust",
        organisation_type=OrganisationType.CHARITY,
        items=("la", "sex", "sen_provision", "ap_setting_type"),
    ),
)


def approve_demo_projects(
    engine: Engine, people: dict[str, int], approvers: tuple[int, int]
) -> dict[str, Project]:
    """Apply for and approve every demo project; ``people`` maps a cast key to an id."""
    catalogue = load_catalogue()
    today = dt.date.today()
    made: dict[str, Project] = {}
    for plan in PROJECTS:
        application = ProjectApplication(
            title=plan.title,
            purpose=plan.purpose,
            public_benefit=plan.public_benefit,
            legal_basis=plan.legal_basis,
            organisation=plan.organisation,
            organisation_type=plan.organisation_type,
            items=resolve_items(catalogue, [AP], plan.items),
            start=today,
            end=today + dt.timedelta(days=PROJECT_DAYS),
        )
        project = service.apply_for_project(engine, application, people[plan.applicant])
        for approver in approvers:
            project = service.approve_project(engine, project.id, approver)
        made[plan.key] = project
    return made
