"""Projects: apply, list and read, and the approvers' decisions.

Who sees what is governance's rule (``governance.visibility``): a researcher sees the
projects they are a member of; approvers and custodians see every project. The
two-person rule and the access policy are checked by the governance service, whose
refusals (naming their rule) come back as 403.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request

from safepupil.governance import service
from safepupil.governance.projects import (
    MAX_ITEMS,
    MAX_STATEMENT_CHARS,
    LegalBasis,
    OrganisationType,
    ProjectApplication,
    resolve_items,
)
from safepupil.governance.roles import Role
from safepupil.governance.tables import EMAIL_LENGTH, IDENTIFIER_LENGTH, NAME_LENGTH
from safepupil.governance.visibility import check_may_see_project, visible_projects
from safepupil.store.catalogue import load_catalogue
from safepupil.web.context import service_of
from safepupil.web.guards import signed_in, with_role
from safepupil.web.principal import Principal
from safepupil.web.views import project_view

READER = signed_in
APPLICANT = with_role(Role.RESEARCHER)
APPROVER = with_role(Role.APPROVER)
MAX_MEMBERS = 50


router = APIRouter(prefix="/api/v1/projects", tags=["projects"])
ProjectId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class ApplicationBody(BaseModel):
    """A project application, as ``safepupil projects apply`` takes it. An item is
    ``ITEM`` (in every dataset given) or ``DATASET.ITEM``; members by address."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=NAME_LENGTH)
    purpose: str = Field(min_length=1, max_length=MAX_STATEMENT_CHARS)
    public_benefit: str = Field(min_length=1, max_length=MAX_STATEMENT_CHARS)
    legal_basis: LegalBasis
    organisation: str = Field(min_length=1, max_length=NAME_LENGTH)
    organisation_type: OrganisationType
    datasets: list[Annotated[str, Field(max_length=IDENTIFIER_LENGTH)]] = Field(
        default=[], max_length=20
    )
    items: list[Annotated[str, Field(min_length=1, max_length=2 * IDENTIFIER_LENGTH + 1)]] = Field(
        min_length=1, max_length=MAX_ITEMS
    )
    start: dt.date
    end: dt.date
    members: list[Annotated[str, Field(max_length=EMAIL_LENGTH)]] = Field(
        default=[], max_length=MAX_MEMBERS
    )

    def to_application(self) -> ProjectApplication:
        return ProjectApplication(
            title=self.title,
            purpose=self.purpose,
            public_benefit=self.public_benefit,
            legal_basis=self.legal_basis,
            organisation=self.organisation,
            organisation_type=self.organisation_type,
            items=resolve_items(load_catalogue(), self.datasets, self.items),
            start=self.start,
            end=self.end,
        )


class RejectionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=MAX_STATEMENT_CHARS)


@router.get("", dependencies=[Depends(READER)], summary="The projects you may see")
def list_projects(
    request: Request, principal: Annotated[Principal, Depends(READER)]
) -> list[dict[str, Any]]:
    projects = service.list_projects(service_of(request).control)
    return [project_view(p) for p in visible_projects(principal.person, projects)]


@router.post("", dependencies=[Depends(APPLICANT)], status_code=201, summary="Apply")
def apply(
    request: Request, body: ApplicationBody, principal: Annotated[Principal, Depends(APPLICANT)]
) -> dict[str, Any]:
    engine = service_of(request).control
    members = [service.find_person(engine, email).id for email in body.members]
    project = service.apply_for_project(engine, body.to_application(), principal.person.id, members)
    return project_view(project)


@router.get("/{project_id}", dependencies=[Depends(READER)], summary="One project")
def get_project(
    request: Request, project_id: ProjectId, principal: Annotated[Principal, Depends(READER)]
) -> dict[str, Any]:
    project = service.get_project(service_of(request).control, project_id)
    check_may_see_project(principal.person, project)
    return project_view(project)


@router.post(
    "/{project_id}/approve", dependencies=[Depends(APPROVER)], summary="Approve (approvers)"
)
def approve(
    request: Request, project_id: ProjectId, principal: Annotated[Principal, Depends(APPROVER)]
) -> dict[str, Any]:
    project = service.approve_project(service_of(request).control, project_id, principal.person.id)
    return project_view(project)


@router.post("/{project_id}/reject", dependencies=[Depends(APPROVER)], summary="Reject (approvers)")
def reject(
    request: Request,
    project_id: ProjectId,
    body: RejectionBody,
    principal: Annotated[Principal, Depends(APPROVER)],
) -> dict[str, Any]:
    project = service.reject_project(
        service_of(request).control, project_id, principal.person.id, body.reason
    )
    return project_view(project)
