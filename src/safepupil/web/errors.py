"""One place where errors become responses: JSON with a stable code for the API and
JSON twins; a page (or a redirect to sign in) for a browser. No stack trace, no stored
value ever reaches the client."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from safepupil.errors import NotSignedIn, SafepupilError
from safepupil.web.templating import render, wants_html

log = logging.getLogger("safepupil.web")

HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SafepupilError, _safepupil_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _bad_request)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)


def error_response(request: Request, status: int, body: dict[str, Any]) -> Response:
    if wants_html(request):
        return render(request, "error.html", {"error": body, "status": status}, status=status)
    return JSONResponse(body, status_code=status)


async def _safepupil_error(request: Request, error: SafepupilError) -> Response:
    if isinstance(error, NotSignedIn) and wants_html(request) and request.method == "GET":
        return RedirectResponse(f"/sign-in?next={request.url.path}", status_code=303)
    return error_response(request, error.http_status, error.to_json())


async def _bad_request(request: Request, error: RequestValidationError) -> Response:
    problems = [_problem(entry) for entry in error.errors()]
    body = {
        "code": "bad_request",
        "message": "the request is not in the expected form: " + "; ".join(problems),
        "hint": "see the API description at /docs",
    }
    return error_response(request, 422, body)


def _problem(entry: Any) -> str:
    where = ".".join(str(part) for part in entry.get("loc", ()) if part != "body")
    return f"{where or 'body'}: {entry.get('msg', 'invalid')}"


async def _http_error(request: Request, error: HTTPException) -> Response:
    code = HTTP_CODES.get(error.status_code, "http_error")
    message = "nothing here" if error.status_code == 404 else str(error.detail)
    return error_response(request, error.status_code, {"code": code, "message": message})


async def _unexpected(request: Request, error: Exception) -> Response:
    # The type only: a message could quote data. The traceback goes to the server log.
    log.error("unexpected %s on %s %s", type(error).__name__, request.method, request.url.path)
    body = {
        "code": "internal_error",
        "message": "something went wrong inside safepupil (this is a bug)",
        "hint": "try again; if it happens again, tell the service's custodians the time",
    }
    return error_response(request, 500, body)
