"""Projects, people and tokens through the JSON API (an empty deployment, SQLite).

Visibility of projects, the two-person approval, custodians' changes to people, and
tokens: expiry and revocation refuse the token at once, the secret is shown once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from safepupil.audit.log import read_entries
from safepupil.governance import service
from safepupil.governance.roles import Role
from tests.governance.support import TODAY
from tests.web.conftest import Api

AP = "ap_census_2018"


@pytest.fixture
def control_url(tmp_path: Any) -> str:  # SQLite only here: the matrix covers PostgreSQL
    return f"sqlite:///{tmp_path / 'control.db'}"


def _application(**changes: Any) -> dict[str, Any]:
    body = {
        "title": "Return to school after alternative provision",
        "purpose": "Measure how many pupils placed in AP return to a mainstream school.",
        "public_benefit": "Better placement decisions by local authorities.",
        "legal_basis": "public-task",
        "organisation": "University of Somewhere",
        "organisation_type": "academic",
        "datasets": [AP],
        "items": ["sex", "la"],
        "start": TODAY.isoformat(),
        "end": (TODAY + dt.timedelta(days=180)).isoformat(),
    }
    return body | changes


def _apply(api: Api, who: str, **changes: Any) -> Any:
    return api.client.post("/api/v1/projects", json=_application(**changes), headers=api.auth(who))


def test_a_project_is_applied_for_seen_by_its_members_and_approved_by_two(api: Api) -> None:
    applied = _apply(api, "researcher", members=[api.people["member"].email])
    assert applied.status_code == 201, applied.text
    project = applied.json()
    assert project["status"] == "pending" and project["items"] == [f"{AP}.la", f"{AP}.sex"]
    path = f"/api/v1/projects/{project['id']}"
    for who, sees in (("researcher", True), ("member", True), ("outsider", False)):
        listed = {p["id"] for p in api.client.get("/api/v1/projects", headers=api.auth(who)).json()}
        assert (project["id"] in listed) is sees
        one = api.client.get(path, headers=api.auth(who))
        assert one.status_code == (200 if sees else 403)
    refused = api.client.get(path, headers=api.auth("outsider")).json()
    assert refused["message"].startswith("not-a-member:")
    for who in ("approver", "custodian"):
        assert api.client.get(path, headers=api.auth(who)).status_code == 200
    first = api.client.post(f"{path}/approve", headers=api.auth("approver"))
    assert first.json()["status"] == "pending" and first.json()["approvers"] == [
        api.people["approver"].id
    ]
    twice = api.client.post(f"{path}/approve", headers=api.auth("approver"))
    assert twice.status_code == 403 and twice.json()["message"].startswith("already-decided:")
    second = api.client.post(f"{path}/approve", headers=api.auth("approver_2"))
    assert second.json()["status"] == "approved"


def test_an_approver_cannot_decide_on_their_own_project(api: Api) -> None:
    engine = api.engine()
    service.add_person(
        engine,
        name="Ada Both",
        email="ada.both@example.org",
        roles=[Role.APPROVER, Role.RESEARCHER],
        organisation="Example",
    )
    both = service.find_person(engine, "ada.both@example.org")
    token = service.create_token(engine, both.id).secret
    engine.dispose()
    headers = {"authorization": f"Bearer {token}"}
    project = api.client.post("/api/v1/projects", json=_application(), headers=headers).json()
    answer = api.client.post(f"/api/v1/projects/{project['id']}/approve", headers=headers)
    assert answer.status_code == 403
    assert answer.json()["message"].startswith("approver-is-applicant:")


def test_a_rejection_needs_a_reason(api: Api) -> None:
    project = _apply(api, "researcher").json()
    path = f"/api/v1/projects/{project['id']}/reject"
    empty = api.client.post(path, json={}, headers=api.auth("approver"))
    assert empty.status_code == 422 and "reason" in empty.json()["message"]
    done = api.client.post(
        path, json={"reason": "No public benefit."}, headers=api.auth("approver")
    )
    assert done.json()["status"] == "rejected"
    assert done.json()["rejection"]["reason"] == "No public benefit."


def test_bad_applications_are_refused_naming_the_field(api: Api) -> None:
    cases = [
        ({"legal_basis": "because"}, 422, "legal_basis"),
        ({"title": "x" * 201}, 422, "title"),
        ({"items": []}, 422, "items"),
        ({"items": ["no_such_item"]}, 422, "no_such_item"),
        ({"organisation_type": "journalism"}, 403, "access-policy"),
    ]
    for changes, status, named in cases:
        answer = _apply(api, "researcher", **changes)
        assert answer.status_code == status, (changes, answer.text)
        assert named in answer.json()["message"], answer.text


def test_custodians_add_accredit_and_disable_people(api: Api) -> None:
    custodian = api.auth("custodian")
    body = {
        "name": "Lee Jones",
        "email": "lee@la201.example",
        "roles": ["la-submitter"],
        "organisation": "City of London",
        "la_code": "201",
    }
    added = api.client.post("/api/v1/people", json=body, headers=custodian)
    assert added.status_code == 201, added.text
    person = added.json()
    assert person["roles"] == ["la-submitter"] and person["la_code"] == "201"
    wrong_role = api.client.post(
        "/api/v1/people", json=body | {"roles": ["king"]}, headers=custodian
    )
    assert wrong_role.status_code == 422 and "roles" in wrong_role.json()["message"]
    until = (TODAY + dt.timedelta(days=30)).isoformat()
    who = api.people["unaccredited"].id
    accredited = api.client.post(
        f"/api/v1/people/{who}/accreditation", json={"until": until}, headers=custodian
    )
    assert accredited.json()["accredited_until"] == until
    disabled = api.client.post(f"/api/v1/people/{person['id']}/disable", headers=custodian)
    assert disabled.json()["active"] is False
    listed = {p["email"]: p for p in api.client.get("/api/v1/people", headers=custodian).json()}
    assert listed["lee@la201.example"]["active"] is False
    engine = api.engine()
    entry = read_entries(engine, kind="person_disabled", limit=1)[-1]
    engine.dispose()
    assert entry.actor_id == api.people["custodian"].id
    assert entry.payload["person_id"] == person["id"]


def test_a_disabled_persons_token_stops_working(api: Api) -> None:
    who = api.people["outsider"].id
    assert api.client.get("/api/v1/me", headers=api.auth("outsider")).status_code == 200
    api.client.post(f"/api/v1/people/{who}/disable", headers=api.auth("custodian"))
    answer = api.client.get("/api/v1/me", headers=api.auth("outsider"))
    assert answer.status_code == 403 and answer.json()["message"].startswith("person-disabled:")


def test_a_token_made_through_the_api_is_shown_once_and_can_be_revoked(api: Api) -> None:
    made = api.client.post("/api/v1/tokens", json={"days": 7}, headers=api.auth("researcher"))
    assert made.status_code == 201
    token_id, secret = made.json()["id"], made.json()["token"]
    headers = {"authorization": f"Bearer {secret}"}
    assert api.client.get("/api/v1/me", headers=headers).json()["signed_in_by"] == "token"
    listed = api.client.get("/api/v1/tokens", headers=headers).json()
    assert token_id in {t["id"] for t in listed} and secret not in str(listed)
    others = api.client.delete(f"/api/v1/tokens/{token_id}", headers=api.auth("member"))
    assert others.status_code == 403
    assert others.json()["message"].startswith("not-the-token-holder:")
    revoked = api.client.delete(f"/api/v1/tokens/{token_id}", headers=headers)
    assert revoked.json()["state"] == "revoked"
    after = api.client.get("/api/v1/me", headers=headers)
    assert after.status_code == 403 and after.json()["message"].startswith("token-revoked:")


def test_an_expired_token_is_refused(api: Api) -> None:
    engine = api.engine()
    person = api.people["researcher"]
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    issued = service.create_token(engine, person.id, days=2, now=old)
    engine.dispose()
    headers = {"authorization": f"Bearer {issued.secret}"}
    answer = api.client.get("/api/v1/projects", headers=headers)
    assert answer.status_code == 403 and answer.json()["message"].startswith("token-expired:")
    listed = api.client.get("/api/v1/tokens", headers=api.auth("researcher")).json()
    assert {t["id"]: t["state"] for t in listed}[issued.token_id] == "expired"
    garbage = api.client.get("/api/v1/me", headers={"authorization": "Bearer " + "x" * 43})
    assert garbage.status_code == 403 and garbage.json()["message"].startswith("token-unknown:")
