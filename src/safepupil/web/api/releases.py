"""Releases, for the person who asked for them: ``GET /api/v1/releases`` lists their own,
newest first; ``GET /api/v1/releases/{release_id}`` is one, and ``.../table.csv`` its
table once released. Anyone else is refused (``not-the-requester``) by
``fetch_release`` itself, whatever their organisation."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from starlette.requests import Request
from starlette.responses import Response

from safepupil.errors import NotFound
from safepupil.governance.roles import Role
from safepupil.release.history import DEFAULT_LIMIT, MAX_LIMIT, list_own_releases
from safepupil.release.records import RELEASE_ID_LENGTH, RELEASED
from safepupil.release.review import fetch_release
from safepupil.web.context import service_of
from safepupil.web.guards import with_role
from safepupil.web.principal import Principal
from safepupil.web.views import own_releases_view, release_state_view

GUARD = with_role(Role.RESEARCHER)
CHECKSUM_HEADER = "x-checksum-sha256"
router = APIRouter(prefix="/api/v1/releases", tags=["releases"])

ReleaseId = Annotated[str, Path(min_length=1, max_length=RELEASE_ID_LENGTH)]


@router.get("", dependencies=[Depends(GUARD)], summary="Your releases, newest first")
def my_releases(
    request: Request,
    principal: Annotated[Principal, Depends(GUARD)],
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """The releases you asked for under your projects; figures for released tables only."""
    found = list_own_releases(
        service_of(request).control, principal.person.id, offset=offset, limit=limit
    )
    return own_releases_view(found)


@router.get("/{release_id}", dependencies=[Depends(GUARD)], summary="A release's state")
def release_state(
    request: Request, release_id: ReleaseId, principal: Annotated[Principal, Depends(GUARD)]
) -> dict[str, Any]:
    state = fetch_release(service_of(request).control, release_id, principal.person.id)
    return release_state_view(state)


@router.get(
    "/{release_id}/table.csv",
    dependencies=[Depends(GUARD)],
    summary="The released table as CSV; its SHA-256 in the X-Checksum-SHA256 header",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def release_csv(
    request: Request, release_id: ReleaseId, principal: Annotated[Principal, Depends(GUARD)]
) -> Response:
    state = fetch_release(service_of(request).control, release_id, principal.person.id)
    if state.status != RELEASED or not state.columns:
        raise NotFound(
            f"release {release_id} has no table to download ({state.status})",
            hint="a held release's table comes once two output checkers approve it; "
            "a refused release has none",
        )
    text = _csv(state.columns, state.rows)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            CHECKSUM_HEADER: state.checksum or "",
            "content-disposition": f'attachment; filename="release-{release_id}.csv"',
        },
    )


def _csv(columns: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> bytes:
    """The same bytes as ``ProtectedTable.to_csv_bytes``, so the stored checksum holds."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")
