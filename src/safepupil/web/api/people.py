"""People, for custodians: list, add, accredit, disable. The governance service checks
again that the actor is an active custodian (``not-a-custodian``) and records each change."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request

from safepupil.governance import service
from safepupil.governance.roles import Role
from safepupil.governance.tables import EMAIL_LENGTH, LA_CODE_LENGTH, NAME_LENGTH
from safepupil.web.context import service_of
from safepupil.web.guards import with_role
from safepupil.web.principal import Principal
from safepupil.web.views import person_view

GUARD = with_role(Role.CUSTODIAN)
router = APIRouter(prefix="/api/v1/people", tags=["people"])
PersonId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class PersonBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=NAME_LENGTH)
    email: str = Field(min_length=3, max_length=EMAIL_LENGTH)
    roles: list[Role] = Field(min_length=1, max_length=len(Role))
    organisation: str = Field(min_length=1, max_length=NAME_LENGTH)
    la_code: str | None = Field(
        default=None, min_length=LA_CODE_LENGTH, max_length=LA_CODE_LENGTH, pattern=r"^\d{3}$"
    )


class AccreditationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    until: dt.date = Field(description="the last day of accreditation, inclusive")


@router.get("", dependencies=[Depends(GUARD)], summary="Everyone with an account")
def list_people(request: Request) -> list[dict[str, Any]]:
    return [person_view(p) for p in service.list_people(service_of(request).control)]


@router.post("", dependencies=[Depends(GUARD)], status_code=201, summary="Add a person")
def add_person(
    request: Request, body: PersonBody, principal: Annotated[Principal, Depends(GUARD)]
) -> dict[str, Any]:
    person = service.add_person(
        service_of(request).control,
        name=body.name,
        email=body.email,
        roles=body.roles,
        organisation=body.organisation,
        la_code=body.la_code,
        actor_id=principal.person.id,
    )
    return person_view(person)


@router.post(
    "/{person_id}/accreditation", dependencies=[Depends(GUARD)], summary="Accredit until a day"
)
def accredit(
    request: Request,
    person_id: PersonId,
    body: AccreditationBody,
    principal: Annotated[Principal, Depends(GUARD)],
) -> dict[str, Any]:
    person = service.accredit(
        service_of(request).control, person_id, body.until, actor_id=principal.person.id
    )
    return person_view(person)


@router.post("/{person_id}/disable", dependencies=[Depends(GUARD)], summary="Disable")
def disable(
    request: Request, person_id: PersonId, principal: Annotated[Principal, Depends(GUARD)]
) -> dict[str, Any]:
    person = service.disable_person(
        service_of(request).control, person_id, actor_id=principal.person.id
    )
    return person_view(person)
