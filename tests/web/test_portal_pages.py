"""The pupils' and parents' portal at /my-data: an access code opens a short viewing
session showing exactly the releases that included the pupil, never a value; wrong and
expired codes answer alike; wrong codes are limited per client; forms need the portal
session's CSRF token."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from pyroaring import FrozenBitMap

from safepupil.governance.objections import record_objection, withdraw_objection
from safepupil.transparency.access_codes import CODES, new_code
from safepupil.transparency.corrections import CORRECTIONS
from safepupil.transparency.portal_tables import PORTAL_SESSIONS
from tests.transparency.conftest import store_with_event
from tests.web.portal_support import (
    TEST_LIMITS,
    Portal,
    enter_code,
    forget_attempts,
    hidden,
    portal_site,
)

HTML = {"accept": "text/html"}
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def portal(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    with portal_site(demo_template, tmp_path_factory.mktemp("portal")) as made:
        yield made


@pytest.fixture
def fresh(portal: Portal) -> Portal:
    portal.client.cookies.clear()
    forget_attempts(portal)
    return portal


def _open(portal: Portal, **kwargs: object) -> str:
    """Open the portal with a new code; returns the page's CSRF token."""
    answer = enter_code(portal.client, portal.code(**kwargs))
    assert answer.status_code == 303 and answer.headers["location"] == "/my-data"
    page = portal.client.get("/my-data", headers=HTML)
    assert page.status_code == 200 and "Your data" in page.text
    return hidden(page.text, "csrf_token")


def _refusal(html: str) -> str:
    found = re.search(r'<div class="error-summary".*?</div>', html, re.DOTALL)
    assert found, "no refusal on the page"
    return found.group(0)


def test_without_a_session_the_page_asks_for_the_code(fresh: Portal) -> None:
    page = fresh.client.get("/my-data", headers=HTML)
    assert page.status_code == 200
    assert 'name="code"' in page.text and 'name="form_token"' in page.text
    twin = fresh.client.get("/my-data.json").json()
    assert twin["portal"] == "closed" and "wrong codes" in twin["limit"]


def test_a_pupil_sees_exactly_the_two_releases_that_included_them(fresh: Portal) -> None:
    site, others = fresh.site, fresh.other_pupil_ids
    store = (site.deployment, site.project_id, site.cast.applicant.id)
    first = store_with_event(
        *store, (FrozenBitMap([fresh.pupil_id, *others[:30]]), FrozenBitMap(others[30:60]))
    )
    excluded = store_with_event(*store, (FrozenBitMap(others[:40]), FrozenBitMap(others[40:80])))
    second = store_with_event(
        *store, (FrozenBitMap(others[:20]), FrozenBitMap([fresh.pupil_id])), dimensions=("sex",)
    )
    _open(fresh)
    twin = fresh.client.get("/my-data.json").json()
    assert [r["release_id"] for r in twin["releases"]] == [first, second]
    page = fresh.client.get("/my-data", headers=HTML).text
    shown = set(re.findall(r'id="release-([0-9a-f-]{36})"', page))
    assert shown == {first, second} and excluded not in page
    assert "number of pupils by sex" in page and "University of Somewhere" in page


def test_the_page_says_what_is_held_never_a_value_token_or_upn(fresh: Portal) -> None:
    _open(fresh)
    twin = fresh.client.get("/my-data.json").json()
    page = fresh.client.get("/my-data", headers=HTML).text
    for text in (page, str(twin)):
        assert fresh.upn not in text and fresh.token not in text
    items = {(i["dataset"], i["item"]): i for i in twin["items"]}
    assert set(items[("ap_census_2018", "sex")]) == {
        "dataset", "item", "description", "form", "has_value", "expires_on",
    }  # fmt: skip
    assert "pregnancy" in items[("ap_census_2018", "placement_reason")]["form"]
    assert twin["record_las"][0]["code"] == fresh.pupil_la
    assert twin["notices"][0]["child"] == f"/notices/{fresh.pupil_la}/child"
    assert f'href="/notices/{fresh.pupil_la}/child"' in page  # linked prominently
    assert "pupil_token" not in {i["item"] for i in twin["correctable_items"]}


def test_reading_the_page_again_costs_no_further_use(fresh: Portal) -> None:
    _open(fresh, uses=3)
    first = fresh.client.get("/my-data.json").json()["uses_left"]
    fresh.client.get("/my-data", headers=HTML)
    assert fresh.client.get("/my-data.json").json()["uses_left"] == first == 2


def test_a_wrong_code_and_an_expired_code_answer_identically(fresh: Portal) -> None:
    expired = fresh.code(days=1, now=NOW - dt.timedelta(days=2))
    used_up = fresh.code(uses=1)
    assert enter_code(fresh.client, used_up).status_code == 303
    fresh.client.cookies.clear()
    answers = [enter_code(fresh.client, code) for code in (new_code(), expired, used_up)]
    assert {a.status_code for a in answers} == {401}
    refusals = {_refusal(a.text) for a in answers}
    assert len(refusals) == 1
    assert "wrong codes from one device or network" in refusals.pop()  # says the limit
    assert "safepupil_portal=" not in str(answers[0].headers.get("set-cookie"))


def test_wrong_codes_are_limited_per_client(fresh: Portal) -> None:
    good = fresh.code(uses=2)
    for _ in range(TEST_LIMITS.per_client):
        assert enter_code(fresh.client, new_code()).status_code == 401
    paused = enter_code(fresh.client, good)
    assert paused.status_code == 429
    assert "too many wrong access codes" in paused.text.lower()
    assert f"after {TEST_LIMITS.per_client} wrong codes" in paused.text
    engine = fresh.site.deployment.control_engine()
    with engine.connect() as connection:
        uses = connection.execute(sa.select(sa.func.max(CODES.c.uses_allowed - CODES.c.uses)))
        assert uses.scalar_one() >= 2  # the good code was not even looked at
    engine.dispose()
    forget_attempts(fresh)
    assert enter_code(fresh.client, good).status_code == 303


def test_portal_forms_are_refused_without_the_csrf_token(fresh: Portal) -> None:
    token = _open(fresh)
    form = {"item": "ap_census_2018.sex", "value": "F", "reason": "it is wrong"}
    for data in (form, {**form, "csrf_token": "0" * 64}):
        refused = fresh.client.post("/my-data/corrections", data=data, follow_redirects=False)
        assert refused.status_code == 403
        assert refused.json()["code"] == "permission_denied"
    assert fresh.client.post("/my-data/leave", follow_redirects=False).status_code == 403
    engine = fresh.site.deployment.control_engine()
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(CORRECTIONS)).scalar() == 0
    engine.dispose()
    # The code form has its own token: posting a code without it is refused too.
    fresh.client.cookies.clear()
    bare = fresh.client.post("/my-data", data={"code": new_code()}, follow_redirects=False)
    assert bare.status_code == 403
    assert token  # the session's token was on the page all along


def test_a_correction_is_asked_for_and_its_status_shown(fresh: Portal) -> None:
    token = _open(fresh)
    twin = fresh.client.get("/my-data.json").json()
    keys = {f"{i['dataset']}.{i['item']}" for i in twin["correctable_items"]}
    assert "ap_census_2018.sex" in keys
    reason = "The record says the wrong sex for me, please check it"
    sent = fresh.client.post(
        "/my-data/corrections",
        data={"item": "ap_census_2018.sex", "value": "F", "reason": reason, "csrf_token": token},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"].startswith("/my-data?sent=")
    page = fresh.client.get(sent.headers["location"], headers=HTML).text
    assert "was sent to your council" in page and "waiting for your council" in page
    assert reason not in page
    twin = fresh.client.get("/my-data.json").json()
    (correction,) = twin["corrections"]
    assert correction["status"] == "raised" and correction["channel"] == "access-code"
    assert correction["la"] == fresh.pupil_la
    assert reason not in str(twin) and "proposed" not in str(twin)


def test_a_value_of_the_wrong_kind_is_refused_without_being_repeated(fresh: Portal) -> None:
    token = _open(fresh)
    answer = fresh.client.post(
        "/my-data/corrections",
        data={
            "item": "ap_census_2018.sex",
            "value": "QZXW",
            "reason": "wrong",
            "csrf_token": token,
        },
        headers=HTML,
    )
    assert answer.status_code >= 400
    assert "Your request was not sent" in answer.text and "QZXW" not in answer.text


def test_the_objection_status_is_shown(fresh: Portal) -> None:
    _open(fresh)
    page = fresh.client.get("/my-data", headers=HTML).text
    assert "no objection recorded" in page and "Contact them and say you object" in page
    engine = fresh.site.deployment.control_engine()
    custodian = fresh.site.cast.custodian.id
    objection = record_objection(engine, fresh.token, custodian, la_code=fresh.pupil_la)
    try:
        twin = fresh.client.get("/my-data.json").json()
        assert twin["objection"]["in_force"] is True
        assert "Your objection is recorded" in fresh.client.get("/my-data", headers=HTML).text
    finally:
        withdraw_objection(engine, objection.id, custodian)
        engine.dispose()


def test_an_ended_session_shows_the_code_form_again(fresh: Portal) -> None:
    _open(fresh)
    engine = fresh.site.deployment.control_engine()
    with engine.begin() as connection:
        connection.execute(
            sa.update(PORTAL_SESSIONS).values(expires_at=NOW - dt.timedelta(minutes=1))
        )
    engine.dispose()
    page = fresh.client.get("/my-data", headers=HTML)
    assert "Your viewing time has ended" in page.text and 'name="code"' in page.text
    assert fresh.client.get("/my-data.json").json()["portal"] == "closed"


def test_leaving_ends_the_session(fresh: Portal) -> None:
    token = _open(fresh)
    left = fresh.client.post("/my-data/leave", data={"csrf_token": token}, follow_redirects=False)
    assert left.status_code == 303
    assert fresh.client.get("/my-data.json").json()["portal"] == "closed"


def test_the_session_lasts_fifteen_minutes_at_most(fresh: Portal) -> None:
    _open(fresh)
    twin = fresh.client.get("/my-data.json").json()
    ends = dt.datetime.fromisoformat(twin["session_expires_at"])
    assert dt.timedelta(minutes=14) < ends - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=15)
