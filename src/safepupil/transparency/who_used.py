"""Who used my data: the page a pupil or parent sees with an access code.

``who_used_my_data`` is the page's one service function: it counts one use of the code
(recorded in the audit log before anything is shown), finds the pupil in the store by
token, and answers what is held about them (items, form, whether a value is held,
retention; never a value) and every release whose released cells included them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safepupil.collection.policy import StatisticsOnlyPolicy, default_policy
from safepupil.governance.records import PROJECTS
from safepupil.store.catalogue import Catalogue, load_catalogue
from safepupil.store.deployment import Deployment, open_store
from safepupil.transparency.access_codes import redeem_code
from safepupil.transparency.describe import describe_query
from safepupil.transparency.holdings import HeldItem, find_pupil_id, held_items
from safepupil.transparency.pupil_index import IndexedRelease, ReleaseIndex, index_for


@dataclass(frozen=True)
class PupilRelease:
    release_id: str
    released_at: dt.datetime
    project_id: int
    project_title: str
    organisation: str
    organisation_type: str
    purpose: str
    dataset: str
    what: str  # the table in words: measures, dimensions, and which items chose pupils

    def to_dict(self) -> dict[str, object]:
        return {
            "release_id": self.release_id,
            "released_at": self.released_at.isoformat(),
            "project_id": self.project_id,
            "project_title": self.project_title,
            "organisation": self.organisation,
            "organisation_type": self.organisation_type,
            "purpose": self.purpose,
            "dataset": self.dataset,
            "what": self.what,
        }


@dataclass(frozen=True)
class WhoUsedPage:
    found: bool  # whether the store holds any record of the pupil
    items: tuple[HeldItem, ...]
    releases: tuple[PupilRelease, ...]
    code_expires_at: dt.datetime
    uses_left: int

    def to_dict(self) -> dict[str, object]:
        return {
            "found": self.found,
            "items": [item.to_dict() for item in self.items],
            "releases": [release.to_dict() for release in self.releases],
            "code_expires_at": self.code_expires_at.isoformat(),
            "uses_left": self.uses_left,
        }


def who_used_my_data(
    deployment: Deployment,
    code: str,
    *,
    catalogue: Catalogue | None = None,
    policy: StatisticsOnlyPolicy | None = None,
    now: dt.datetime | None = None,
) -> WhoUsedPage:
    """The page for the holder of ``code``; PermissionDenied (always the same) when the
    code is wrong, expired or used up."""
    chosen = catalogue or load_catalogue()
    engine = deployment.control_engine()
    try:
        redeemed = redeem_code(engine, code, now=now)
        with open_store(deployment, read_only=True) as store:
            pupil_id = find_pupil_id(store, redeemed.pupil_token)
            items = (
                ()
                if pupil_id is None
                else held_items(store, chosen, policy or default_policy(), pupil_id)
            )
        with engine.connect() as connection:
            index = index_for(deployment.database_url + str(deployment.home))
            index.refresh(connection)
            releases = () if pupil_id is None else releases_for(connection, index, pupil_id, chosen)
    finally:
        engine.dispose()
    return WhoUsedPage(
        found=pupil_id is not None,
        items=items,
        releases=releases,
        code_expires_at=redeemed.expires_at,
        uses_left=redeemed.uses_left,
    )


def releases_for(
    connection: Connection, index: ReleaseIndex, pupil_id: int, catalogue: Catalogue
) -> tuple[PupilRelease, ...]:
    """The releases that included ``pupil_id``, oldest first, with their projects. The
    releases come from memory; only projects not seen before are read."""
    found = index.releases_of(pupil_id)
    missing = [release for release in found if release.release_id not in index.shown]
    if missing:
        _remember(connection, index, missing, catalogue)
    shown = index.shown
    return tuple(shown[release.release_id] for release in found)


def _remember(
    connection: Connection,
    index: ReleaseIndex,
    releases: list[IndexedRelease],
    catalogue: Catalogue,
) -> None:
    projects = {
        row.id: row
        for row in connection.execute(
            sa.select(
                PROJECTS.c.id,
                PROJECTS.c.title,
                PROJECTS.c.organisation,
                PROJECTS.c.organisation_type,
                PROJECTS.c.purpose,
            ).where(PROJECTS.c.id.in_({r.project_id for r in releases}))
        )
    }
    described: dict[str, str] = {}  # many releases repeat a query: describe each once
    for release in releases:
        if release.query_json not in described:
            described[release.query_json] = describe_query(release.query_json, catalogue)
        project = projects[release.project_id]
        index.shown[release.release_id] = PupilRelease(
            release_id=release.release_id,
            released_at=release.released_at,
            project_id=release.project_id,
            project_title=project.title,
            organisation=project.organisation,
            organisation_type=project.organisation_type,
            purpose=project.purpose,
            dataset=release.dataset,
            what=described[release.query_json],
        )
