"""The researcher's workbench: projects, composing by form or SQL, dummy runs, submitted
queries shown as protected tables (symbols marked, report, pupils, checksum, chart, and
the stored release's CSV), refusals naming their rule; and every page's JSON twin."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from safepupil.web.app import create_app
from safepupil.web.settings import WebSettings
from tests.web.browser_support import AP, SCHOOL, DataSite, data_site
from tests.web.conftest import BASE_URL, sign_in

HTML = {"accept": "text/html"}
BY_LA_AND_SEX = f"SELECT la, sex, COUNT(*) FROM {AP} GROUP BY la, sex"


@pytest.fixture(scope="module")
def web(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> DataSite:
    return data_site(demo_template, tmp_path_factory.mktemp("workbench"))


@pytest.fixture
def client(web: DataSite) -> Iterator[TestClient]:
    with TestClient(create_app(web.deployment, WebSettings()), base_url=BASE_URL) as made:
        yield made


@pytest.fixture
def researcher(client: TestClient, web: DataSite) -> str:
    return sign_in(client, web.cast.applicant.email)


def _post(client: TestClient, path: str, csrf: str, **fields: object) -> httpx.Response:
    answer: httpx.Response = client.post(path, data={"csrf_token": csrf, **fields}, headers=HTML)
    return answer


def test_the_workbench_lists_the_persons_projects(
    client: TestClient, web: DataSite, researcher: str
) -> None:
    page = client.get("/workbench", headers=HTML)
    assert page.status_code == 200
    assert f'href="/workbench/projects/{web.project_id}"' in page.text
    twin = client.get("/workbench.json").json()
    assert [p["id"] for p in twin["projects"]] == [web.project_id]
    assert twin["projects"][0]["can_query"] is True


def test_the_form_offers_only_the_projects_approved_items(
    client: TestClient, web: DataSite, researcher: str
) -> None:
    twin = client.get(f"/workbench/projects/{web.project_id}.json").json()
    ap = next(o for o in twin["options"] if o["dataset"] == AP)
    assert "sex" in ap["dimensions"] and "region" in ap["dimensions"]
    assert "ethnicity" not in ap["dimensions"]  # not approved for this project
    assert "age" not in ap["dimensions"]  # its source, birth_year_month, is not approved in AP
    page = client.get(f"/workbench/projects/{web.project_id}", headers=HTML)
    assert page.status_code == 200
    assert '<label for="ap_census_2018-dim-sex">sex</label>' in page.text
    assert "ethnicity" not in re.sub(r"<p class=\"meaning\">.*?</p>", "", page.text)


def test_another_persons_project_is_refused(client: TestClient, web: DataSite) -> None:
    sign_in(client, web.cast.outsider.email)
    answer = client.get(f"/workbench/projects/{web.project_id}.json")
    assert answer.status_code == 403 and answer.json()["message"].startswith("not-a-member")


def test_trying_a_form_query_on_dummy_data_is_labelled_dummy(
    client: TestClient, web: DataSite, researcher: str
) -> None:
    fields = {"mode": "form", "dataset": AP, "dimension": ["sex"], "measure": "count"}
    page = _post(client, f"/workbench/projects/{web.project_id}/try", researcher, **fields)
    assert page.status_code == 200
    assert "Dummy data: made-up pupils" in page.text and "<svg" in page.text
    twin = client.post(
        f"/workbench/projects/{web.project_id}/try.json", data={"csrf_token": researcher, **fields}
    ).json()
    assert twin["dummy"]["notice"].startswith("Dummy data")
    assert twin["dummy"]["query"]["dimensions"] == ["sex"]
    assert "release" not in twin


def test_a_filter_on_the_form_becomes_a_condition(
    client: TestClient, web: DataSite, researcher: str
) -> None:
    fields = {
        "mode": "form",
        "dataset": SCHOOL,
        "dimension": ["sex"],
        "measure": "mean:sessions_absent",
        "filter_item_1": "year_group",
        "filter_op_1": ">=",
        "filter_value_1": "7",
        "filter_item_2": "la",
        "filter_op_2": "in",
        "filter_value_2": "201, 202",
    }
    twin = client.post(
        f"/workbench/projects/{web.project_id}/try.json", data={"csrf_token": researcher, **fields}
    ).json()
    query = twin["dummy"]["query"]
    assert query["filters"] == [
        {"kind": "compare", "item": "year_group", "op": ">=", "value": 7},
        {"kind": "in", "item": "la", "codes": ["201", "202"]},
    ]
    assert query["measures"] == [{"kind": "mean", "item": "sessions_absent"}]


def test_an_unapproved_item_is_refused_even_on_dummy_data(
    client: TestClient, web: DataSite, researcher: str
) -> None:
    sql = f"SELECT ethnicity, COUNT(*) FROM {AP} GROUP BY ethnicity"
    page = _post(
        client, f"/workbench/projects/{web.project_id}/try", researcher, mode="sql", sql=sql
    )
    assert page.status_code == 403
    assert "Your query was not run" in page.text and "ethnicity" in page.text
    assert sql.replace("*", "*") in page.text  # the SQL box keeps what was typed


def test_a_bad_query_says_what_to_change(
    client: TestClient, web: DataSite, researcher: str
) -> None:
    sql = f"SELECT * FROM {AP}"
    page = _post(
        client, f"/workbench/projects/{web.project_id}/try", researcher, mode="sql", sql=sql
    )
    assert page.status_code == 422 and "Your query was not run" in page.text


def test_a_submitted_query_shows_the_protected_table(
    client: TestClient, web: DataSite, researcher: str
) -> None:
    page = _post(
        client,
        f"/workbench/projects/{web.project_id}/submit",
        researcher,
        mode="sql",
        sql=BY_LA_AND_SEX,
    )
    assert page.status_code == 200, page.text
    text = page.text
    assert "Released." in text and "Dummy data" not in text
    assert 'class="number value-suppressed"' in text  # marked by class ...
    assert "suppressed (c)" in text  # ... and in words for screen readers
    assert "What the symbols mean" in text  # the legend
    assert "hidden: it failed a disclosure rule: fewer than 10 pupils" in text  # the report
    assert "Pupils in the released cells" in text and "<svg" in text
    checksum = re.search(r'<code class="checksum">([0-9a-f]{64})</code>', text)
    link = re.search(
        r'href="(/api/v1/releases/([0-9a-f-]{36})/table\.csv)" download="([^"]+)"', text
    )
    assert checksum and link  # the stored release's CSV route, not a data: URL
    assert link.group(3) == f"release-{link.group(2)}.csv"
    download = client.get(link.group(1))
    assert download.status_code == 200 and download.content.startswith(b"la,sex,count\n")
    assert hashlib.sha256(download.content).hexdigest() == checksum.group(1)  # the table shown
    assert download.headers["x-checksum-sha256"] == checksum.group(1)


def test_the_submit_twin_is_the_release_document(
    client: TestClient, web: DataSite, researcher: str
) -> None:
    sql = f"SELECT sex, COUNT(*) FROM {SCHOOL} GROUP BY sex"
    twin = client.post(
        f"/workbench/projects/{web.project_id}/submit.json",
        data={"csrf_token": researcher, "mode": "sql", "sql": sql},
    ).json()
    release = twin["release"]
    assert release["status"] == "released" and release["columns"] == ["sex", "count"]
    assert release["pupils"] > 0 and len(release["checksum_sha256_csv"]) == 64
    assert {cell["status"] for cell in release["cells"]} == {"released"}
    mine = client.get(f"/workbench/releases/{release['release_id']}.json").json()
    assert mine["release"]["status"] == "released"


def test_a_refused_query_names_its_rule(client: TestClient, web: DataSite) -> None:
    csrf = sign_in(client, web.cast.member.email)  # accredited, but not in the project
    page = _post(
        client, f"/workbench/projects/{web.project_id}/submit", csrf, mode="sql", sql=BY_LA_AND_SEX
    )
    assert page.status_code == 403  # the project page itself is refused: not a member
    assert "not-a-member" in page.text.lower()


def test_a_held_release_shows_its_reasons_to_the_requester(
    client: TestClient, web: DataSite, researcher: str
) -> None:
    from tests.web.browser_support import HELD_REASON, held_release

    release_id = held_release(web)
    page = client.get(f"/workbench/releases/{release_id}", headers=HTML)
    assert page.status_code == 200 and "held" in page.text and HELD_REASON in page.text
    other = sign_in(client, web.cast.outsider.email)
    assert other
    refused = client.get(f"/workbench/releases/{release_id}.json")
    assert refused.status_code == 403 and "not-the-requester" in refused.json()["message"]


def test_the_workbench_needs_the_researcher_role(client: TestClient, web: DataSite) -> None:
    sign_in(client, web.cast.custodian.email)
    assert client.get("/workbench.json").status_code == 403


def test_a_rule_that_refuses_is_named_on_the_page(
    client: TestClient, web: DataSite, researcher: str
) -> None:
    sql = f"SELECT placement_reason, COUNT(*) FROM {AP} GROUP BY placement_reason"
    page = _post(
        client, f"/workbench/projects/{web.project_id}/submit", researcher, mode="sql", sql=sql
    )
    assert page.status_code == 403
    assert "Your query was not run" in page.text, page.text[page.text.find("<main") :][:1500]
    assert "item-expired" in page.text, page.text[page.text.find("<main") :][:1200]
