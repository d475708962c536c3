"""The app as uvicorn's worker processes build it: configuration from the environment
that ``safepupil serve`` set, read here once, at the edge."""

from __future__ import annotations

from fastapi import FastAPI

from safepupil.config import settings_from_environment
from safepupil.store.deployment import load_deployment
from safepupil.web.app import create_app


def app_from_environment() -> FastAPI:
    return create_app(load_deployment(settings_from_environment().home))
