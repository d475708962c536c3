"""Sign in, sign out, and the home page that says where to go next."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from safepupil.errors import PermissionDenied, TooManyAttempts, UserError
from safepupil.governance.sessions import end_session, start_session
from safepupil.web.context import service_of
from safepupil.web.cookies import set_private_cookie
from safepupil.web.guards import public, signed_in
from safepupil.web.principal import Principal
from safepupil.web.settings import SESSION_COOKIE, SIGN_IN_COOKIE
from safepupil.web.templating import page, render

router = APIRouter(dependencies=[Depends(public)], include_in_schema=False)
signed_in_router = APIRouter(dependencies=[Depends(signed_in)], include_in_schema=False)

# Where each role starts; the first the person holds wins.
START_PAGES = (
    ("custodian", "/custodian"),
    ("approver", "/custodian"),
    ("output-checker", "/checker"),
    ("researcher", "/workbench"),
    ("la-submitter", "/la"),
)


@router.get("/")
@router.get("/index.json")
def home(request: Request) -> Response:
    principal: Principal | None = request.state.principal
    roles = principal.person.role_names if principal else ()
    links = [{"role": role, "href": href} for role, href in START_PAGES if role in roles]
    data = {
        "service": "safepupil",
        "signed_in_as": principal.person.email if principal else None,
        "start_pages": links,
        "public_pages": [
            {"title": "Public register of data uses", "href": "/register"},
            {"title": "See how your data were used", "href": "/my-data"},
        ],
    }
    return page(request, "home.html", data, twin="/index.json")


@router.get("/sign-in")
def sign_in_form(request: Request, next: str = "/") -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "sign_in.html", {"form_token": token, "next": _local(next)})
    set_private_cookie(request, response, SIGN_IN_COOKIE, token, max_age=3600)
    return response


@router.post("/sign-in")
async def sign_in(
    request: Request,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1024)],
    form_token: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    cookie = request.cookies.get(SIGN_IN_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, form_token):
        raise PermissionDenied(
            "the sign-in form has expired", hint="reload the sign-in page and try again"
        )
    service = service_of(request)
    client = request.client.host if request.client else "unknown"
    try:
        session = await run_in_threadpool(
            start_session,
            service.control,
            email,
            password,
            client,
            limits=service.settings.sign_in_limits,
        )
    except (PermissionDenied, TooManyAttempts, UserError) as refusal:
        status = refusal.http_status if isinstance(refusal, TooManyAttempts) else 401
        data = {"form_token": form_token, "next": _local(next), "refusal": refusal.to_json()}
        return render(request, "sign_in.html", data, status=status)
    response = RedirectResponse(_local(next), status_code=303)
    # A browser-session cookie; the server ends the session itself after SESSION_HOURS.
    set_private_cookie(request, response, SESSION_COOKIE, session.secret, max_age=None)
    response.delete_cookie(SIGN_IN_COOKIE, path="/")
    return response


@signed_in_router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        await run_in_threadpool(end_session, service_of(request).control, secret)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _local(target: str) -> str:
    """Only a path on this site: an open redirect would let a link send people away."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
