"""The output checkers' queue: held releases (reasons only, never a value), one
release's reviews, and a checker's decision. ``review_release`` checks the two-person
rule itself (not the requester, not twice) and records every decision."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request

from safepupil.governance.roles import Role
from safepupil.release.records import RELEASE_ID_LENGTH
from safepupil.release.review import (
    MAX_NOTE_CHARS,
    ReviewDecision,
    describe_release,
    list_held,
    review_release,
)
from safepupil.web.context import service_of
from safepupil.web.guards import with_role
from safepupil.web.principal import Principal
from safepupil.web.views import held_release_view, release_summary_view, review_outcome_view

GUARD = with_role(Role.OUTPUT_CHECKER)
router = APIRouter(prefix="/api/v1/reviews", tags=["reviews"])
ReleaseId = Annotated[str, Path(min_length=1, max_length=RELEASE_ID_LENGTH)]


class ApprovalBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=MAX_NOTE_CHARS)


class RejectionBody(BaseModel):
    """A rejection says why, in words the requester will read."""

    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=1, max_length=MAX_NOTE_CHARS)


@router.get("", dependencies=[Depends(GUARD)], summary="Held releases, oldest first")
def held(request: Request) -> list[dict[str, Any]]:
    return [held_release_view(h) for h in list_held(service_of(request).control)]


@router.get("/{release_id}", dependencies=[Depends(GUARD)], summary="One release's reviews")
def describe(request: Request, release_id: ReleaseId) -> dict[str, Any]:
    return release_summary_view(describe_release(service_of(request).control, release_id))


@router.post("/{release_id}/approve", dependencies=[Depends(GUARD)], summary="Approve")
def approve(
    request: Request,
    release_id: ReleaseId,
    principal: Annotated[Principal, Depends(GUARD)],
    body: ApprovalBody | None = None,
) -> dict[str, Any]:
    outcome = review_release(
        service_of(request).deployment,
        release_id,
        principal.person.id,
        ReviewDecision.APPROVE,
        (body or ApprovalBody()).note,
    )
    return review_outcome_view(outcome)


@router.post("/{release_id}/reject", dependencies=[Depends(GUARD)], summary="Reject, saying why")
def reject(
    request: Request,
    release_id: ReleaseId,
    body: RejectionBody,
    principal: Annotated[Principal, Depends(GUARD)],
) -> dict[str, Any]:
    outcome = review_release(
        service_of(request).deployment,
        release_id,
        principal.person.id,
        ReviewDecision.REJECT,
        body.note,
    )
    return review_outcome_view(outcome)
