"""Queries and releases through the JSON API on a deployment with data.

A released table comes back as the release document, with its audit entry already in
the log; a researcher cannot reach another project, another person's release or an
item their project was not approved for (403 naming the rule); bad bodies are 422
naming the field; the table of a reviewed release downloads as CSV with its checksum.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from safepupil.audit.log import read_entries
from safepupil.governance import service
from safepupil.query.builder import dataset
from safepupil.query.sql import MAX_SQL_CHARS
from safepupil.query.wire import to_dict
from tests.release.support import record_held_release
from tests.web.conftest import BASE_URL, PASSWORD, Api, DataApi, sign_in

AP, SCHOOL = "ap_census_2018", "school_census_2018"
BY_LA_AND_SEX = f"SELECT la, sex, COUNT(*) FROM {AP} GROUP BY la, sex"
DOCUMENT_KEYS = {
    "release_id", "dataset", "status", "columns", "rows", "cells", "audit", "pupils",
    "reasons", "checksum_sha256_csv",
}  # fmt: skip
HELD_REASON = "a cell differs from an earlier release by fewer than 10 pupils"


def _query(api: Api, who: str, project_id: int, body: Any) -> Any:
    return api.client.post(
        f"/api/v1/projects/{project_id}/queries", json=body, headers=api.auth(who)
    )


def _csv(columns: list[str], rows: list[list[str]]) -> bytes:
    lines = [",".join(columns), *(",".join(row) for row in rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_a_released_table_is_the_release_document(data_api: DataApi) -> None:
    api = data_api.api
    answer = _query(api, "researcher", data_api.project_id, {"sql": BY_LA_AND_SEX})
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert set(document) == DOCUMENT_KEYS
    assert document["status"] == "released" and document["columns"] == ["la", "sex", "count"]
    shown = {row[-1] for row in document["rows"]}
    assert "c" in shown and all(v == "c" or int(v) % 5 == 0 for v in shown)  # protected
    checksum = hashlib.sha256(_csv(document["columns"], document["rows"])).hexdigest()
    assert document["checksum_sha256_csv"] == checksum


def test_the_wire_json_form_runs_the_same_way(data_api: DataApi) -> None:
    query = to_dict(dataset(AP).by("sex").count().build())
    answer = _query(data_api.api, "researcher", data_api.project_id, {"query": query})
    assert answer.status_code == 200, answer.text
    assert answer.json()["columns"] == ["sex", "count"]


def test_the_audit_entry_is_in_the_log_when_the_table_arrives(data_api: DataApi) -> None:
    api = data_api.api
    answer = _query(api, "researcher", data_api.project_id, {"sql": BY_LA_AND_SEX})
    release_id = answer.json()["release_id"]
    engine = api.engine()
    made = read_entries(engine, kind="release_made", limit=50)
    engine.dispose()
    entry = next(e for e in made if e.payload["release_id"] == release_id)
    assert entry.actor_id == api.people["researcher"].id
    assert entry.project_id == data_api.project_id
    assert entry.pupils == answer.json()["pupils"] > 0


REFUSE_RELEASE_ENTRIES = """
CREATE TRIGGER refuse_release_entries BEFORE INSERT ON audit_log
WHEN NEW.kind = 'release_made'
BEGIN SELECT RAISE(ABORT, 'the audit log is not taking release entries'); END
"""


def test_no_table_is_returned_when_the_audit_entry_cannot_be_written(data_api: DataApi) -> None:
    api = data_api.api
    engine = api.engine()
    with engine.begin() as connection:
        before = connection.execute(sa.text("SELECT count(*) FROM releases")).scalar_one()
        connection.execute(sa.text(REFUSE_RELEASE_ENTRIES))
    # A client that answers as a server does (500) instead of raising the error here.
    client = TestClient(api.client.app, base_url=BASE_URL, raise_server_exceptions=False)
    try:
        answer = client.post(
            f"/api/v1/projects/{data_api.project_id}/queries",
            json={"sql": BY_LA_AND_SEX},
            headers=api.auth("researcher"),
        )
        with engine.connect() as connection:
            after = connection.execute(sa.text("SELECT count(*) FROM releases")).scalar_one()
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TRIGGER refuse_release_entries"))
        engine.dispose()
    assert answer.status_code == 500 and answer.json()["code"] == "internal_error"
    assert "rows" not in answer.text and "audit log" not in answer.text
    assert after == before


def test_a_researcher_cannot_query_another_project(data_api: DataApi) -> None:
    api = data_api.api
    for who, rule in (("researcher", "not-a-member"), ("outsider", "not-a-member")):
        answer = _query(api, who, data_api.other_project_id, {"sql": BY_LA_AND_SEX})
        assert answer.status_code == 403
        assert answer.json()["code"] == "permission_denied"
        assert answer.json()["message"].startswith(f"{rule}:")
    engine = api.engine()
    refused = read_entries(engine, kind="access_refused", limit=1)[-1]
    engine.dispose()
    assert refused.payload["rule"] == "not-a-member"


def test_an_unaccredited_researcher_is_refused(data_api: DataApi) -> None:
    answer = _query(data_api.api, "unaccredited", data_api.project_id, {"sql": BY_LA_AND_SEX})
    assert answer.status_code == 403
    assert answer.json()["message"].startswith("accreditation-missing:")


def test_an_item_the_project_was_not_approved_for_is_refused(data_api: DataApi) -> None:
    sql = f"SELECT ethnicity, COUNT(*) FROM {AP} GROUP BY ethnicity"
    answer = _query(data_api.api, "researcher", data_api.project_id, {"sql": sql})
    assert answer.status_code == 403
    assert answer.json()["message"].startswith("item-not-approved:")
    assert "ethnicity" in answer.json()["message"]


def test_bad_bodies_are_422_naming_the_field(data_api: DataApi) -> None:
    api, project = data_api.api, data_api.project_id
    query = to_dict(dataset(AP).by("sex").count().build())
    cases = [
        ({"sql": BY_LA_AND_SEX, "query": query}, "bad_request", "exactly one"),
        ({}, "bad_request", "exactly one"),
        ({"sql": BY_LA_AND_SEX, "limit": 5}, "bad_request", "limit"),
        ({"sql": "x" * (MAX_SQL_CHARS + 1)}, "bad_request", "sql"),
        ({"sql": ""}, "bad_request", "sql"),
        ({"sql": f"DELETE FROM {AP}"}, "bad_query", "DELETE"),
        ({"query": {"version": 1}}, "bad_query", "query"),
        ([1, 2], "bad_request", "body"),
    ]
    for body, code, named in cases:
        answer = _query(api, "researcher", project, body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["code"] == code, answer.text
        assert named in answer.json()["message"], answer.text
    answer = api.client.post(
        "/api/v1/projects/abc/queries", json={"sql": BY_LA_AND_SEX}, headers=api.auth("researcher")
    )
    assert answer.status_code == 422 and "project_id" in answer.json()["message"]


def test_another_person_never_gets_the_release(data_api: DataApi) -> None:
    api = data_api.api
    answered = _query(api, "researcher", data_api.project_id, {"sql": BY_LA_AND_SEX}).json()
    release_id = answered["release_id"]
    own = api.client.get(f"/api/v1/releases/{release_id}", headers=api.auth("researcher"))
    assert own.status_code == 200 and own.json()["status"] == "released"
    assert own.json()["rows"] == answered["rows"]  # fetched again: the table as shown
    csv = api.client.get(f"/api/v1/releases/{release_id}/table.csv", headers=api.auth("researcher"))
    assert csv.status_code == 200
    assert hashlib.sha256(csv.content).hexdigest() == answered["checksum_sha256_csv"]
    for who in ("member", "outsider"):  # same organisation, both accredited researchers
        for path in (f"/api/v1/releases/{release_id}", f"/api/v1/releases/{release_id}/table.csv"):
            answer = api.client.get(path, headers=api.auth(who))
            assert answer.status_code == 403, answer.text
            assert answer.json()["message"].startswith("not-the-requester:")
            assert "rows" not in answer.json()
    unknown = api.client.get(f"/api/v1/releases/{uuid.uuid4()}", headers=api.auth("researcher"))
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"


def _held_release(data_api: DataApi) -> str:
    researcher = data_api.api.people["researcher"].id
    return record_held_release(
        data_api.api.deployment, data_api.project_id, researcher, HELD_REASON
    )


def test_a_reviewed_release_is_fetched_by_its_requester_as_csv(data_api: DataApi) -> None:
    api = data_api.api
    release_id = _held_release(data_api)
    queue = api.client.get("/api/v1/reviews", headers=api.auth("checker"))
    entry = next(e for e in queue.json() if e["release_id"] == release_id)
    assert entry["reasons"] == [HELD_REASON] and not {"rows", "columns", "cells"} & set(entry)
    held = api.client.get(f"/api/v1/releases/{release_id}", headers=api.auth("researcher"))
    assert held.json()["status"] == "held" and held.json()["rows"] == []
    early = api.client.get(
        f"/api/v1/releases/{release_id}/table.csv", headers=api.auth("researcher")
    )
    assert early.status_code == 404
    review = f"/api/v1/reviews/{release_id}"
    first = api.client.post(f"{review}/approve", json={"note": "ok"}, headers=api.auth("checker"))
    assert first.status_code == 200 and first.json()["status"] == "held", first.text
    again = api.client.post(f"{review}/approve", headers=api.auth("checker"))
    assert again.status_code == 403 and again.json()["message"].startswith("already-reviewed:")
    second = api.client.post(f"{review}/approve", headers=api.auth("checker_2"))
    assert second.json()["status"] == "released" and "rows" not in second.json()
    state = api.client.get(f"/api/v1/releases/{release_id}", headers=api.auth("researcher")).json()
    assert state["status"] == "released" and state["columns"] == ["la", "sex", "count"]
    table = api.client.get(
        f"/api/v1/releases/{release_id}/table.csv", headers=api.auth("researcher")
    )
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    checksum = hashlib.sha256(table.content).hexdigest()
    assert table.headers["x-checksum-sha256"] == checksum == state["checksum_sha256_csv"]
    assert table.content == _csv(state["columns"], state["rows"])
    other = api.client.get(f"/api/v1/releases/{release_id}/table.csv", headers=api.auth("member"))
    assert other.status_code == 403 and other.content != table.content
    summary = api.client.get(review, headers=api.auth("checker")).json()
    assert [r["decision"] for r in summary["reviews"]] == ["approve", "approve"]


def test_a_rejection_needs_a_note_and_the_requester_reads_it(data_api: DataApi) -> None:
    api = data_api.api
    release_id = _held_release(data_api)
    path = f"/api/v1/reviews/{release_id}/reject"
    empty = api.client.post(path, json={}, headers=api.auth("checker"))
    assert empty.status_code == 422 and "note" in empty.json()["message"]
    done = api.client.post(
        path, json={"note": "cells can be differenced"}, headers=api.auth("checker")
    )
    assert done.json()["status"] == "refused"
    state = api.client.get(f"/api/v1/releases/{release_id}", headers=api.auth("researcher")).json()
    assert "rejected by an output checker: cells can be differenced" in state["reasons"]
    engine = api.engine()
    reviewed = read_entries(engine, kind="release_reviewed", limit=1)[-1]
    engine.dispose()
    assert reviewed.payload == {"release_id": release_id, "decision": "reject"}


def test_a_browser_session_needs_the_csrf_token_to_run_a_query(data_api: DataApi) -> None:
    api = data_api.api
    engine = api.engine()
    email = api.people["researcher"].email
    service.set_password(engine, api.people["researcher"].id, PASSWORD)
    engine.dispose()
    csrf = sign_in(api.client, email)
    try:
        path = f"/api/v1/projects/{data_api.project_id}/queries"
        body = json.dumps({"sql": BY_LA_AND_SEX})
        kind = {"content-type": "application/json"}
        refused = api.client.post(path, content=body, headers=kind)
        assert refused.status_code == 403 and "security token" in refused.json()["message"]
        allowed = api.client.post(path, content=body, headers=kind | {"x-csrf-token": csrf})
        assert allowed.status_code == 200, allowed.text
    finally:
        api.client.cookies.clear()
