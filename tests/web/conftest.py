"""A real deployment (SQLite and PostgreSQL control planes) behind the real app.

The client speaks HTTPS to the app in-process (Starlette's TestClient), so Secure
cookies behave as in a browser. The browser tests drive the same app served by uvicorn.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from safepupil.demo.flow import DemoResult, run_demo
from safepupil.governance import service
from safepupil.governance.people import Person
from safepupil.governance.roles import Role
from safepupil.store.deployment import Deployment, init_deployment, load_deployment
from safepupil.synth.spec import SynthSpec
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


# ---- the JSON API: a person in every role, each with a token ----------------------------

ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Api:
    deployment: Deployment
    client: TestClient
    people: dict[str, Person]  # by part: researcher, unaccredited, approver, custodian...
    tokens: dict[str, str]  # the same keys: each person's bearer token

    def auth(self, who: str) -> dict[str, str]:
        return {} if who == ANONYMOUS else {"authorization": f"Bearer {self.tokens[who]}"}

    def engine(self) -> sa.Engine:
        return self.deployment.control_engine()


def add_api_people(engine: sa.Engine, la_code: str) -> dict[str, Person]:
    cast = add_cast(engine)

    def add(name: str, *roles: Role, la: str | None = None) -> Person:
        email = f"{name.replace(' ', '.')}@example.org"
        return service.add_person(
            engine, name=name.title(), email=email, roles=roles, organisation="Example", la_code=la
        )

    return {
        "researcher": cast.applicant,  # accredited; applies for the first project
        "member": cast.member,  # accredited; applies for the second project
        "outsider": cast.outsider,  # accredited; in no project
        "unaccredited": add("una credited", Role.RESEARCHER),
        "approver": cast.approver_1,
        "approver_2": cast.approver_2,
        "custodian": cast.custodian,
        "checker": add("olive checker", Role.OUTPUT_CHECKER),
        "checker_2": add("oscar checker", Role.OUTPUT_CHECKER),
        "submitter": add("sam submitter", Role.LA_SUBMITTER, la=la_code),
    }


@contextlib.contextmanager
def api_site(deployment: Deployment, la_code: str = "201") -> Iterator[Api]:
    engine = deployment.control_engine()
    people = add_api_people(engine, la_code)
    tokens = {part: service.create_token(engine, p.id).secret for part, p in people.items()}
    engine.dispose()
    with TestClient(create_app(deployment), base_url=BASE_URL) as client:
        yield Api(deployment, client, people, tokens)


@pytest.fixture
def api(deployment: Deployment) -> Iterator[Api]:
    """An empty deployment (SQLite and PostgreSQL control planes) with the people."""
    with api_site(deployment) as made:
        yield made


# ---- a deployment with data (the demo flow), built once and copied per module -----------


@dataclass(frozen=True)
class DataApi:
    api: Api
    project_id: int  # approved; the researcher applied for it
    other_project_id: int  # approved; the member applied for it
    submissions: tuple[Path, ...]  # the demo's sealed submissions (all loaded)
    returns: Path  # the demo's LA returns (to seal new versions)


_DEMO: list[DemoResult] = []


def demo_once(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    if not _DEMO:
        root = tmp_path_factory.mktemp("web-demo") / "demo"
        _DEMO.append(run_demo(root, SynthSpec(pupils=1500, school_pupils=5000)))
    return _DEMO[0]


@pytest.fixture(scope="module")
def data_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DataApi]:
    from safepupil.web.api.submissions import claimed_la
    from tests.release.conftest import approved

    demo = demo_once(tmp_path_factory)
    home = tmp_path_factory.mktemp("web-data") / "home"
    shutil.copytree(demo.paths.home, home)
    deployment = load_deployment(home)
    submissions = tuple(sorted(r.submission for r in demo.receipts))
    with api_site(deployment, la_code=claimed_la(submissions[0])) as made:
        approvers = (made.people["approver"].id, made.people["approver_2"].id)
        first = approved(deployment, made.people["researcher"].id, approvers)
        second = approved(deployment, made.people["member"].id, approvers)
        yield DataApi(made, first, second, submissions, demo.paths.returns)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A deployment holding data (the demo flow), built once per session; modules copy it
    (tests/web/browser_support.py)."""
    from tests.web.browser_support import build_template

    return build_template(tmp_path_factory.mktemp("web-demo") / "demo")
