"""Server-rendered pages and their JSON twins.

Every page is made from one dict of data: ``/x`` renders it with a template, ``/x.json``
returns the same dict as JSON, so what a page shows and what a script gets never drift.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from safepupil.web.principal import Principal

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.autoescape = True
JSON_SUFFIX = ".json"


def wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/") or path.endswith(JSON_SUFFIX):
        return False
    return "text/html" in request.headers.get("accept", "")


def page(request: Request, template: str, data: dict[str, Any], *, status: int = 200) -> Response:
    """The page, or its JSON twin when the path ends in .json."""
    if request.url.path.endswith(JSON_SUFFIX):
        return JSONResponse(data, status_code=status)
    return render(request, template, data, status=status)


def render(request: Request, template: str, data: dict[str, Any], *, status: int = 200) -> Response:
    principal: Principal | None = getattr(request.state, "principal", None)
    context = {
        **data,
        "signed_in": principal.person if principal else None,
        "csrf_token": principal.session.csrf_token if principal and principal.session else "",
        "json_twin": json_twin(request),
    }
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status)


def json_twin(request: Request) -> str:
    """The address of this page's JSON twin, with the same query string: the twin of
    ``/workbench/releases?page=2`` is page 2 as JSON, not page 1."""
    twin = request.url.path.rstrip("/") + JSON_SUFFIX
    query = request.url.query
    return f"{twin}?{query}" if query else twin
