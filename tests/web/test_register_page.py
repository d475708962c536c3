"""The public register page: no sign-in, follows releases as they happen, matches the
audit log release by release, and its CSV downloads are the files `register export`
writes."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from safepupil.audit.log import read_entries
from safepupil.query.builder import dataset
from safepupil.release.pipeline import run_protected_query
from safepupil.release.records import REFUSED
from safepupil.transparency.register import build_register, export_register
from tests.transparency.conftest import store_with_event
from tests.web.portal_support import Portal, portal_site

AP = "ap_census_2018"
HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def portal(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    with portal_site(demo_template, tmp_path_factory.mktemp("register")) as made:
        yield made


def _release(portal: Portal, *dimensions: str) -> str:
    query = dataset(AP).by(*dimensions).count().build()
    site = portal.site
    table = run_protected_query(site.deployment, query, site.project_id, site.cast.applicant.id)
    assert table.release_id is not None
    return table.release_id


def test_the_register_is_public_and_lists_the_approved_project(portal: Portal) -> None:
    answer = portal.client.get("/register", headers=HTML)
    assert answer.status_code == 200
    assert "Absence and alternative provision" in answer.text
    assert "University of Somewhere" in answer.text
    assert "a task in the public interest" in answer.text
    assert "ap_census_2018.placement_reason" in answer.text
    assert 'href="/register/projects.csv"' in answer.text


def test_a_release_appears_on_the_page_right_after_it_is_made(portal: Portal) -> None:
    before = portal.client.get("/register.json").json()
    release_id = _release(portal, "la", "sex")
    after = portal.client.get("/register.json").json()
    assert release_id not in {r["id"] for r in before["releases"]}
    listed = {r["id"]: r for r in after["releases"]}
    assert listed[release_id]["what"].startswith("number of pupils by")
    assert listed[release_id]["pupils"] > 0 and len(listed[release_id]["checksum"]) == 64
    page = portal.client.get("/register", headers=HTML).text
    assert f'id="release-{release_id}"' in page
    assert listed[release_id]["checksum"] in page


def test_the_page_matches_the_audit_log_release_by_release(portal: Portal) -> None:
    _release(portal, "sex")
    # A refused release, stored and recorded as the pipeline does: counted, never listed.
    store_with_event(
        portal.site.deployment, portal.site.project_id, portal.site.cast.applicant.id, (),
        status=REFUSED,
    )  # fmt: skip
    document = portal.client.get("/register.json").json()
    engine = portal.site.deployment.control_engine()
    made = read_entries(engine, kind="release_made", limit=10_000)
    refused = read_entries(engine, kind="release_refused", limit=10_000)
    engine.dispose()
    from_log = {str(e.payload["release_id"]): e.pupils for e in made}
    assert {r["id"]: r["pupils"] for r in document["releases"]} == from_log
    assert document["refused_releases"] == len(refused) >= 1
    project = next(p for p in document["projects"] if p["id"] == portal.site.project_id)
    assert project["releases"] == len(from_log)
    page = portal.client.get("/register", headers=HTML).text
    for release_id in from_log:
        assert f'id="release-{release_id}"' in page


def test_the_csv_downloads_are_the_exported_files(portal: Portal, tmp_path: Path) -> None:
    engine = portal.site.deployment.control_engine()
    export_register(build_register(engine), tmp_path)
    engine.dispose()
    for name in ("projects.csv", "releases.csv"):
        answer = portal.client.get(f"/register/{name}")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        assert "attachment" in answer.headers["content-disposition"]
        assert answer.content == (tmp_path / name).read_bytes()
    rows = list(csv.DictReader(io.StringIO(portal.client.get("/register/releases.csv").text)))
    assert {r["project_id"] for r in rows} <= {str(portal.site.project_id)}


def test_the_json_twin_has_the_registers_format(portal: Portal) -> None:
    document = portal.client.get("/register.json").json()
    assert document["format"] == 1
    assert set(document) == {"format", "generated_at", "projects", "releases", "refused_releases"}
