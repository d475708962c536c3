"""Queries on the real store: ``POST /api/v1/projects/{project_id}/queries``.

The body is restricted SQL or the query model's wire JSON, never both. The query runs
through the release pipeline for the signed-in person, which checks membership,
approval, accreditation and the items, and records the release before it answers:
200 with the protected table, 202 when the rules hold it for review, 409 when no
protection is enough, 403 when the person may not, 422 when the query is not allowed.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse

from safepupil.governance.roles import Role
from safepupil.query.model import Query
from safepupil.query.sql import MAX_SQL_CHARS, parse_sql
from safepupil.query.wire import MAX_DOCUMENT_CHARS, from_dict
from safepupil.release.pipeline import run_protected_query
from safepupil.release.result import ReleaseStatus
from safepupil.store.catalogue import load_catalogue
from safepupil.web.context import service_of
from safepupil.web.guards import with_role
from safepupil.web.principal import Principal
from safepupil.web.views import protected_table_view

GUARD = with_role(Role.RESEARCHER)
router = APIRouter(prefix="/api/v1", tags=["queries"])

ProjectId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class QueryBody(BaseModel):
    """Exactly one of ``sql`` (restricted SQL) and ``query`` (the wire JSON object)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"sql": "SELECT sex, COUNT(*) FROM ap_census_2018 GROUP BY sex"}]
        },
    )
    sql: str | None = Field(default=None, min_length=1, max_length=MAX_SQL_CHARS)
    query: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> QueryBody:
        if (self.sql is None) == (self.query is None):
            raise ValueError("give exactly one of 'sql' and 'query'")
        if self.query is not None and len(json.dumps(self.query)) > MAX_DOCUMENT_CHARS:
            raise ValueError(f"the query document is longer than {MAX_DOCUMENT_CHARS} characters")
        return self

    def to_query(self) -> Query:
        catalogue = load_catalogue()
        if self.sql is not None:
            return parse_sql(self.sql, catalogue)
        return from_dict(self.query, catalogue)


@router.post(
    "/projects/{project_id}/queries",
    dependencies=[Depends(GUARD)],
    summary="Run a query under a project; only a protected table comes back",
    responses={
        202: {"description": "held for review by two output checkers: no value shown"},
        403: {"description": "permission_denied: the message starts with the rule"},
        409: {"description": "disclosure_refused: no protection is enough"},
        422: {"description": "bad_query or bad_request"},
    },
)
def run_query(
    request: Request,
    project_id: ProjectId,
    body: QueryBody,
    principal: Annotated[Principal, Depends(GUARD)],
) -> JSONResponse:
    # Sync on purpose: the pipeline blocks, so FastAPI runs this in its thread pool.
    service = service_of(request)
    table = run_protected_query(
        service.deployment,
        body.to_query(),
        project_id,
        principal.person.id,
        control=service.control,  # the app's engine: pooled connections, cached statements
    )
    status = 202 if table.status is ReleaseStatus.HELD else 200
    return JSONResponse(protected_table_view(table), status_code=status)
