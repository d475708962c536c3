"""Server-rendered pages and their JSON twins.

Every page is made from one dict of data: ``/x`` renders it with a template, ``/x.json``
returns the same dict as JSON, so what a page shows and what a script gets never drift.

The footer's "This page as JSON" links to the twin the handler names (``twin=``), never
to an address guessed from the path: ``/`` has ``/index.json``, the sign-in form has no
twin, and a page answering a POST has none a GET could fetch (its ``.json`` takes a POST).
A page given no twin shows no link.
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


def page(
    request: Request,
    template: str,
    data: dict[str, Any],
    *,
    status: int = 200,
    twin: str | None = None,
) -> Response:
    """The page, or its JSON twin when the path ends in .json. ``twin`` is the path of
    the GET route that answers with this page's data as JSON (None: there is none)."""
    if request.url.path.endswith(JSON_SUFFIX):
        return JSONResponse(data, status_code=status)
    return render(request, template, data, status=status, twin=twin)


def render(
    request: Request,
    template: str,
    data: dict[str, Any],
    *,
    status: int = 200,
    twin: str | None = None,
) -> Response:
    principal: Principal | None = getattr(request.state, "principal", None)
    context = {
        **data,
        "signed_in": principal.person if principal else None,
        "csrf_token": principal.session.csrf_token if principal and principal.session else "",
        "json_twin": json_twin(request, twin),
    }
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status)


def json_twin(request: Request, twin: str | None) -> str | None:
    """The footer's link: the declared twin with this request's query string (the twin
    of ``/workbench/releases?page=2`` is page 2 as JSON, not page 1), or None.

    Only a GET page links: an answer to a POST shows what that POST did, which no GET
    of its twin repeats, so a twin passed by a handler shared with a POST is dropped.
    """
    if twin is None or request.method not in ("GET", "HEAD"):
        return None
    query = request.url.query
    return f"{twin}?{query}" if query else twin
