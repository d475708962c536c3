"""Custodian pages: applications waiting for approvers (purpose, public benefit, legal
basis, organisation type, items) with approve and reject forms; people with roles and
accreditation, and forms to add, accredit and disable (custodians only)."""

from __future__ import annotations

import datetime as dt

import httpx

from safepupil.governance import service
from tests.governance.support import an_application
from tests.web.conftest import Site, password_for, sign_in

HTML = {"accept": "text/html"}


def _pending(site: Site) -> int:
    engine = site.deployment.control_engine()
    project = service.apply_for_project(engine, an_application(), site.cast.applicant.id)
    engine.dispose()
    return project.id


def _post(site: Site, path: str, csrf: str, **fields: object) -> httpx.Response:
    answer: httpx.Response = site.client.post(
        path, data={"csrf_token": csrf, **fields}, headers=HTML, follow_redirects=False
    )
    return answer


def test_an_approver_sees_the_application_and_approves_it(site: Site) -> None:
    project_id = _pending(site)
    password_for(site, site.cast.approver_1.email, site.cast.approver_2.email)
    csrf = sign_in(site.client, site.cast.approver_1.email)
    page = site.client.get("/custodian", headers=HTML)
    assert page.status_code == 200
    for shown in ("Measure how many pupils", "Better placement decisions", "public-task",
                  "academic", "ap_census_2018.sex", f"Approve project {project_id}"):  # fmt: skip
        assert shown in page.text
    assert "Add a person" not in page.text  # people are for custodians
    answer = _post(site, f"/custodian/projects/{project_id}/approve", csrf)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/custodian?done=approved&id={project_id}"
    again = _post(site, f"/custodian/projects/{project_id}/approve", csrf)
    assert again.status_code == 403 and "already-decided" in again.text
    csrf = sign_in(site.client, site.cast.approver_2.email)
    twin = site.client.post(
        f"/custodian/projects/{project_id}/approve.json", data={"csrf_token": csrf}
    )
    assert twin.status_code == 200 and twin.json()["status"] == "approved"
    assert not site.client.get("/custodian.json").json()["applications"]


def test_an_approver_rejects_with_a_reason(site: Site) -> None:
    project_id = _pending(site)
    password_for(site, site.cast.approver_1.email)
    csrf = sign_in(site.client, site.cast.approver_1.email)
    answer = _post(site, f"/custodian/projects/{project_id}/reject", csrf, reason="No benefit.")
    assert answer.status_code == 303
    engine = site.deployment.control_engine()
    assert service.get_project(engine, project_id).rejection == (
        site.cast.approver_1.id,
        "No benefit.",
    )
    engine.dispose()


def test_an_approver_may_not_decide_on_their_own_project(site: Site) -> None:
    engine = site.deployment.control_engine()
    own = service.apply_for_project(engine, an_application(), site.cast.approver_3.id)
    engine.dispose()
    password_for(site, site.cast.approver_3.email)
    csrf = sign_in(site.client, site.cast.approver_3.email)
    answer = _post(site, f"/custodian/projects/{own.id}/approve", csrf)
    assert answer.status_code == 403 and "approver-is-applicant" in answer.text


def test_a_custodian_manages_people(site: Site) -> None:
    password_for(site, site.cast.custodian.email)
    csrf = sign_in(site.client, site.cast.custodian.email)
    page = site.client.get("/custodian", headers=HTML)
    assert "Add a person" in page.text and site.cast.applicant.email in page.text
    added = _post(site, "/custodian/people", csrf, name="Rita Reader", email="rita@uni.example",
                  organisation="University of Leeds", role=["researcher"])  # fmt: skip
    assert added.status_code == 303, added.text
    rita = next(p for p in site.client.get("/custodian.json").json()["people"]
                if p["email"] == "rita@uni.example")  # fmt: skip
    assert rita["roles"] == ["researcher"] and rita["accredited_until"] is None
    until = (dt.date.today() + dt.timedelta(days=200)).isoformat()
    accredited = _post(site, f"/custodian/people/{rita['id']}/accredit", csrf, until=until)
    assert accredited.headers["location"] == f"/custodian?done=accredited&id={rita['id']}"
    shown = site.client.get(accredited.headers["location"], headers=HTML)
    assert "accreditation is recorded" in shown.text and until in shown.text
    disabled = _post(site, f"/custodian/people/{rita['id']}/disable", csrf)
    assert disabled.status_code == 303
    twin = site.client.get("/custodian.json").json()
    assert next(p for p in twin["people"] if p["id"] == rita["id"])["active"] is False


def test_a_bad_person_is_refused_with_the_services_message(site: Site) -> None:
    password_for(site, site.cast.custodian.email)
    csrf = sign_in(site.client, site.cast.custodian.email)
    fields = {"name": "Ann Again", "email": site.cast.applicant.email, "organisation": "Example"}
    taken = _post(site, "/custodian/people", csrf, role=["researcher"], **fields)
    assert taken.status_code == 400 and "already has an account" in taken.text
    past = _post(site, f"/custodian/people/{site.cast.applicant.id}/accredit", csrf,
                 until="2001-01-01")  # fmt: skip
    assert past.status_code == 400 and "That could not be done" in past.text


def test_an_approver_cannot_manage_people(site: Site) -> None:
    password_for(site, site.cast.approver_1.email)
    csrf = sign_in(site.client, site.cast.approver_1.email)
    answer = _post(site, f"/custodian/people/{site.cast.applicant.id}/disable", csrf)
    assert answer.status_code == 403
    assert "people" not in site.client.get("/custodian.json").json()


def test_researchers_have_no_custodian_page(site: Site) -> None:
    password_for(site, site.cast.applicant.email)
    sign_in(site.client, site.cast.applicant.email)
    assert site.client.get("/custodian.json").status_code == 403
