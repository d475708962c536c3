"""The pages in a real browser: Debian's chromium driven by Playwright, the app served by
uvicorn on 127.0.0.1 over plain HTTP (Secure cookies still work: chromium treats the
loopback address as a secure origin, which the first test pins)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from safepupil.query.builder import dataset
from safepupil.release import run_protected_query
from safepupil.web.app import create_app
from safepupil.web.settings import SESSION_COOKIE, WebSettings
from tests.web.browser_support import (
    AP,
    PHONE,
    DataSite,
    data_site,
    held_release,
    pending_project,
    require_chromium,
    served,
)
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def web(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> DataSite:
    return data_site(demo_template, tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def base_url(web: DataSite) -> Iterator[str]:
    with served(create_app(web.deployment, WebSettings(secure_cookies=True))) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url, accept_downloads=True)
    opened = context.new_page()
    yield opened
    context.close()


def sign_in(page: Page, email: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_a_researcher_tries_submits_and_downloads(
    page: Page, web: DataSite, tmp_path: Path
) -> None:
    sign_in(page, web.cast.applicant.email)
    cookie = next(c for c in page.context.cookies() if c["name"] == SESSION_COOKIE)
    assert cookie["secure"] and cookie["httpOnly"]  # kept over plain HTTP on 127.0.0.1
    page.goto("/workbench")
    page.get_by_role("link", name="Absence and alternative provision").click()
    form = page.locator("details.compose").first
    form.get_by_label("la", exact=True).check()
    form.get_by_label("sex", exact=True).check()
    form.get_by_label("Measure").select_option("count")
    form.get_by_role("button", name="Try on dummy data").click()
    expect(page.get_by_role("heading", name="Dummy data: made-up pupils")).to_be_visible()
    expect(page.locator("table.dummy caption")).to_contain_text("made-up pupils, not real data")
    # The form keeps the choices, so the same query is submitted to the real store.
    page.locator("details.compose").first.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Released.")).to_be_visible()
    suppressed = page.locator("td.value-suppressed").first
    expect(suppressed).to_contain_text("c")
    shown = page.locator("td.value-number").first
    style = "el => getComputedStyle(el).backgroundImage + '|' + getComputedStyle(el).borderStyle"
    assert suppressed.evaluate(style) != shown.evaluate(style)  # visibly distinct, not colour
    expect(page.get_by_role("heading", name="What the symbols mean")).to_be_visible()
    expect(page.locator("svg.bar-chart")).to_be_visible()
    checksum = page.locator("code.checksum").inner_text()
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download CSV").click()
    saved = tmp_path / "release.csv"
    waiting.value.save_as(saved)
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == checksum
    assert saved.read_text().startswith("la,sex,count\n")


def test_output_checkers_approve_a_held_release(page: Page, web: DataSite) -> None:
    release_id = held_release(web)
    for checker in web.checkers:
        sign_in(page, checker)
        page.goto("/checker")
        card = page.locator("section.card", has_text=release_id)
        card.get_by_label("Note").fill("Checked the reasons.")
        card.get_by_role("button", name="Approve").click()
        expect(page.get_by_role("status")).to_contain_text(f"Your review of release {release_id}")
        page.get_by_role("button", name="Sign out").click()
    sign_in(page, web.cast.applicant.email)
    page.goto(f"/workbench/releases/{release_id}")
    expect(page.get_by_text("released", exact=True)).to_be_visible()
    expect(page.locator("table caption")).to_contain_text("released after review")


def test_approvers_approve_an_application(page: Page, web: DataSite) -> None:
    project_id = pending_project(web)
    for approver in (web.cast.approver_1.email, web.cast.approver_2.email):
        sign_in(page, approver)
        page.goto("/custodian")
        page.get_by_role("button", name=f"Approve project {project_id}").click()
        expect(page.get_by_role("status")).to_contain_text(f"approval of project {project_id}")
        page.get_by_role("button", name="Sign out").click()
    sign_in(page, web.cast.applicant.email)
    page.goto("/workbench")
    row = page.locator("tr", has_text=f"(project {project_id})")
    expect(row).to_contain_text("approved")


def test_a_form_with_a_wrong_token_is_refused(page: Page, web: DataSite) -> None:
    project_id = pending_project(web)
    sign_in(page, web.cast.approver_1.email)
    page.goto("/custodian")
    button = page.get_by_role("button", name=f"Approve project {project_id}")
    hidden = page.locator(
        f'form[action="/custodian/projects/{project_id}/approve"] input[name="csrf_token"]'
    )
    hidden.evaluate("el => { el.value = 'forged' }")
    button.click()
    expect(page.get_by_text("security token is missing or out of date")).to_be_visible()
    page.goto("/custodian.json")
    assert f'"id":{project_id}' in page.content().replace(" ", "")  # still pending


def test_the_workbench_fits_a_phone(browser: Browser, base_url: str, web: DataSite) -> None:
    context = browser.new_context(base_url=base_url, viewport=PHONE)
    phone = context.new_page()
    try:
        sign_in(phone, web.cast.applicant.email)
        phone.goto(f"/workbench/projects/{web.project_id}")
        phone.locator("summary", has_text="In SQL").click()
        phone.get_by_label("Query").fill(
            "SELECT la, sex, COUNT(*) FROM ap_census_2018 GROUP BY la, sex"
        )
        phone.locator("details.compose", has_text="In SQL").get_by_role(
            "button", name="Submit"
        ).click()
        expect(phone.get_by_text("Released.")).to_be_visible()
        for path in ("/workbench", None):
            if path:
                phone.goto(path)
            widths = phone.evaluate(
                "() => [document.documentElement.scrollWidth, window.innerWidth]"
            )
            assert widths[0] <= widths[1], f"{path or 'result'}: page scrolls sideways {widths}"
    finally:
        context.close()


def test_my_releases_fit_a_phone_and_download(
    browser: Browser, base_url: str, web: DataSite, tmp_path: Path
) -> None:
    released = run_protected_query(
        web.deployment,
        dataset(AP).by("la", "sex").count().build(),
        web.project_id,
        web.cast.applicant.id,
    )
    held = held_release(web)
    context = browser.new_context(base_url=base_url, viewport=PHONE, accept_downloads=True)
    phone = context.new_page()
    try:
        sign_in(phone, web.cast.applicant.email)
        phone.goto("/workbench")
        phone.get_by_role("navigation", name="Main").get_by_role("link", name="My releases").click()
        expect(phone.get_by_role("heading", name="My releases")).to_be_visible()
        widths = phone.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"my releases: page scrolls sideways {widths}"
        held_row = phone.locator(f"#release-{held}")
        expect(held_row).to_contain_text("held")
        expect(held_row).to_contain_text("not shown")
        expect(held_row.get_by_role("link", name="Download CSV")).to_have_count(0)
        row = phone.locator(f"#release-{released.release_id}")
        expect(row).to_contain_text("released")
        with phone.expect_download() as waiting:
            row.get_by_role("link", name=f"Download CSV of release {released.release_id}").click()
        saved = tmp_path / "release.csv"
        waiting.value.save_as(saved)
        assert hashlib.sha256(saved.read_bytes()).hexdigest() == released.checksum
        row.get_by_role("link", name=f"Open release {released.release_id}").click()
        expect(phone.get_by_role("heading", name=f"Release {released.release_id}")).to_be_visible()
    finally:
        context.close()
