"""Cookies the service sets: never readable by scripts, Secure unless the settings say
otherwise (a test client on a plain-HTTP name), and sent only to this site's paths."""

from __future__ import annotations

from typing import Literal

from starlette.requests import Request
from starlette.responses import Response

from safepupil.web.context import service_of


def set_private_cookie(
    request: Request,
    response: Response,
    name: str,
    value: str,
    *,
    max_age: int | None,
    samesite: Literal["lax", "strict"] = "lax",
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        secure=service_of(request).settings.secure_cookies,
        samesite=samesite,
        path="/",
    )
