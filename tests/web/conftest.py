"""A real deployment (SQLite and PostgreSQL control planes) behind the real app.

The client speaks HTTPS to the app in-process (Starlette's TestClient), so Secure
cookies behave as in a browser. The browser tests drive the same app served by uvicorn.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from safepupil.governance import service
from safepupil.store.deployment import Deployment, init_deployment
from safepupil.web.app import create_app
from safepupil.web.settings import WebSettings
from tests.audit.conftest import control_url  # noqa: F401  (a fixture, used by name)
from tests.controlplane.conftest import postgres_url  # noqa: F401
from tests.governance.support import Cast, add_cast

PASSWORD = "correct horse battery staple"
BASE_URL = "https://testserver"


@dataclass(frozen=True)
class Site:
    deployment: Deployment
    cast: Cast
    client: TestClient


def password_for(site: Site, *emails: str) -> None:
    engine = site.deployment.control_engine()
    for email in emails:
        service.set_password(engine, service.find_person(engine, email).id, PASSWORD)
    engine.dispose()


@pytest.fixture
def deployment(tmp_path: Path, control_url: str) -> Deployment:  # noqa: F811
    return init_deployment(tmp_path / "home", control_url).deployment


@pytest.fixture
def site(deployment: Deployment) -> Iterator[Site]:
    engine = deployment.control_engine()
    cast = add_cast(engine)
    engine.dispose()
    app = create_app(deployment, WebSettings())
    with TestClient(app, base_url=BASE_URL) as client:
        yield Site(deployment, cast, client)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the form, as a browser does; returns the page's CSRF token."""
    form = client.get("/sign-in")
    token = form.text.split('name="form_token" value="', 1)[1].split('"', 1)[0]
    answer = client.post(
        "/sign-in",
        data={"email": email, "password": password, "form_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    home = client.get("/", headers={"accept": "text/html"})
    return home.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
