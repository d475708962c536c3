"""The public pages on a phone-sized screen (375 x 667) in Debian's chromium: the
register, the portal opened with an access code, and the child-friendly notice, with
no sideways scrolling and tap targets at least 44 pixels high."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from pyroaring import FrozenBitMap

from safepupil.web.app import create_app
from safepupil.web.settings import WebSettings
from tests.transparency.conftest import store_with_event
from tests.web.browser_support import PHONE, require_chromium, served
from tests.web.portal_support import Portal, portal_site

pytestmark = pytest.mark.browser
TAP = 44  # pixels: the smallest comfortable tap target
TAPPABLE = "main button, main input:not([type=hidden]), main select, main a.button"


@pytest.fixture(scope="module")
def portal(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    with portal_site(demo_template, tmp_path_factory.mktemp("browser-portal")) as made:
        site, others = made.site, made.other_pupil_ids
        store_with_event(
            site.deployment, site.project_id, site.cast.applicant.id,
            (FrozenBitMap([made.pupil_id, *others[:30]]), FrozenBitMap(others[30:60])),
        )  # fmt: skip
        yield made


@pytest.fixture(scope="module")
def base_url(portal: Portal) -> Iterator[str]:
    with served(create_app(portal.site.deployment, WebSettings(secure_cookies=True))) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = require_chromium()  # fails, never skips, without chromium
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def phone(browser: Browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url, viewport=PHONE, is_mobile=True)
    opened = context.new_page()
    yield opened
    context.close()


def no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url}: page is {widths[0]}px wide on {widths[1]}px"


def taps_are_large(page: Page) -> None:
    small = page.evaluate(
        """([selector, least]) => [...document.querySelectorAll(selector)]
            .filter(e => e.offsetParent !== null)
            .filter(e => e.getBoundingClientRect().height < least)
            .map(e => e.outerHTML.slice(0, 80))""",
        [TAPPABLE, TAP],
    )
    assert small == []


def test_the_register_fits_a_phone(phone: Page) -> None:
    phone.goto("/register")
    expect(phone.get_by_role("heading", name="Public register of data uses")).to_be_visible()
    expect(phone.locator("table.register-releases tbody tr")).not_to_have_count(0)
    no_sideways_scroll(phone)


def test_the_portal_on_a_phone(phone: Page, portal: Portal) -> None:
    phone.goto("/my-data")
    no_sideways_scroll(phone)
    taps_are_large(phone)
    phone.get_by_label("Access code").fill("WRNG-CODE-2345-6789")
    phone.get_by_role("button", name="Show my data").click()
    expect(phone.get_by_role("alert")).to_contain_text("We could not open your page")
    phone.get_by_label("Access code").fill(portal.code().lower())  # any case works
    phone.get_by_role("button", name="Show my data").click()
    expect(phone.get_by_role("heading", name="Your data", exact=True)).to_be_visible()
    expect(phone.locator(".release-card")).to_have_count(1)
    expect(phone.locator(".release-card")).to_contain_text("University of Somewhere")
    no_sideways_scroll(phone)
    taps_are_large(phone)
    content = phone.content()
    assert portal.upn not in content and portal.token not in content


def test_a_correction_from_a_phone(phone: Page, portal: Portal) -> None:
    phone.goto("/my-data")
    phone.get_by_label("Access code").fill(portal.code())
    phone.get_by_role("button", name="Show my data").click()
    phone.get_by_label("What is wrong").select_option("ap_census_2018.sex")
    phone.get_by_label("What it should say").fill("F")
    phone.get_by_label("Why (in your own words)").fill("It is wrong on my record")
    phone.get_by_role("button", name="Send the request").click()
    expect(phone.get_by_role("status").filter(has_text="was sent")).to_be_visible()
    expect(phone.locator("#corrections")).to_be_visible()
    no_sideways_scroll(phone)


def test_the_child_friendly_notice_is_one_tap_away(phone: Page, portal: Portal) -> None:
    phone.goto("/my-data")
    phone.get_by_label("Access code").fill(portal.code())
    phone.get_by_role("button", name="Show my data").click()
    phone.get_by_role("link", name="Read the note for children and young people").click()
    expect(phone.get_by_role("heading", name="Your school record: a note for you")).to_be_visible()
    no_sideways_scroll(phone)
    taps_are_large(phone)
    phone.get_by_role("link", name="Read the full version for adults").click()
    expect(phone.locator("h1")).to_contain_text("Privacy notice")
    no_sideways_scroll(phone)
