"""Every state-changing form of the pages refuses a POST without the session's CSRF
token, or with a wrong one, before anything else happens (the guard checks it)."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from safepupil.web.pages import checker, custodian, sign_in, workbench
from tests.web.conftest import Site, password_for
from tests.web.conftest import sign_in as sign_in_as

PAGE_ROUTERS = (
    sign_in.signed_in_router,
    workbench.router,
    checker.router,
    custodian.router,
    custodian.people_router,
)
FORMS = sorted(
    {
        re.sub(r"\{[^}]+\}", "1", route.path)
        for router in PAGE_ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and "POST" in (route.methods or set())
    }
)


def test_there_are_forms_to_check() -> None:
    assert len(FORMS) >= 17  # sign-out, and every page form with its JSON twin


@pytest.mark.parametrize("token", [None, "x" * 64], ids=["missing", "wrong"])
def test_every_form_refuses_a_post_without_the_right_token(site: Site, token: str | None) -> None:
    password_for(site, site.cast.custodian.email)
    sign_in_as(site.client, site.cast.custodian.email)
    fields = {"decision": "approve", "note": "n", "reason": "r", "until": "2030-01-01",
              "name": "N", "email": "n@example.org", "organisation": "O", "sql": "x"}  # fmt: skip
    if token is not None:
        fields["csrf_token"] = token
    for path in FORMS:
        answer = site.client.post(path, data=fields, follow_redirects=False)
        assert answer.status_code == 403, f"{path}: {answer.status_code}"
        assert answer.json()["message"] == "the form's security token is missing or out of date"
    engine = site.deployment.control_engine()
    from safepupil.governance import service

    assert service.get_person(engine, 1).active  # nothing was disabled
    engine.dispose()
