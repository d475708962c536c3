"""My releases (``/workbench/releases``, its JSON twin and ``GET /api/v1/releases``): a
researcher's own releases under their projects, newest first, each with its state and,
for a released table only, its figures, page and CSV; never another project's, and
nothing without a sign-in."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from safepupil.governance import service
from safepupil.release.history import list_own_releases, state_of
from safepupil.release.records import HELD, REFUSED, RELEASED
from safepupil.release.review import ReviewDecision, review_release
from safepupil.web.app import create_app
from safepupil.web.settings import WebSettings
from tests.release.conftest import approved
from tests.release.support import record_release
from tests.web.browser_support import AP, DataSite, data_site
from tests.web.conftest import BASE_URL, sign_in

HTML = {"accept": "text/html"}
BY_LA_AND_SEX = f"SELECT la, sex, COUNT(*) FROM {AP} GROUP BY la, sex"
HELD_PUPILS = 4321  # a figure worked out for a held release: never shown


@dataclasses.dataclass(frozen=True)
class Releases:
    site: DataSite
    other_project: int  # approved; the cast's member applied for it
    released: dict[str, Any]  # the applicant's release document, released at once
    held: str  # the applicant's, held
    rejected: str  # the applicant's, rejected by an output checker
    refused: str  # the applicant's, refused by disclosure control
    members_release: str  # the member's, in the other project
    stray: str  # the applicant's id on a project they are not a member of


@pytest.fixture(scope="module")
def web(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Releases:
    site = data_site(demo_template, tmp_path_factory.mktemp("my-releases"))
    cast = site.cast
    other = approved(site.deployment, cast.member.id, (cast.approver_1.id, cast.approver_2.id))
    with _client(site) as client:
        csrf = sign_in(client, cast.applicant.email)
        answer = client.post(
            f"/workbench/projects/{site.project_id}/submit.json",
            data={"csrf_token": csrf, "mode": "sql", "sql": BY_LA_AND_SEX},
        )
        assert answer.status_code == 200, answer.text
        released = answer.json()["release"]
    rejected = _store(site, site.project_id, cast.applicant.id, HELD)
    checker = _person_id(site, site.checkers[0])
    review_release(site.deployment, rejected, checker, ReviewDecision.REJECT, "differencing")
    return Releases(
        site=site,
        other_project=other,
        released=released,
        held=_store(site, site.project_id, cast.applicant.id, HELD),
        rejected=rejected,
        refused=_store(site, site.project_id, cast.applicant.id, REFUSED, pupils=0),
        members_release=_store(site, other, cast.member.id, RELEASED),
        stray=_store(site, other, cast.applicant.id, RELEASED),
    )


def _store(
    site: DataSite, project_id: int, person_id: int, status: str, pupils: int = HELD_PUPILS
) -> str:
    """A release recorded as the pipeline records one, with figures that must stay unsaid
    unless it is released."""
    return record_release(
        site.deployment, project_id, person_id, status=status, pupils=pupils, cells=(17, 3)
    )


def _person_id(site: DataSite, email: str) -> int:
    engine = site.deployment.control_engine()
    found = service.find_person(engine, email).id
    engine.dispose()
    return found


@contextlib.contextmanager
def _client(site: DataSite) -> Iterator[TestClient]:
    with TestClient(create_app(site.deployment, WebSettings()), base_url=BASE_URL) as made:
        yield made


@pytest.fixture
def client(web: Releases) -> Iterator[TestClient]:
    with _client(web.site) as made:
        yield made


def _ids(listed: dict[str, Any]) -> list[str]:
    return [release["release_id"] for release in listed["releases"]]


def _row(listed: dict[str, Any], release_id: str) -> dict[str, Any]:
    return next(r for r in listed["releases"] if r["release_id"] == release_id)


# ---- what is listed -----------------------------------------------------------------------


def test_a_researcher_sees_their_releases_and_not_another_projects(
    client: TestClient, web: Releases
) -> None:
    sign_in(client, web.site.cast.applicant.email)
    listed = client.get("/workbench/releases.json").json()
    mine = [web.refused, web.held, web.rejected, web.released["release_id"]]  # newest first
    # Other tests may add releases of the applicant's: these four keep their order.
    assert [i for i in _ids(listed) if i in mine] == mine
    assert listed["total"] == len(listed["releases"])
    assert web.members_release not in _ids(listed)  # another person, another project
    assert web.stray not in _ids(listed)  # their own id, but not their project
    assert {r["project_id"] for r in listed["releases"]} == {web.site.project_id}
    sign_in(client, web.site.cast.member.email)
    theirs = client.get("/workbench/releases.json").json()
    assert _ids(theirs) == [web.members_release]
    sign_in(client, web.site.cast.outsider.email)
    assert client.get("/workbench/releases.json").json()["releases"] == []


def test_each_release_says_its_state_and_only_a_released_one_its_figures(
    client: TestClient, web: Releases
) -> None:
    sign_in(client, web.site.cast.applicant.email)
    listed = client.get("/workbench/releases.json").json()
    released = _row(listed, web.released["release_id"])
    assert released["state"] == "released" and released["dataset"] == AP
    assert released["pupils"] == web.released["pupils"]
    assert released["cells"] == len(web.released["cells"])
    suppressed = sum(c["status"] in ("primary", "secondary") for c in web.released["cells"])
    assert released["cells_suppressed"] == suppressed
    assert released["project_title"] == "Absence and alternative provision"
    assert released["page"] == f"/workbench/releases/{web.released['release_id']}"
    assert released["csv"] == f"/api/v1/releases/{web.released['release_id']}/table.csv"
    for release_id, state in ((web.held, "held"), (web.rejected, "rejected"),
                              (web.refused, "refused")):  # fmt: skip
        row = _row(listed, release_id)
        assert row["state"] == state
        assert row["pupils"] is row["cells"] is row["cells_suppressed"] is row["csv"] is None
    page = client.get("/workbench/releases", headers=HTML).text
    assert str(HELD_PUPILS) not in page and f"{HELD_PUPILS:,}" not in page


def test_the_page_links_each_release_and_its_csv(client: TestClient, web: Releases) -> None:
    sign_in(client, web.site.cast.applicant.email)
    page = client.get("/workbench/releases", headers=HTML)
    assert page.status_code == 200 and "<h1>My releases</h1>" in page.text
    release_id = web.released["release_id"]
    assert f'href="/workbench/releases/{release_id}"' in page.text
    assert f'href="/api/v1/releases/{release_id}/table.csv" download' in page.text
    assert f'href="/workbench/releases/{web.held}"' in page.text
    assert f"/api/v1/releases/{web.held}/table.csv" not in page.text  # nothing to download
    assert "not shown" in page.text and 'class="status-rejected"' in page.text
    assert web.members_release not in page.text
    csv = client.get(f"/api/v1/releases/{release_id}/table.csv")
    checksum = hashlib.sha256(csv.content).hexdigest()
    assert csv.status_code == 200
    assert checksum == csv.headers["x-checksum-sha256"] == web.released["checksum_sha256_csv"]


def test_the_workbench_and_every_page_link_to_my_releases(
    client: TestClient, web: Releases
) -> None:
    sign_in(client, web.site.cast.applicant.email)
    workbench = client.get("/workbench", headers=HTML).text
    nav = workbench.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/workbench/releases">My releases</a>' in nav
    assert 'href="/workbench/releases"' in workbench.split("<main", 1)[1]
    release = client.get(f"/workbench/releases/{web.held}", headers=HTML).text
    assert 'href="/workbench/releases">my releases</a>' in release  # the way back
    sign_in(client, web.site.cast.custodian.email)
    assert "My releases" not in client.get("/", headers=HTML).text  # not a researcher


def test_the_json_twin_is_the_api_answer(client: TestClient, web: Releases) -> None:
    engine = web.site.deployment.control_engine()
    token = service.create_token(engine, web.site.cast.applicant.id).secret
    engine.dispose()
    api = client.get("/api/v1/releases", headers={"authorization": f"Bearer {token}"}).json()
    sign_in(client, web.site.cast.applicant.email)
    twin = client.get("/workbench/releases.json").json()
    assert twin == {**api, "page": 1, "pages": 1}
    assert set(twin["releases"][0]) == {
        "release_id", "created_at", "project_id", "project_title", "dataset", "status",
        "state", "cells", "cells_suppressed", "pupils", "page", "csv",
    }  # fmt: skip


def test_the_api_pages_through_the_list(client: TestClient, web: Releases) -> None:
    engine = web.site.deployment.control_engine()
    auth = {
        "authorization": f"Bearer {service.create_token(engine, web.site.cast.applicant.id).secret}"
    }
    engine.dispose()
    everything = _ids(client.get("/api/v1/releases", headers=auth).json())
    pages = [
        client.get(f"/api/v1/releases?offset={n}&limit=1", headers=auth).json()
        for n in range(len(everything) + 1)
    ]
    assert [_ids(p) for p in pages] == [[i] for i in everything] + [[]]
    assert {p["total"] for p in pages} == {len(everything)}
    for wrong in ("limit=0", "limit=201", "offset=-1"):
        answer = client.get(f"/api/v1/releases?{wrong}", headers=auth)
        assert answer.status_code == 422 and answer.json()["code"] == "bad_request"


def test_a_page_past_the_last_is_empty_and_page_zero_is_refused(
    client: TestClient, web: Releases
) -> None:
    sign_in(client, web.site.cast.applicant.email)
    later = client.get("/workbench/releases?page=2", headers=HTML)
    assert later.status_code == 200 and "There are no releases on page 2" in later.text
    assert client.get("/workbench/releases.json?page=2").json()["releases"] == []
    assert client.get("/workbench/releases.json?page=0").status_code == 422


def test_the_footers_json_link_keeps_the_page(client: TestClient, web: Releases) -> None:
    sign_in(client, web.site.cast.applicant.email)
    first = client.get("/workbench/releases", headers=HTML).text
    assert '<a href="/workbench/releases.json">This page as JSON</a>' in first
    later = client.get("/workbench/releases?page=2", headers=HTML).text
    assert '<a href="/workbench/releases.json?page=2">This page as JSON</a>' in later
    twin = client.get("/workbench/releases.json?page=2").json()
    assert twin["page"] == 2 and twin["releases"] == []  # page 2 as JSON, not page 1


# ---- who may not -------------------------------------------------------------------------


def test_no_sign_in_is_sent_to_sign_in_or_refused(client: TestClient) -> None:
    page = client.get("/workbench/releases", headers=HTML, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/sign-in?next=/workbench/releases"
    for path in ("/workbench/releases.json", "/api/v1/releases"):
        answer = client.get(path)
        assert answer.status_code == 401 and answer.json()["code"] == "not_signed_in"


def test_my_releases_need_the_researcher_role(client: TestClient, web: Releases) -> None:
    sign_in(client, web.site.cast.custodian.email)
    answer = client.get("/workbench/releases.json")
    assert answer.status_code == 403 and "researcher role" in answer.json()["message"]


# ---- the service, below the pages --------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "decisions", "state"),
    [
        (RELEASED, set(), "released"),
        (RELEASED, {"approve"}, "approved"),
        (HELD, set(), "held"),
        (HELD, {"approve"}, "held"),  # one approval of two: still held
        (REFUSED, {"reject"}, "rejected"),
        (REFUSED, {"approve", "reject"}, "rejected"),
        (REFUSED, set(), "refused"),  # disclosure control found no safe pattern
        (REFUSED, {"approve"}, "refused"),  # approved, but the run after review was refused
    ],
)
def test_the_state_in_words(status: str, decisions: set[str], state: str) -> None:
    assert state_of(status, frozenset(decisions)) == state


def test_an_approved_release_is_listed_as_approved_with_its_csv(web: Releases) -> None:
    release_id = _store(web.site, web.site.project_id, web.site.cast.applicant.id, HELD)
    for email in web.site.checkers:
        checker = _person_id(web.site, email)
        review_release(web.site.deployment, release_id, checker, ReviewDecision.APPROVE)
    engine = web.site.deployment.control_engine()
    found = list_own_releases(engine, web.site.cast.applicant.id, limit=1)
    engine.dispose()
    (newest,) = found.releases
    assert newest.id == release_id and newest.state == "approved" and newest.has_table
    assert newest.pupils is not None and newest.pupils != HELD_PUPILS  # the re-run's figure
