"""Privacy notices per LA, with no sign-in: ``/notices/{la}`` in plain English and
``/notices/{la}/child`` for children, each with its JSON twin (``.json``: the facts the
words are made from) and its PDF (``.pdf``). One call to ``notice_facts`` per request,
so the notice's list of who used the data follows the register.

The words are ``transparency/templates/notices/``, the same templates as
``safepupil notice``; the page shows their body inside the site's layout.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from safepupil.transparency.notices import Version, notice_facts, render_html, render_pdf
from safepupil.web.context import service_of
from safepupil.web.guards import public
from safepupil.web.templating import JSON_SUFFIX, page

router = APIRouter(dependencies=[Depends(public)], include_in_schema=False)

_MAIN = re.compile(r"<main>(?P<body>.*)</main>", re.DOTALL)
TITLES = {"plain": "Privacy notice", "child": "Your school record: a note for you"}


def notice_links(la_code: str) -> dict[str, str]:
    base = f"/notices/{la_code}"
    return {
        "plain": base,
        "child": f"{base}/child",
        "plain_pdf": f"{base}.pdf",
        "child_pdf": f"{base}/child.pdf",
    }


# The .json and .pdf routes come before the plain ones: "{la_code}" alone would match
# "201.json" too.
@router.get("/notices/{la_code}.json")
@router.get("/notices/{la_code}/child.json")
async def notice_json(request: Request, la_code: str) -> Response:
    return await _page(request, la_code, _version(request))


@router.get("/notices/{la_code}.pdf")
@router.get("/notices/{la_code}/child.pdf")
async def notice_pdf(request: Request, la_code: str) -> Response:
    version = _version(request)
    facts = await run_in_threadpool(notice_facts, service_of(request).control, la_code)
    body = await run_in_threadpool(render_pdf, render_html(facts, version))
    name = f"privacy-notice-{facts.la_code}-{version}.pdf"
    return Response(
        body,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.get("/notices/{la_code}")
@router.get("/notices/{la_code}/child")
async def notice(request: Request, la_code: str) -> Response:
    return await _page(request, la_code, _version(request))


async def _page(request: Request, la_code: str, version: Version) -> Response:
    facts = await run_in_threadpool(notice_facts, service_of(request).control, la_code)
    links = notice_links(facts.la_code)
    data: dict[str, Any] = {**facts.to_dict(), "version": version, "links": links}
    if not request.url.path.endswith(".json"):
        match = _MAIN.search(render_html(facts, version))
        # The body comes from the package's own autoescaped templates: safe to insert.
        data["notice_body"] = Markup(match.group("body") if match else "")  # noqa: S704
        data["title"] = TITLES[version]
    return page(request, "notice.html", data, twin=links[version] + JSON_SUFFIX)


def _version(request: Request) -> Version:
    path = request.url.path.removesuffix(".json").removesuffix(".pdf")
    return "child" if path.endswith("/child") else "plain"
