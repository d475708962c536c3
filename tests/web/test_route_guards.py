"""Security property 6: every route checks permission first, and the default is deny.

Each route's first dependency must be one of the guards in safepupil.web.guards, and
every route that is not explicitly public refuses a request with no sign-in.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from safepupil.store.deployment import Deployment, init_deployment
from safepupil.web.app import create_app
from safepupil.web.guards import GUARDS, public

# Routes FastAPI itself adds: the OpenAPI description is public by design.
FRAMEWORK_PUBLIC = {"/openapi.json"}


@pytest.fixture(scope="module")
def app_routes(tmp_path_factory: pytest.TempPathFactory) -> list[object]:
    deployment: Deployment = init_deployment(tmp_path_factory.mktemp("guards") / "h").deployment
    return list(create_app(deployment).routes)


def _flatten(routes: list[object]) -> list[object]:
    """The app's routes, with included routers opened (FastAPI keeps them as one entry
    each; their routes carry the router's dependencies first)."""
    flat: list[object] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        flat += _flatten(list(included.routes)) if included is not None else [route]
    return flat


def _api_routes(routes: list[object]) -> list[APIRoute]:
    return [route for route in _flatten(routes) if isinstance(route, APIRoute)]


def test_the_app_has_routes_to_check(app_routes: list[object]) -> None:
    assert len(_api_routes(app_routes)) >= 5  # the checks below are not vacuous


def test_every_route_has_a_guard_as_its_first_dependency(app_routes: list[object]) -> None:
    unguarded = []
    for route in _api_routes(app_routes):
        dependencies = route.dependant.dependencies
        if not dependencies or dependencies[0].call not in GUARDS:
            unguarded.append(f"{sorted(route.methods)} {route.path}")
    assert unguarded == []


def test_nothing_but_static_files_and_the_api_description_escapes_the_guards(
    app_routes: list[object],
) -> None:
    others = [r for r in _flatten(app_routes) if not isinstance(r, APIRoute)]
    for route in others:
        if isinstance(route, Mount):
            assert route.path == "/static"
        else:
            assert isinstance(route, Route) and route.path in FRAMEWORK_PUBLIC


def test_only_the_listed_pages_are_public(app_routes: list[object]) -> None:
    public_paths = sorted(
        {r.path for r in _api_routes(app_routes) if r.dependant.dependencies[0].call is public}
    )
    allowed = re.compile(r"^/($|index\.json$|sign-in$|docs$|register|my-data|notices|privacy)")
    assert [path for path in public_paths if not allowed.match(path)] == []


def test_every_guarded_route_refuses_a_request_with_no_sign_in(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    deployment = init_deployment(tmp_path / "h").deployment
    app = create_app(deployment)
    with TestClient(app, base_url="https://testserver") as client:
        for route in _api_routes(list(app.routes)):
            if route.dependant.dependencies[0].call is public:
                continue
            path = re.sub(r"\{[^}]+\}", "1", route.path)
            for method in sorted(route.methods - {"HEAD"}):
                answer = client.request(method, path)
                assert answer.status_code == 401, f"{method} {route.path}: {answer.status_code}"
                assert answer.json()["code"] == "not_signed_in"
