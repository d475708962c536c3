"""Support for the page and browser tests: a deployment holding data, the app served by
uvicorn on 127.0.0.1, and Debian's chromium found (never downloaded).

The deployment is the demo flow's (SynthSpec(pupils=1500, school_pupils=5000)) with a
cast of people, an approved project and two output checkers. It is built once per test
session and copied for each module that uses it (a copy of the home takes a moment; the
demo takes most of a minute), so modules never see each other's releases.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import ViewportSize

from safepupil.demo.flow import run_demo
from safepupil.governance import service
from safepupil.governance.people import Person
from safepupil.governance.roles import Role
from safepupil.store.deployment import Deployment, load_deployment
from safepupil.synth.spec import SynthSpec
from tests.governance.support import Cast, add_cast
from tests.release.conftest import approved
from tests.release.support import record_held_release
from tests.web.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
PHONE: ViewportSize = {"width": 375, "height": 667}
AP, SCHOOL = "ap_census_2018", "school_census_2018"
HELD_REASON = "a cell differs from an earlier release by fewer than 10 pupils"


@dataclass(frozen=True)
class DataSite:
    deployment: Deployment
    cast: Cast
    project_id: int  # approved; the cast's applicant is its member
    checkers: tuple[str, str]  # output checkers' addresses


def build_template(root: Path) -> Path:
    """The demo deployment with people and an approved project; returns its home."""
    demo = run_demo(root, SynthSpec(pupils=1500, school_pupils=5000))
    engine = demo.deployment.control_engine()
    cast = add_cast(engine)
    for name in ("olive", "oscar"):
        service.add_person(
            engine,
            name=name.title(),
            email=f"{name}@example.org",
            roles=[Role.OUTPUT_CHECKER],
            organisation="Example",
        )
    people = [p.id for p in service.list_people(engine)]
    for person_id in people:
        service.set_password(engine, person_id, PASSWORD)
    engine.dispose()
    approved(demo.deployment, cast.applicant.id, (cast.approver_1.id, cast.approver_2.id))
    return demo.deployment.home


def data_site(template: Path, where: Path) -> DataSite:
    """A copy of the template deployment, for one module."""
    home = where / "home"
    shutil.copytree(template, home)
    deployment = load_deployment(home)
    engine = deployment.control_engine()
    by_email = {p.email: p for p in service.list_people(engine)}
    project_id = service.list_projects(engine)[0].id
    engine.dispose()

    def person(name: str) -> Person:
        return by_email[f"{name.replace(' ', '.')}@example.org"]

    cast = Cast(
        *(
            person(n)
            for n in (
                "cus todian",
                "approver one",
                "approver two",
                "approver three",
                "ann applicant",
                "mo member",
                "otto outsider",
            )
        )
    )
    return DataSite(deployment, cast, project_id, ("olive@example.org", "oscar@example.org"))


def held_release(site: DataSite) -> str:
    return record_held_release(
        site.deployment, site.project_id, site.cast.applicant.id, HELD_REASON
    )


def pending_project(site: DataSite) -> int:
    """A fresh application from the applicant, waiting for approvers."""
    from tests.governance.support import an_application

    engine = site.deployment.control_engine()
    project = service.apply_for_project(engine, an_application(), site.cast.applicant.id)
    engine.dispose()
    return project.id


# ---- serving the app and finding the browser -----------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1 over plain HTTP, in a thread; its base URL.

    Plain HTTP with Secure cookies works because chromium treats 127.0.0.1 as a secure
    origin (pinned by test_browser_pages.py's sign-in).
    """
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def require_chromium() -> str:
    """Debian's chromium; the browser tests fail (never skip) without it."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"the browser tests need Debian's chromium at {CHROMIUM}: run `make setup-browser`",
            pytrace=False,
        )
    return str(CHROMIUM)
