"""The pupils' and parents' portal, with no account: ``/my-data``.

With no portal session the page is a form for the access code the local authority gave;
typing it opens a short viewing session (``transparency.portal_sessions``). With one,
the page shows what is held about the pupil (never a value), every release that
included them, their correction requests and objection status, the LA's privacy notices,
and forms to ask for a correction or to leave. ``/my-data.json`` is its JSON twin.

The code form is protected against cross-site posting like the sign-in form (a token in
a cookie and in the form); forms inside the portal carry a CSRF token derived from the
portal session's secret and are refused without it.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from safepupil.errors import NotSignedIn, PermissionDenied, TooManyAttempts, UserError
from safepupil.transparency.portal_limits import PortalLimits
from safepupil.transparency.portal_sessions import (
    PortalSession,
    end_portal_session,
    open_portal_session,
    portal_csrf_matches,
    portal_session,
)
from safepupil.transparency.portal_view import PortalView, portal_view, raise_portal_correction
from safepupil.web.context import service_of
from safepupil.web.cookies import set_private_cookie
from safepupil.web.guards import public
from safepupil.web.pages.notices_page import notice_links
from safepupil.web.templating import JSON_SUFFIX, page, render

router = APIRouter(dependencies=[Depends(public)], include_in_schema=False)

PORTAL_COOKIE = "safepupil_portal"
FORM_COOKIE = "safepupil_portal_form"  # the double-submit token of the code form
HOME = "/my-data"
HOME_TWIN = HOME + JSON_SUFFIX  # the portal's one GET twin, with or without a session
CSRF_REFUSED = PermissionDenied(
    "the form's security token is missing or out of date",
    hint="go back to /my-data, reload the page and send the form again",
)


def limits_of(request: Request) -> PortalLimits:
    """The app's portal limits (tests set ``app.state.portal_limits``)."""
    chosen = getattr(request.app.state, "portal_limits", None)
    return chosen if isinstance(chosen, PortalLimits) else PortalLimits()


@router.get("/my-data")
@router.get("/my-data.json")
async def my_data(request: Request, sent: int | None = None) -> Response:
    session = await _session(request)
    if session is None:
        return _code_form(request, ended=bool(request.cookies.get(PORTAL_COOKIE)))
    view = await _view(request, session)
    data = _portal_data(request, session, view, sent=sent)
    return page(request, "portal.html", data, twin=HOME_TWIN)


@router.post("/my-data")
async def enter_code(
    request: Request,
    code: Annotated[str, Form(max_length=64)] = "",
    form_token: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    cookie = request.cookies.get(FORM_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, form_token):
        raise PermissionDenied("the form has expired", hint="reload /my-data and try again")
    service = service_of(request)
    client = request.client.host if request.client else "unknown"
    try:
        issued = await run_in_threadpool(
            open_portal_session, service.control, code, client, limits=limits_of(request)
        )
    except (PermissionDenied, TooManyAttempts) as refusal:
        status = refusal.http_status if isinstance(refusal, TooManyAttempts) else 401
        return _code_form(request, refusal=refusal.to_json(), token=form_token, status=status)
    response = RedirectResponse(HOME, status_code=303)
    seconds = int((issued.expires_at - dt.datetime.now(dt.UTC)).total_seconds())
    set_private_cookie(
        request, response, PORTAL_COOKIE, issued.secret, max_age=max(seconds, 1), samesite="strict"
    )
    response.delete_cookie(FORM_COOKIE, path="/")
    return response


@router.post("/my-data/corrections")
async def ask_for_correction(
    request: Request,
    item: Annotated[str, Form(max_length=200)] = "",
    value: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    session = await _required_session(request, csrf_token)
    view = await _view(request, session)
    try:
        correction = await run_in_threadpool(
            raise_portal_correction,
            service_of(request).deployment,
            session,
            view,
            item_key=item,
            value=value,
            reason=reason,
        )
    except UserError as refusal:  # the message never quotes the value typed
        data = _portal_data(request, session, view, problem=refusal.to_json(), chosen=item)
        return render(request, "portal.html", data, status=refusal.http_status)
    return RedirectResponse(f"{HOME}?sent={correction.id}#corrections", status_code=303)


@router.post("/my-data/leave")
async def leave(
    request: Request, csrf_token: Annotated[str, Form(max_length=128)] = ""
) -> Response:
    await _required_session(request, csrf_token)
    secret = request.cookies.get(PORTAL_COOKIE, "")
    await run_in_threadpool(end_portal_session, service_of(request).control, secret)
    response = RedirectResponse(HOME, status_code=303)
    response.delete_cookie(PORTAL_COOKIE, path="/")
    return response


# ---- helpers ----------------------------------------------------------------------------


async def _session(request: Request) -> PortalSession | None:
    secret = request.cookies.get(PORTAL_COOKIE)
    if not secret:
        return None
    try:
        return await run_in_threadpool(portal_session, service_of(request).control, secret)
    except NotSignedIn:
        return None


async def _required_session(request: Request, csrf_token: str) -> PortalSession:
    session = await _session(request)
    if session is None:
        raise PermissionDenied(
            "your viewing time has ended", hint="enter your access code again at /my-data"
        )
    if not portal_csrf_matches(session, csrf_token or request.headers.get("x-csrf-token")):
        raise CSRF_REFUSED
    return session


async def _view(request: Request, session: PortalSession) -> PortalView:
    service = service_of(request)
    return await run_in_threadpool(portal_view, service.deployment, service.control, session)


def _portal_data(
    request: Request,
    session: PortalSession,
    view: PortalView,
    *,
    sent: int | None = None,
    problem: dict[str, object] | None = None,
    chosen: str = "",
) -> dict[str, Any]:
    data: dict[str, Any] = {
        **view.to_dict(),
        "notices": [
            {"la": la.la_code, "name": la.la_name, **notice_links(la.la_code)}
            for la in _distinct_las(view)
        ],
    }
    if request.url.path.endswith(".json"):
        return data
    return {
        **data,
        "portal_csrf": session.csrf_token,
        "sent": sent if any(c.id == sent for c in view.corrections) else None,
        "problem": problem,
        "chosen": chosen,
    }


def _distinct_las(view: PortalView) -> list[Any]:
    seen: dict[str, Any] = {}
    for la in view.record_las:
        seen.setdefault(la.la_code, la)
    return list(seen.values())


def _code_form(
    request: Request,
    *,
    refusal: dict[str, object] | None = None,
    token: str | None = None,
    ended: bool = False,
    status: int = 200,
) -> Response:
    limits = limits_of(request)
    form_token = token or secrets.token_urlsafe(32)
    data: dict[str, Any] = {
        "portal": "closed",
        "how": "enter the access code your local authority gave you at POST /my-data",
        "limit": limits.words(),
    }
    if request.url.path.endswith(".json"):
        return page(request, "portal_code.html", data)
    data |= {"form_token": form_token, "refusal": refusal, "ended": ended}
    # Shown for GET /my-data and for a refused POST of a code; the latter links nowhere
    # (templating.json_twin drops a POST answer's twin).
    response = render(request, "portal_code.html", data, status=status, twin=HOME_TWIN)
    set_private_cookie(request, response, FORM_COOKIE, form_token, max_age=3600, samesite="strict")
    if ended:
        response.delete_cookie(PORTAL_COOKIE, path="/")
    return response
