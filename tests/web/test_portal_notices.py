"""Privacy notices on the web: plain and child-friendly pages per LA, their JSON twins and
PDFs, with no sign-in."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from safepupil.store.deployment import init_deployment
from safepupil.web.app import create_app
from tests.web.conftest import BASE_URL

HTML = {"accept": "text/html"}
LA = "201"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home: Path = tmp_path_factory.mktemp("notices") / "home"
    deployment = init_deployment(home).deployment
    with TestClient(create_app(deployment), base_url=BASE_URL) as made:
        yield made


def test_the_plain_notice_links_the_child_version_first(client: TestClient) -> None:
    page = client.get(f"/notices/{LA}", headers=HTML)
    assert page.status_code == 200
    assert "City of London" in page.text and "pregnancy" in page.text.lower()
    child_link = page.text.index(f'href="/notices/{LA}/child"')
    assert child_link < page.text.index("<h1")  # before the notice itself
    assert f'href="/notices/{LA}.pdf"' in page.text


def test_the_child_version_is_its_own_page(client: TestClient) -> None:
    page = client.get(f"/notices/{LA}/child", headers=HTML)
    assert page.status_code == 200
    assert "Your school record: a note for you" in page.text
    assert f'href="/notices/{LA}"' in page.text and f'href="/notices/{LA}/child.pdf"' in page.text
    assert "<style" not in page.text and "<script" not in page.text  # the CSP allows neither


@pytest.mark.parametrize("path", [f"/notices/{LA}.json", f"/notices/{LA}/child.json"])
def test_the_json_twins_hold_the_facts(client: TestClient, path: str) -> None:
    document = client.get(path).json()
    assert document["la"] == {"code": LA, "name": "City of London"}
    assert document["version"] == ("child" if "child" in path else "plain")
    assert "notice_body" not in document and document["links"]["child"] == f"/notices/{LA}/child"


@pytest.mark.parametrize(("path", "words"), [
    (f"/notices/{LA}.pdf", "Privacy notice"),
    (f"/notices/{LA}/child.pdf", "Your school record"),
])  # fmt: skip
def test_the_pdfs_download(client: TestClient, path: str, words: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert "attachment" in answer.headers["content-disposition"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.content)).pages)
    assert words in text


def test_an_unknown_la_is_not_found(client: TestClient) -> None:
    assert client.get("/notices/999", headers=HTML).status_code == 404
    assert client.get("/notices/999.json").json()["code"] == "not_found"
