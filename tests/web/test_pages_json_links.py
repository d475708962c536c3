"""The footer's "This page as JSON" on every HTML page route: on a GET page the link, if
there is one, answers a GET with that page's data as JSON; a page with no such twin (the
sign-in form, the API description, an error, the answer to a form's POST) shows none.

The routes come from the app itself, so a new page fails here until it is visited.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from safepupil.query.builder import dataset
from safepupil.release.pipeline import run_protected_query
from tests.web.browser_support import AP, held_release, pending_project
from tests.web.conftest import sign_in
from tests.web.portal_support import Portal, enter_code, hidden, portal_site
from tests.web.test_route_guards import _flatten

HTML = {"accept": "text/html"}
LINK = re.compile(r'<a href="([^"]*)">This page as JSON</a>')
NOT_PAGES = (".json", ".csv", ".pdf")  # twins and downloads: no footer of their own
ANYONE = ""


@dataclass(frozen=True)
class Visit:
    who: str  # the email of the person signed in, ANYONE, or "portal" (an access code)
    path: str
    linked: bool  # whether the page has a GET twin to link to
    status: int = 200


@dataclass(frozen=True)
class Places:
    portal: Portal
    held: str  # a release of the applicant's, held for review
    released: str  # a release of the applicant's, released at once
    pending: int  # an application waiting for approvers


@pytest.fixture(scope="module")
def places(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Places]:
    with portal_site(demo_template, tmp_path_factory.mktemp("json-links")) as portal:
        site = portal.site
        query = dataset(AP).by("sex").count().build()
        table = run_protected_query(site.deployment, query, site.project_id, site.cast.applicant.id)
        assert table.release_id is not None
        yield Places(portal, held_release(site), table.release_id, pending_project(site))


def _html_routes(portal: Portal, method: str) -> set[str]:
    """The app's page routes for a method: not the API, not a twin or a download."""
    app = portal.client.app
    assert isinstance(app, FastAPI)
    return {
        route.path
        for route in _flatten(list(app.routes))
        if isinstance(route, APIRoute)
        and method in route.methods
        and not route.path.startswith("/api/")
        and not route.path.endswith(NOT_PAGES)
    }


def _get_visits(places: Places) -> dict[str, list[Visit]]:
    """Each GET page route, with the places in the fixtures that show it."""
    site = places.portal.site
    researcher, checker = site.cast.applicant.email, site.checkers[0]
    custodian = site.cast.custodian.email
    project, la = site.project_id, places.portal.pupil_la
    return {
        "/": [Visit(ANYONE, "/", True), Visit(researcher, "/", True)],
        "/sign-in": [Visit(ANYONE, "/sign-in?next=/workbench", False)],
        "/docs": [Visit(ANYONE, "/docs", False)],
        "/register": [Visit(ANYONE, "/register", True)],
        "/my-data": [Visit(ANYONE, "/my-data", True), Visit("portal", "/my-data?sent=1", True)],
        "/notices/{la_code}": [Visit(ANYONE, f"/notices/{la}", True)],
        "/notices/{la_code}/child": [Visit(ANYONE, f"/notices/{la}/child", True)],
        "/workbench": [
            Visit(researcher, "/workbench", True),
            Visit(custodian, "/workbench", False, 403),  # an error page
        ],
        "/workbench/projects/{project_id}": [
            Visit(researcher, f"/workbench/projects/{project}", True),
            Visit(researcher, "/workbench/projects/999999", False, 404),
        ],
        "/workbench/releases": [
            Visit(researcher, "/workbench/releases", True),
            Visit(researcher, "/workbench/releases?page=2", True),
        ],
        "/workbench/releases/{release_id}": [
            Visit(researcher, f"/workbench/releases/{places.held}", True),
            Visit(researcher, f"/workbench/releases/{places.released}", True),
        ],
        "/checker": [
            Visit(checker, "/checker", True),
            Visit(checker, f"/checker?reviewed={places.held}&outcome=held", True),
        ],
        "/custodian": [
            Visit(custodian, "/custodian", True),
            Visit(custodian, f"/custodian?done=added&id={places.pending}", True),
        ],
    }


class Visitor:
    """One client, signed in as each visit asks (a sign-in is kept until someone else's)."""

    def __init__(self, places: Places) -> None:
        self.portal = places.portal
        self.client = places.portal.client
        self.client.cookies.clear()
        self.who: str | None = None
        self.csrf = ""

    def be(self, who: str) -> None:
        if who == self.who:
            return
        self.client.cookies.clear()
        if who == "portal":
            assert enter_code(self.client, self.portal.code()).status_code == 303
            page = self.client.get("/my-data", headers=HTML).text
            self.csrf = hidden(page, "csrf_token")
        elif who != ANYONE:
            self.csrf = sign_in(self.client, who)
        self.who = who


def _footer_link(page: httpx.Response) -> str | None:
    found = LINK.findall(page.text)
    assert len(found) <= 1, found
    return html.unescape(found[0]) if found else None


def test_every_get_page_route_is_visited(places: Places) -> None:
    assert _html_routes(places.portal, "GET") == set(_get_visits(places))


def test_a_get_pages_json_link_answers_with_json(places: Places) -> None:
    visitor = Visitor(places)
    for route, visits in _get_visits(places).items():
        for visit in visits:
            visitor.be(visit.who)
            page = visitor.client.get(visit.path, headers=HTML, follow_redirects=False)
            where = f"{route}: GET {visit.path} as {visit.who or 'anyone'}"
            assert page.headers["content-type"].startswith("text/html"), where
            assert page.status_code == visit.status, f"{where}: {page.status_code}"
            link = _footer_link(page)
            assert (link is not None) is visit.linked, f"{where}: {link}"
            if link is None:
                continue
            twin = visitor.client.get(link, follow_redirects=False)
            assert twin.status_code == 200, f"{where}: {link} answered {twin.status_code}"
            assert twin.headers["content-type"] == "application/json", where
            assert isinstance(twin.json(), dict), where


def test_the_twin_keeps_the_pages_query_string(places: Places) -> None:
    visitor = Visitor(places)
    visitor.be(places.portal.site.checkers[0])
    path = f"/checker?reviewed={places.held}&outcome=held"
    link = _footer_link(visitor.client.get(path, headers=HTML))
    assert link == f"/checker.json?reviewed={places.held}&outcome=held"
    assert visitor.client.get(link).json()["done"] == {"release_id": places.held, "status": "held"}


def _post_visits(places: Places) -> dict[str, tuple[str, str, dict[str, object]]]:
    """Each POST page route: who posts, where, and a form whose answer is a page (a result
    or a refusal shown on the page), or a redirect. The CSRF token is added."""
    site = places.portal.site
    researcher, custodian = site.cast.applicant.email, site.cast.custodian.email
    project = f"/workbench/projects/{site.project_id}"
    query = {"mode": "form", "dataset": AP, "dimension": ["sex"], "measure": "count"}
    taken = {"name": "Ann Again", "email": researcher, "organisation": "Example"}
    applicant = site.cast.applicant.id
    return {
        "/sign-in": (ANYONE, "/sign-in", {"email": researcher, "password": "wrong"}),
        "/sign-out": (researcher, "/sign-out", {}),
        "/my-data": (ANYONE, "/my-data", {"code": "not-a-code"}),
        "/my-data/corrections": (
            "portal",
            "/my-data/corrections",
            {"item": "ap_census_2018.sex", "value": "QZXW", "reason": "wrong"},
        ),
        "/my-data/leave": ("portal", "/my-data/leave", {}),
        "/workbench/projects/{project_id}/try": (researcher, f"{project}/try", query),
        "/workbench/projects/{project_id}/submit": (researcher, f"{project}/submit", query),
        "/checker/releases/{release_id}/review": (
            site.checkers[0],
            f"/checker/releases/{places.held}/review",
            {"decision": "reject", "note": ""},  # refused: a rejection needs a note
        ),
        "/custodian/projects/{project_id}/approve": (
            custodian,  # refused: a custodian is not an approver
            f"/custodian/projects/{places.pending}/approve",
            {},
        ),
        "/custodian/projects/{project_id}/reject": (
            custodian,
            f"/custodian/projects/{places.pending}/reject",
            {"reason": "No."},
        ),
        "/custodian/people": (custodian, "/custodian/people", {"role": ["researcher"], **taken}),
        "/custodian/people/{person_id}/accredit": (
            custodian,
            f"/custodian/people/{applicant}/accredit",
            {"until": "2001-01-01"},
        ),
        "/custodian/people/{person_id}/disable": (
            custodian,
            "/custodian/people/999999/disable",
            {},
        ),
    }


def test_every_post_page_route_is_posted(places: Places) -> None:
    assert _html_routes(places.portal, "POST") == set(_post_visits(places))


def test_a_page_answering_a_post_has_no_json_link(places: Places) -> None:
    """Its .json twin takes a POST, and no GET shows what the POST did."""
    visitor = Visitor(places)
    redirected: set[str] = set()
    for route, (who, path, fields) in _post_visits(places).items():
        visitor.be(who)
        if path == "/sign-in":
            form = visitor.client.get("/sign-in").text
            fields = {**fields, "form_token": hidden(form, "form_token")}
        if path == "/my-data":
            form = visitor.client.get("/my-data", headers=HTML).text
            fields = {**fields, "form_token": hidden(form, "form_token")}
        data = {"csrf_token": visitor.csrf, **fields}
        answer = visitor.client.post(path, data=data, headers=HTML, follow_redirects=False)
        if answer.status_code == 303:  # a redirect to a GET page, visited above
            redirected.add(route)
            visitor.who = None  # signing out or leaving ends the visitor's session
            continue
        assert answer.headers["content-type"].startswith("text/html"), route
        assert _footer_link(answer) is None, f"{route}: POST {path} ({answer.status_code})"
    # Every other form answered with a page, so the check above is not vacuous.
    assert redirected == {"/sign-out", "/my-data/leave"}
