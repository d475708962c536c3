"""Who is asking: a person signed in by API token or by web session, or nobody."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from safepupil.errors import NotSignedIn
from safepupil.governance.people import Person
from safepupil.governance.sessions import SessionHolder, session_holder
from safepupil.governance.token_service import authenticate_token
from safepupil.web.context import ServiceContext, service_of
from safepupil.web.settings import SESSION_COOKIE

BEARER = "bearer "


@dataclass(frozen=True)
class Principal:
    person: Person
    session: SessionHolder | None  # None when the request came with an API token

    @property
    def by_token(self) -> bool:
        return self.session is None


def principal_of(request: Request) -> Principal | None:
    """The request's person, resolved once and kept on the request; None for nobody.

    A token that is given but wrong is refused (recorded) rather than treated as
    anonymous, so a client never silently gets the public view of a page.
    """
    if hasattr(request.state, "principal"):
        found: Principal | None = request.state.principal
        return found
    found = _resolve(service_of(request), request)
    request.state.principal = found
    return found


def _resolve(service: ServiceContext, request: Request) -> Principal | None:
    header = request.headers.get("authorization", "")
    if header:
        if not header.lower().startswith(BEARER):
            raise NotSignedIn(
                "the Authorization header must be 'Bearer TOKEN'",
                hint="create a token with `safepupil people token create`",
            )
        person = authenticate_token(service.control, header[len(BEARER) :].strip())
        return Principal(person=person, session=None)
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        try:
            holder = session_holder(service.control, secret)
        except NotSignedIn:
            return None  # an old cookie: treated as signed out, the page asks to sign in
        return Principal(person=holder.person, session=holder)
    return None
