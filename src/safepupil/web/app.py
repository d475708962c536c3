"""The app factory: one FastAPI app serving the JSON API and the pages.

Configuration comes in as arguments (``safepupil serve`` reads it at the edge); the app
holds one control-plane engine for its life and opens the pupil store per request (from
connections prepared in the background).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import Response

from safepupil import __version__
from safepupil.store.deployment import Deployment
from safepupil.store.ready_connections import keep_ready, stop_keeping
from safepupil.web import routes
from safepupil.web.context import ServiceContext
from safepupil.web.errors import install_error_handlers
from safepupil.web.settings import WebSettings

STATIC = Path(__file__).parent / "static"
SECURITY_HEADERS = {
    # Scripts, styles and images only from this site; nothing may frame a page.
    "content-security-policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",  # pages show protected tables: never kept by a cache
}


def create_app(deployment: Deployment, settings: WebSettings | None = None) -> FastAPI:
    chosen = settings or WebSettings()
    service = ServiceContext(deployment, deployment.control_engine(), chosen)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Each request opens the store afresh; connections prepared in the background
        # spare it loading the extension (store/ready_connections.py).
        keep_ready(deployment.paths.store_temp)
        try:
            yield
        finally:
            stop_keeping(deployment.paths.store_temp)
            service.control.dispose()

    app = FastAPI(
        title="safepupil",
        version=__version__,
        summary="Five Safes research service for pupil records: every output protected",
        docs_url=None,  # served by pages/docs.py with vendored assets
        redoc_url=None,
        openapi_url="/openapi.json" if chosen.docs else None,
        lifespan=lifespan,
    )
    app.state.service = service
    app.middleware("http")(_security_headers)
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in routes.ROUTERS:
        app.include_router(router)
    return app


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
