"""Route guards: the first dependency of every route, so permission is checked before
anything else runs. The default is deny: a route without a guard fails
tests/web/test_route_guards.py, and a guard refuses unless it finds a reason to allow.

    public           anyone (the sign-in page, the public register, the pupils' portal)
    signed_in        any signed-in person
    with_role(...)   a signed-in person holding one of the roles

For a browser session, a state-changing request must also carry the session's CSRF
token (form field ``csrf_token`` or header ``X-CSRF-Token``). API-token requests carry
no ambient credential a third-party site could borrow, so they need none.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from safepupil.errors import NotSignedIn, PermissionDenied
from safepupil.governance.roles import Role
from safepupil.governance.sessions import csrf_matches
from safepupil.web.principal import Principal, principal_of

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

GuardFunction = TypeVar("GuardFunction", bound=Callable[..., object])
GUARDS: set[Callable[..., object]] = set()  # every guard, for the route-guard test


def _guard(function: GuardFunction) -> GuardFunction:
    GUARDS.add(function)
    return function


@_guard
async def public(request: Request) -> Principal | None:
    """Anyone; the person is resolved so a page can say who is signed in."""
    return await run_in_threadpool(principal_of, request)


@_guard
async def signed_in(request: Request) -> Principal:
    principal = await run_in_threadpool(principal_of, request)
    if principal is None:
        raise NotSignedIn(
            "sign in first",
            hint="sign in at /sign-in, or send 'Authorization: Bearer TOKEN' "
            "(create one with `safepupil people token create`)",
        )
    if principal.session is not None and request.method not in SAFE_METHODS:
        given = request.headers.get(CSRF_HEADER) or await _form_token(request)
        if not csrf_matches(principal.session, given):
            raise PermissionDenied(
                "the form's security token is missing or out of date",
                hint="reload the page and submit the form again",
            )
    return principal


@functools.cache
def with_role(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A guard for people holding any of ``roles`` (cached: one guard per set of roles,
    so FastAPI resolves it once per request)."""
    names = " or ".join(role.value for role in roles)

    async def guard(request: Request) -> Principal:
        principal = await signed_in(request)
        if not any(principal.person.has(role) for role in roles):
            raise PermissionDenied(
                f"this needs the {names} role",
                hint="ask a custodian if you should have it",
            )
        return principal

    guard.__name__ = f"with_role_{'_'.join(role.name.lower() for role in roles)}"
    _guard(guard)
    return guard


async def _form_token(request: Request) -> str | None:
    if "form" not in request.headers.get("content-type", ""):
        return None
    form = await request.form()  # parsed once; FastAPI's own Form fields reuse it
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None
