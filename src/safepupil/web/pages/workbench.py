"""The researcher's workbench: their projects; for a project, compose a query (form or
SQL), try it on dummy data, submit it to the release pipeline and see the protected
table; their past releases. Every page has its JSON twin (the same path + .json)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from safepupil.errors import UserError
from safepupil.governance.roles import Role
from safepupil.release.records import RELEASE_ID_LENGTH
from safepupil.web.context import service_of
from safepupil.web.guards import with_role
from safepupil.web.pages import workbench_service as work
from safepupil.web.pages.compose import ComposeForm, read_form
from safepupil.web.pages.problems import problem_of
from safepupil.web.principal import Principal
from safepupil.web.templating import JSON_SUFFIX, page

GUARD = with_role(Role.RESEARCHER)
router = APIRouter(dependencies=[Depends(GUARD)], include_in_schema=False)
Researcher = Annotated[Principal, Depends(GUARD)]
ProjectId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ReleaseId = Annotated[str, Path(min_length=1, max_length=RELEASE_ID_LENGTH + len(JSON_SUFFIX))]
PageNumber = Annotated[int, Query(alias="page", ge=1, le=2**31 // work.RELEASES_PER_PAGE)]


@router.get("/workbench")
@router.get("/workbench.json")
async def workbench(request: Request, principal: Researcher) -> Response:
    control = service_of(request).control
    data = await run_in_threadpool(work.my_projects, control, principal.person.id)
    return page(request, "workbench.html", data, twin="/workbench.json")


@router.get("/workbench/projects/{project_id}")
@router.get("/workbench/projects/{project_id}.json")
async def project(request: Request, project_id: ProjectId, principal: Researcher) -> Response:
    control = service_of(request).control
    data = await run_in_threadpool(work.project_page, control, principal.person.id, project_id)
    twin = f"/workbench/projects/{project_id}{JSON_SUFFIX}"
    return page(request, "workbench_project.html", data, twin=twin)


@router.post("/workbench/projects/{project_id}/try")
@router.post("/workbench/projects/{project_id}/try.json")
async def try_on_dummy(request: Request, project_id: ProjectId, principal: Researcher) -> Response:
    form = await _form(request)
    control = service_of(request).control
    return await _compose(
        request, form, lambda: work.try_on_dummy(control, principal.person.id, project_id, form)
    )


@router.post("/workbench/projects/{project_id}/submit")
@router.post("/workbench/projects/{project_id}/submit.json")
async def submit(request: Request, project_id: ProjectId, principal: Researcher) -> Response:
    form = await _form(request)
    service = service_of(request)
    person_id = principal.person.id
    return await _compose(
        request,
        form,
        lambda: work.submit(service.deployment, service.control, person_id, project_id, form),
    )


@router.get("/workbench/releases")
@router.get("/workbench/releases.json")
async def releases(
    request: Request, principal: Researcher, page_number: PageNumber = 1
) -> Response:
    """My releases: the person's own releases under their projects, newest first."""
    control = service_of(request).control
    data = await run_in_threadpool(work.my_releases, control, principal.person.id, page_number)
    return page(request, "workbench_releases.html", data, twin="/workbench/releases.json")


@router.get("/workbench/releases/{release_id}")
async def release(request: Request, release_id: ReleaseId, principal: Researcher) -> Response:
    """A release the person asked for: its status, reasons and, once released (at once
    or after review), the table (``/workbench/releases/ID.json`` is its twin)."""
    wanted = release_id.removesuffix(JSON_SUFFIX)
    control = service_of(request).control
    data = await run_in_threadpool(work.my_release, control, principal.person.id, wanted)
    # ``wanted`` is the id of a release just found, so it is safe in a path.
    twin = f"/workbench/releases/{wanted}{JSON_SUFFIX}"
    return page(request, "workbench_release.html", data, twin=twin)


async def _form(request: Request) -> ComposeForm:
    fields = await request.form()  # already read by the guard (CSRF); parsed once
    dimensions = [d for d in fields.getlist("dimension") if isinstance(d, str)]
    return read_form(dict(fields), dimensions)


async def _compose(
    request: Request, form: ComposeForm, action: Callable[[], dict[str, Any]]
) -> Response:
    """Run the action; for a page, a refusal (a bad query, a rule, disclosure control)
    is shown above the form that asked, which keeps what was typed."""
    try:
        data = await run_in_threadpool(action)
    except UserError as problem:
        if request.url.path.endswith(JSON_SUFFIX):
            raise
        project_id = int(request.path_params["project_id"])
        principal: Principal = request.state.principal
        control = service_of(request).control
        data = await run_in_threadpool(
            work.project_page, control, principal.person.id, project_id, form
        )
        data["problem"] = problem_of(problem)
        return page(request, "workbench_project.html", data, status=problem.http_status)
    return page(request, "workbench_project.html", data)
