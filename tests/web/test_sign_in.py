"""Web sign-in: sessions in secure cookies, CSRF on state changes, rate limits, sign-out."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from safepupil.audit.log import read_entries
from safepupil.errors import TooManyAttempts
from safepupil.governance.refusals import Refusal
from safepupil.governance.sessions import SignInLimits, start_session
from safepupil.web.settings import SESSION_COOKIE
from tests.web.conftest import PASSWORD, Site, password_for, sign_in


def _form_token(client: TestClient) -> str:
    page = client.get("/sign-in")
    return page.text.split('name="form_token" value="', 1)[1].split('"', 1)[0]


def test_sign_in_sets_a_secure_http_only_session_cookie(site: Site) -> None:
    password_for(site, site.cast.applicant.email)
    token = _form_token(site.client)
    answer = site.client.post(
        "/sign-in",
        data={"email": site.cast.applicant.email, "password": PASSWORD, "form_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "=")
    )
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    me = site.client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["email"] == site.cast.applicant.email
    assert me.json()["signed_in_by"] == "session"


def test_a_wrong_password_is_refused_without_saying_which_part(site: Site) -> None:
    password_for(site, site.cast.applicant.email)
    for email in (site.cast.applicant.email, "nobody@example.org"):
        answer = site.client.post(
            "/sign-in",
            data={"email": email, "password": "wrong", "form_token": _form_token(site.client)},
        )
        assert answer.status_code == 401
        assert "do not match an active account" in answer.text
    assert site.client.get("/api/v1/me").status_code == 401


def test_sign_in_without_the_form_token_is_refused(site: Site) -> None:
    password_for(site, site.cast.applicant.email)
    answer = site.client.post(
        "/sign-in", data={"email": site.cast.applicant.email, "password": PASSWORD}
    )
    assert answer.status_code == 403
    assert answer.json()["code"] == "permission_denied"


def test_state_changes_need_the_sessions_csrf_token(site: Site) -> None:
    password_for(site, site.cast.applicant.email)
    csrf = sign_in(site.client, site.cast.applicant.email)
    refused = site.client.post("/sign-out", follow_redirects=False)
    assert refused.status_code == 403
    assert site.client.get("/api/v1/me").status_code == 200  # still signed in
    wrong = site.client.post("/sign-out", data={"csrf_token": "x" * 64}, follow_redirects=False)
    assert wrong.status_code == 403
    done = site.client.post("/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303


def test_a_signed_out_session_cannot_be_replayed(site: Site) -> None:
    password_for(site, site.cast.applicant.email)
    csrf = sign_in(site.client, site.cast.applicant.email)
    secret = site.client.cookies[SESSION_COOKIE]
    site.client.post("/sign-out", data={"csrf_token": csrf})
    site.client.cookies.set(SESSION_COOKIE, secret)
    replay = site.client.get("/api/v1/me")
    assert replay.status_code == 401
    kinds = [entry.kind for entry in read_entries(site.deployment.control_engine())]
    assert kinds.count("sign_in") == 1 and kinds.count("sign_out") == 1


def test_repeated_failures_pause_sign_in_for_the_address(site: Site) -> None:
    password_for(site, site.cast.applicant.email)
    engine = site.deployment.control_engine()
    limits = SignInLimits(window=dt.timedelta(minutes=15), per_address=3, per_client=100)
    email, now = site.cast.applicant.email, dt.datetime.now(dt.UTC)
    for _ in range(3):
        with pytest.raises(Refusal):
            start_session(engine, email, "wrong", "10.0.0.1", limits=limits, now=now)
    # Even the right password waits until the window has passed, from anywhere.
    with pytest.raises(TooManyAttempts) as paused:
        start_session(engine, email, PASSWORD, "10.0.0.2", limits=limits, now=now)
    assert paused.value.http_status == 429 and "wait 15 minutes" in paused.value.hint
    later = now + dt.timedelta(minutes=16)
    session = start_session(engine, email, PASSWORD, "10.0.0.2", limits=limits, now=later)
    assert session.person.email == email
    engine.dispose()


def test_one_client_trying_many_addresses_is_paused(site: Site) -> None:
    engine = site.deployment.control_engine()
    limits = SignInLimits(per_address=100, per_client=4)
    now = dt.datetime.now(dt.UTC)
    for n in range(4):
        with pytest.raises(Refusal):
            start_session(engine, f"p{n}@example.org", "x", "10.9.9.9", limits=limits, now=now)
    with pytest.raises(TooManyAttempts):
        start_session(engine, "other@example.org", "x", "10.9.9.9", limits=limits, now=now)
    with pytest.raises(Refusal):  # another client is not held back
        start_session(engine, "other@example.org", "x", "10.1.1.1", limits=limits, now=now)
    engine.dispose()


def test_an_expired_session_is_signed_out(site: Site) -> None:
    password_for(site, site.cast.applicant.email)
    engine = site.deployment.control_engine()
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    old = start_session(engine, site.cast.applicant.email, PASSWORD, "c", now=long_ago)
    engine.dispose()
    site.client.cookies.set(SESSION_COOKIE, old.secret)
    answer = site.client.get("/api/v1/me")
    assert answer.status_code == 401 and answer.json()["code"] == "not_signed_in"


def test_a_page_asks_a_signed_out_browser_to_sign_in(site: Site) -> None:
    answer = site.client.get("/sign-out", headers={"accept": "text/html"}, follow_redirects=False)
    assert answer.status_code in (303, 405)
    me = site.client.get("/api/v1/me")
    assert me.status_code == 401
    assert me.json() == {
        "code": "not_signed_in",
        "message": "sign in first",
        "hint": me.json()["hint"],
    }


def test_next_never_leaves_the_site(site: Site) -> None:
    password_for(site, site.cast.applicant.email)
    token = _form_token(site.client)
    answer = site.client.post(
        "/sign-in",
        data={
            "email": site.cast.applicant.email,
            "password": PASSWORD,
            "form_token": token,
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"
