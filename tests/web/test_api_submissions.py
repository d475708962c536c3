"""Sealed submissions over HTTP: an LA submitter sends only their own LA's file (another
LA's is refused before intake, and the refusal recorded); a new version loads as
``safepupil intake`` loads it; a damaged file changes nothing; nothing is left behind."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx

from safepupil.audit.log import read_entries
from safepupil.web.api.submissions import INCOMING, claimed_la
from tests.store.test_intake_support import seal_return
from tests.web.conftest import DataApi

URL = "/api/v1/submissions"


def _upload(data_api: DataApi, who: str, path: Path) -> httpx.Response:
    with path.open("rb") as file:
        return data_api.api.client.post(
            URL, files={"file": (path.name, file, "application/octet-stream")},
            headers=data_api.api.auth(who),
        )  # fmt: skip


def _incoming_is_empty(data_api: DataApi) -> bool:
    folder = data_api.api.deployment.home / INCOMING
    return not folder.exists() or not any(folder.iterdir())


def test_an_la_submitter_sends_their_own_las_file(data_api: DataApi) -> None:
    own = data_api.submissions[0]
    answer = _upload(data_api, "submitter", own)
    assert answer.status_code == 200, answer.text
    loaded = answer.json()
    assert loaded["already_loaded"] is True and loaded["la"] == claimed_la(own)
    assert loaded["file"] == own.name and loaded["records_loaded"] == 0
    assert _incoming_is_empty(data_api)


def test_another_las_file_is_refused_and_recorded(data_api: DataApi) -> None:
    own = claimed_la(data_api.submissions[0])
    other = next(p for p in data_api.submissions if claimed_la(p) != own)
    answer = _upload(data_api, "submitter", other)
    assert answer.status_code == 403
    assert answer.json()["message"].startswith("not-this-la:")
    engine = data_api.api.engine()
    refused = read_entries(engine, kind="submission_refused", limit=1)[-1]
    engine.dispose()
    assert refused.actor_id == data_api.api.people["submitter"].id
    assert refused.payload["la"] == claimed_la(other) and refused.payload["rule"] == "not-this-la"
    assert "@" not in str(refused.payload)  # the log names people by id
    assert _incoming_is_empty(data_api)


def test_a_custodian_loads_a_new_version_of_any_las_return(
    data_api: DataApi, tmp_path: Path
) -> None:
    other = next(
        p for p in data_api.submissions if claimed_la(p) != claimed_la(data_api.submissions[0])
    )
    la = claimed_la(other)
    resealed = seal_return(
        data_api.api.deployment.home,
        data_api.returns / f"{other.stem}.xml",
        tmp_path,
        "again",
        created=dt.datetime(2018, 2, 1, tzinfo=dt.UTC),
    )
    answer = _upload(data_api, "custodian", resealed)
    assert answer.status_code == 200, answer.text
    loaded = answer.json()
    assert loaded["la"] == la and loaded["already_loaded"] is False
    assert loaded["version"] == 2 and loaded["superseded_version"] == 1
    assert loaded["records_loaded"] > 0
    engine = data_api.api.engine()
    entry = read_entries(engine, kind="submission_loaded", limit=1)[-1]
    engine.dispose()
    assert entry.actor_id == data_api.api.people["custodian"].id
    assert entry.payload["la"] == la and entry.payload["version"] == 2


def test_a_damaged_file_is_refused_and_nothing_changes(data_api: DataApi, tmp_path: Path) -> None:
    own = data_api.submissions[0]
    damaged = tmp_path / own.name
    data = bytearray(own.read_bytes())
    data[-10] ^= 0xFF  # inside the signature
    damaged.write_bytes(bytes(data))
    answer = _upload(data_api, "submitter", damaged)
    assert answer.status_code == 400
    assert answer.json()["code"] == "integrity_failure"
    junk = tmp_path / "junk.sealed"
    junk.write_bytes(b"not a submission at all")
    answer = _upload(data_api, "submitter", junk)
    assert answer.status_code == 400
    assert _incoming_is_empty(data_api)


def test_an_upload_without_a_file_is_422_naming_it(data_api: DataApi) -> None:
    api = data_api.api
    answer = api.client.post(URL, data={"other": "x"}, headers=api.auth("submitter"))
    assert answer.status_code == 422 and "file" in answer.json()["message"]
    huge = api.client.post(
        URL, content=b"x", headers=api.auth("submitter") | {"content-length": str(2**40)}
    )
    assert huge.status_code == 413 and huge.json()["code"] == "too_large"
