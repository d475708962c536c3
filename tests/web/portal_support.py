"""Support for the register, portal and notice page tests: a copy of the session's demo
deployment (tests/web/browser_support.py) with one pupil known by UPN, the app behind a
TestClient, and helpers to issue and type access codes."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient
from httpx import Response

from safepupil.collection.keys.load import load_pseudonym_key
from safepupil.collection.pseudonymise import pupil_token
from safepupil.collection.read import read_return
from safepupil.store.deployment import open_store
from safepupil.transparency.access_codes import issue_access_code
from safepupil.transparency.holdings import find_pupil_id
from safepupil.transparency.portal_limits import PortalLimits
from safepupil.web.app import create_app
from safepupil.web.settings import WebSettings
from tests.web.browser_support import DataSite, data_site
from tests.web.conftest import BASE_URL

TEST_LIMITS = PortalLimits(per_client=4)


@dataclass(frozen=True)
class Portal:
    site: DataSite
    client: TestClient
    upn: str  # a pupil in the store (the test's secret: never expected on a page)
    token: str
    pupil_id: int
    pupil_la: str
    other_pupil_ids: tuple[int, ...]

    def code(self, **kwargs: object) -> str:
        issued = issue_access_code(
            self.site.deployment,
            self.upn,
            self.site.cast.custodian.id,
            **kwargs,  # type: ignore[arg-type]
        )
        return issued.code


@contextlib.contextmanager
def portal_site(template: Path, where: Path) -> Iterator[Portal]:
    site = data_site(template, where)
    returns = sorted((template.parent / "returns").iterdir())
    parsed = read_return(returns[0])
    upn = str(parsed.records.column("upn")[0].as_py())
    token = pupil_token(upn, load_pseudonym_key(site.deployment.paths.keys.pseudonym_key))
    with open_store(site.deployment, read_only=True) as store:
        pupil_id = find_pupil_id(store, token)
        everyone = [int(r[0]) for r in store.execute("SELECT pupil_id FROM pupils").fetchall()]
    assert pupil_id is not None
    app = create_app(site.deployment, WebSettings())
    app.state.portal_limits = TEST_LIMITS
    with TestClient(app, base_url=BASE_URL) as client:
        yield Portal(
            site=site,
            client=client,
            upn=upn,
            token=token,
            pupil_id=pupil_id,
            pupil_la=parsed.header.la,
            other_pupil_ids=tuple(p for p in everyone if p != pupil_id),
        )


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} in the page"
    return found.group(1)


def enter_code(client: TestClient, code: str) -> Response:
    """Type a code into /my-data as a browser does (the form's token included)."""
    form = client.get("/my-data", headers={"accept": "text/html"})
    answer: Response = client.post(
        "/my-data",
        data={"code": code, "form_token": hidden(form.text, "form_token")},
        headers={"accept": "text/html"},
        follow_redirects=False,
    )
    return answer


def forget_attempts(portal: Portal) -> None:
    """Clear the wrong-code counts, so one test's refusals do not limit the next."""
    import sqlalchemy as sa

    from safepupil.transparency.portal_tables import PORTAL_ATTEMPTS

    engine = portal.site.deployment.control_engine()
    with engine.begin() as connection:
        connection.execute(sa.delete(PORTAL_ATTEMPTS))
    engine.dispose()
