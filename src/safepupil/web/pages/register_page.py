"""The public register of data uses: every approved project and every release, with
no sign-in. ``/register`` and its JSON twin ``/register.json`` come from one call to
``transparency.register.build_register``, made on each request, so the page follows
releases as they happen; ``/register/projects.csv`` and ``/register/releases.csv`` are
the same files ``safepupil register export`` writes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from safepupil.transparency.register import (
    LEGAL_BASIS_WORDS,
    PROJECT_COLUMNS,
    RELEASE_COLUMNS,
    PublicRegister,
    build_register,
    register_csv,
)
from safepupil.web.context import service_of
from safepupil.web.guards import public
from safepupil.web.templating import page

router = APIRouter(dependencies=[Depends(public)], include_in_schema=False)

CSV_TYPE = "text/csv; charset=utf-8"
DOWNLOADS = (
    {"title": "Projects (CSV)", "href": "/register/projects.csv"},
    {"title": "Releases (CSV)", "href": "/register/releases.csv"},
    {"title": "The whole register (JSON)", "href": "/register.json"},
)


@router.get("/register")
@router.get("/register.json")
async def register(request: Request) -> Response:
    built = await _register(request)
    data: dict[str, Any] = built.to_dict()
    if not request.url.path.endswith(".json"):
        data = {**data, "downloads": DOWNLOADS, "legal_bases": LEGAL_BASIS_WORDS}
    return page(request, "register.html", data, twin="/register.json")


@router.get("/register/projects.csv")
async def projects_csv(request: Request) -> Response:
    built = await _register(request)
    rows = [p.to_dict() for p in built.projects]
    return _download(register_csv(PROJECT_COLUMNS, rows), "projects.csv")


@router.get("/register/releases.csv")
async def releases_csv(request: Request) -> Response:
    built = await _register(request)
    rows = [r.to_dict() for r in built.releases]
    return _download(register_csv(RELEASE_COLUMNS, rows), "releases.csv")


async def _register(request: Request) -> PublicRegister:
    return await run_in_threadpool(build_register, service_of(request).control)


def _download(body: bytes, name: str) -> Response:
    return Response(
        body,
        media_type=CSV_TYPE,
        headers={"content-disposition": f'attachment; filename="register-{name}"'},
    )
