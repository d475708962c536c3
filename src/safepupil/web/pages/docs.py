"""The API description at /docs, with Swagger UI served from this site (no CDN)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from safepupil.web.guards import public
from safepupil.web.templating import render

router = APIRouter(dependencies=[Depends(public)], include_in_schema=False)


@router.get("/docs")
def api_docs(request: Request) -> Response:
    return render(request, "docs.html", {"openapi_url": request.app.openapi_url})
