"""The custodians' and approvers' pages: project applications waiting for a decision
(approve or reject, for approvers) and the people of the service with their roles and
accreditation (add, accredit, disable, for custodians). The governance service refuses
what a person may not do (an approver deciding on their own project, a second decision,
anyone but a custodian managing people); the page shows its message."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from safepupil.errors import UserError
from safepupil.governance import service as governance
from safepupil.governance.people import Person
from safepupil.governance.projects import MAX_STATEMENT_CHARS, ProjectStatus
from safepupil.governance.roles import ROLE_NAMES, Role, parse_role
from safepupil.governance.tables import EMAIL_LENGTH, NAME_LENGTH
from safepupil.web.context import service_of
from safepupil.web.guards import with_role
from safepupil.web.pages.problems import problem_of
from safepupil.web.principal import Principal
from safepupil.web.templating import JSON_SUFFIX, page
from safepupil.web.views import person_view, project_view

GUARD = with_role(Role.CUSTODIAN, Role.APPROVER)
PEOPLE_GUARD = with_role(Role.CUSTODIAN)
router = APIRouter(dependencies=[Depends(GUARD)], include_in_schema=False)
people_router = APIRouter(dependencies=[Depends(PEOPLE_GUARD)], include_in_schema=False)
Deciding = Annotated[Principal, Depends(GUARD)]
Custodian = Annotated[Principal, Depends(PEOPLE_GUARD)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]

# What a finished action says after its redirect: fixed words, never text from the request.
DONE = {
    "approved": "Your approval of project {id} is recorded.",
    "rejected": "Project {id} is rejected; the applicant can read your reason.",
    "added": "Person {id} is added.",
    "accredited": "Person {id}'s accreditation is recorded.",
    "disabled": "Person {id} is disabled: they can no longer sign in or use data.",
}


@router.get("/custodian")
@router.get("/custodian.json")
async def overview(request: Request, principal: Deciding, done: str = "", id: int = 0) -> Response:
    control = service_of(request).control
    data = await run_in_threadpool(custodian_page, control, principal.person)
    if done in DONE and id > 0:
        data["done"] = DONE[done].format(id=id)
    return page(request, "custodian.html", data, twin="/custodian.json")


@router.post("/custodian/projects/{project_id}/approve")
@router.post("/custodian/projects/{project_id}/approve.json")
async def approve(request: Request, project_id: Id, principal: Deciding) -> Response:
    control = service_of(request).control
    return await _act(
        request,
        principal,
        lambda: project_view(governance.approve_project(control, project_id, principal.person.id)),
        "approved",
        project_id,
    )


@router.post("/custodian/projects/{project_id}/reject")
@router.post("/custodian/projects/{project_id}/reject.json")
async def reject(
    request: Request,
    project_id: Id,
    principal: Deciding,
    reason: Annotated[str, Form(max_length=MAX_STATEMENT_CHARS)] = "",
) -> Response:
    control = service_of(request).control
    person_id = principal.person.id
    return await _act(
        request,
        principal,
        lambda: project_view(governance.reject_project(control, project_id, person_id, reason)),
        "rejected",
        project_id,
    )


@people_router.post("/custodian/people")
@people_router.post("/custodian/people.json")
async def add_person(
    request: Request,
    principal: Custodian,
    name: Annotated[str, Form(max_length=NAME_LENGTH)] = "",
    email: Annotated[str, Form(max_length=EMAIL_LENGTH)] = "",
    organisation: Annotated[str, Form(max_length=NAME_LENGTH)] = "",
    la_code: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    control = service_of(request).control
    fields = await request.form()
    roles = [r for r in fields.getlist("role") if isinstance(r, str)]

    def add() -> dict[str, Any]:
        person = governance.add_person(
            control,
            name=name,
            email=email,
            roles=[parse_role(r) for r in roles],
            organisation=organisation,
            la_code=la_code.strip() or None,
            actor_id=principal.person.id,
        )
        return person_view(person)

    return await _act(request, principal, add, "added", None)


@people_router.post("/custodian/people/{person_id}/accredit")
@people_router.post("/custodian/people/{person_id}/accredit.json")
async def accredit(
    request: Request,
    person_id: Id,
    principal: Custodian,
    until: Annotated[dt.date, Form()],
) -> Response:
    control = service_of(request).control
    actor = principal.person.id
    return await _act(
        request,
        principal,
        lambda: person_view(governance.accredit(control, person_id, until, actor_id=actor)),
        "accredited",
        person_id,
    )


@people_router.post("/custodian/people/{person_id}/disable")
@people_router.post("/custodian/people/{person_id}/disable.json")
async def disable(request: Request, person_id: Id, principal: Custodian) -> Response:
    control = service_of(request).control
    actor = principal.person.id
    return await _act(
        request,
        principal,
        lambda: person_view(governance.disable_person(control, person_id, actor_id=actor)),
        "disabled",
        person_id,
    )


def custodian_page(control: Engine, person: Person) -> dict[str, Any]:
    """Pending applications (for approvers to decide) and, for custodians, the people."""
    pending = [p for p in governance.list_projects(control) if p.status is ProjectStatus.PENDING]
    data: dict[str, Any] = {
        "applications": [project_view(p) for p in pending],
        "can_decide": person.has(Role.APPROVER),
        "can_manage_people": person.has(Role.CUSTODIAN),
        "me": person.id,
    }
    if person.has(Role.CUSTODIAN):
        data["people"] = [person_view(p) for p in governance.list_people(control)]
        data["roles"] = list(ROLE_NAMES)
        data["today"] = dt.date.today().isoformat()
    return data


async def _act(
    request: Request,
    principal: Principal,
    action: Callable[[], dict[str, Any]],
    done: str,
    subject: int | None,
) -> Response:
    """Do the action; the JSON twin answers with its result, a page redirects back with a
    fixed note, and a refusal is shown on the page, above everything."""
    try:
        result = await run_in_threadpool(action)
    except UserError as problem:
        if request.url.path.endswith(JSON_SUFFIX):
            raise
        control = service_of(request).control
        data = await run_in_threadpool(custodian_page, control, principal.person)
        data["problem"] = problem_of(problem)
        return page(request, "custodian.html", data, status=problem.http_status)
    if request.url.path.endswith(JSON_SUFFIX):
        return page(request, "custodian.html", result)
    subject_id = subject if subject is not None else int(result["id"])
    return RedirectResponse(f"/custodian?done={done}&id={subject_id}", status_code=303)
