"""What every request handler shares: the deployment and its control-plane engine."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from starlette.requests import Request

from safepupil.store.deployment import Deployment
from safepupil.web.settings import WebSettings


@dataclass(frozen=True)
class ServiceContext:
    deployment: Deployment
    control: Engine  # one pool for the app's life
    settings: WebSettings


def service_of(request: Request) -> ServiceContext:
    context: ServiceContext = request.app.state.service
    return context
