"""The output checker's queue: held releases with their reasons (never a value), and a
form per release to approve or reject it with a note. The review service refuses what a
checker may not do (their own release, a second review, a rejection without a note);
the page shows its message."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from safepupil.errors import UserError
from safepupil.governance.roles import Role
from safepupil.release.records import RELEASE_ID_LENGTH
from safepupil.release.review import MAX_NOTE_CHARS, ReviewDecision, list_held, review_release
from safepupil.store.deployment import Deployment
from safepupil.web.context import service_of
from safepupil.web.guards import with_role
from safepupil.web.pages.problems import problem_of
from safepupil.web.principal import Principal
from safepupil.web.templating import JSON_SUFFIX, page
from safepupil.web.views import held_release_view, review_outcome_view

GUARD = with_role(Role.OUTPUT_CHECKER)
router = APIRouter(dependencies=[Depends(GUARD)], include_in_schema=False)
Checker = Annotated[Principal, Depends(GUARD)]
ReleaseId = Annotated[str, Path(min_length=1, max_length=RELEASE_ID_LENGTH)]
OUTCOMES = frozenset({"held", "released", "refused"})


@router.get("/checker")
@router.get("/checker.json")
async def queue(
    request: Request, principal: Checker, reviewed: str = "", outcome: str = ""
) -> Response:
    data = await run_in_threadpool(checker_page, service_of(request).control)
    if reviewed and outcome in OUTCOMES:
        data["done"] = {"release_id": reviewed[:RELEASE_ID_LENGTH], "status": outcome}
    return page(request, "checker.html", data, twin="/checker.json")


@router.post("/checker/releases/{release_id}/review")
@router.post("/checker/releases/{release_id}/review.json")
async def review_form(
    request: Request,
    release_id: ReleaseId,
    principal: Checker,
    decision: Annotated[str, Form(pattern="^(approve|reject)$")],
    note: Annotated[str, Form(max_length=MAX_NOTE_CHARS)] = "",
) -> Response:
    service = service_of(request)
    deployment = service.deployment
    chosen = ReviewDecision(decision)
    try:
        outcome = await run_in_threadpool(
            decide, deployment, release_id, principal.person.id, chosen, note
        )
    except UserError as problem:
        if request.url.path.endswith(JSON_SUFFIX):
            raise
        data = await run_in_threadpool(checker_page, service.control)
        data["problem"] = problem_of(problem)
        data["problem_release"] = release_id
        return page(request, "checker.html", data, status=problem.http_status)
    if request.url.path.endswith(JSON_SUFFIX):
        return page(request, "checker.html", outcome)
    target = f"/checker?reviewed={outcome['release_id']}&outcome={outcome['status']}"
    return RedirectResponse(target, status_code=303)


def checker_page(control: Engine) -> dict[str, Any]:
    """Every held release, oldest first: who asked, what and why; no value."""
    return {"held": [held_release_view(h) for h in list_held(control)]}


def decide(
    deployment: Deployment,
    release_id: str,
    checker_id: int,
    decision: ReviewDecision,
    note: str,
) -> dict[str, Any]:
    """One checker's decision; the outcome says where the release stands (no table)."""
    outcome = review_release(deployment, release_id, checker_id, decision, note or None)
    return review_outcome_view(outcome)
