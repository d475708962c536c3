"""The output checker's queue: held releases with reasons and no values; approve and
reject forms with a note; the requester and a second review refused with the service's
message; two approvals release the table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from safepupil.web.app import create_app
from safepupil.web.settings import WebSettings
from tests.web.browser_support import HELD_REASON, DataSite, data_site, held_release
from tests.web.conftest import BASE_URL, sign_in

HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def web(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> DataSite:
    return data_site(demo_template, tmp_path_factory.mktemp("checker"))


@pytest.fixture
def client(web: DataSite) -> Iterator[TestClient]:
    with TestClient(create_app(web.deployment, WebSettings()), base_url=BASE_URL) as made:
        yield made


def _review(
    client: TestClient, csrf: str, release_id: str, decision: str, note: str = ""
) -> httpx.Response:
    answer: httpx.Response = client.post(
        f"/checker/releases/{release_id}/review",
        data={"csrf_token": csrf, "decision": decision, "note": note},
        headers=HTML,
        follow_redirects=False,
    )
    return answer


def test_the_queue_shows_reasons_and_never_a_value(client: TestClient, web: DataSite) -> None:
    release_id = held_release(web)
    sign_in(client, web.checkers[0])
    page = client.get("/checker", headers=HTML)
    assert page.status_code == 200
    assert release_id in page.text and HELD_REASON in page.text
    assert "<table" not in page.text  # nothing tabular: a held release shows no cells
    twin = client.get("/checker.json").json()
    entry = next(h for h in twin["held"] if h["release_id"] == release_id)
    assert entry["reasons"] == [HELD_REASON] and entry["approvals"] == []
    assert set(entry) >= {"project_id", "dataset", "requester_id", "approvals_needed"}
    assert not {"rows", "cells", "columns"} & set(entry)


def test_two_checkers_approve_and_the_release_is_released(
    client: TestClient, web: DataSite
) -> None:
    release_id = held_release(web)
    csrf = sign_in(client, web.checkers[0])
    first = _review(client, csrf, release_id, "approve", "looks fine")
    assert first.status_code == 303
    assert first.headers["location"] == f"/checker?reviewed={release_id}&outcome=held"
    notice = client.get(first.headers["location"], headers=HTML)
    assert f"Your review of release {release_id} is recorded" in notice.text
    csrf = sign_in(client, web.checkers[1])
    second = client.post(
        f"/checker/releases/{release_id}/review.json",
        data={"csrf_token": csrf, "decision": "approve"},
    )
    assert second.status_code == 200 and second.json()["status"] == "released"
    assert release_id not in client.get("/checker", headers=HTML).text


def test_a_checker_cannot_review_twice(client: TestClient, web: DataSite) -> None:
    release_id = held_release(web)
    csrf = sign_in(client, web.checkers[0])
    assert _review(client, csrf, release_id, "approve").status_code == 303
    again = _review(client, csrf, release_id, "approve")
    assert again.status_code == 403
    assert "Your review was not recorded" in again.text and "already-reviewed" in again.text


def test_a_rejection_needs_a_note_and_the_note_reaches_the_requester(
    client: TestClient, web: DataSite
) -> None:
    release_id = held_release(web)
    csrf = sign_in(client, web.checkers[0])
    bare = _review(client, csrf, release_id, "reject")
    assert bare.status_code == 400 and "a rejection needs a note" in bare.text
    done = _review(client, csrf, release_id, "reject", "Cells too small in several LAs.")
    assert done.headers["location"].endswith("outcome=refused")
    sign_in(client, web.cast.applicant.email)
    mine = client.get(f"/workbench/releases/{release_id}", headers=HTML)
    assert "refused" in mine.text and "Cells too small in several LAs." in mine.text


def test_the_requester_cannot_review_their_own_release(client: TestClient, web: DataSite) -> None:
    held_release(web)
    sign_in(client, web.cast.applicant.email)  # a researcher: not an output checker at all
    assert client.get("/checker.json").status_code == 403
