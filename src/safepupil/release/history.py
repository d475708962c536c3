"""A researcher's own releases, newest first: what the workbench's "My releases" page
and ``GET /api/v1/releases`` list.

Only the releases the person asked for (the rule ``review.fetch_release`` applies to
one release) and only under projects they are a member of: a list never shows what the
person could not open one by one.

Figures (cells, hidden cells, pupils) are given only for a released table, which its
requester has been shown with them. A held or refused release's figures were worked
out from cells nobody has been shown, so they stay unsaid, as the release page keeps
its cells unsaid.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safepupil.errors import UserError
from safepupil.governance.records import MEMBERS, PROJECTS, as_utc
from safepupil.release.records import HELD, REFUSED, RELEASED
from safepupil.release.review import RELEASES, REVIEWS, ReviewDecision
from safepupil.release.shown import TABLES

DEFAULT_LIMIT = 50
MAX_LIMIT = 200  # releases in one answer: a page of a long history, not all of it

# What became of a release, in the words the pages use. The control plane records only
# released, held and refused; the reviews say which of those a checker decided.
RELEASED_AT_ONCE = "released"
APPROVED = "approved"  # released after two output checkers approved it
STILL_HELD = "held"
REJECTED = "rejected"  # an output checker rejected it
REFUSED_BY_CONTROL = "refused"  # no safe pattern, or the run after review was refused
STATES = (RELEASED_AT_ONCE, APPROVED, STILL_HELD, REJECTED, REFUSED_BY_CONTROL)


@dataclass(frozen=True)
class OwnRelease:
    """One release in its requester's list: what, when, where it stands; no value."""

    id: str
    created_at: dt.datetime
    project_id: int
    project_title: str
    dataset: str
    status: str  # as recorded: released, held or refused
    state: str  # one of STATES
    cells: int | None  # released tables only: every cell, shown or hidden
    cells_suppressed: int | None
    pupils: int | None  # distinct pupils in the released cells
    has_table: bool  # the table as shown is kept, so it can be fetched and downloaded


@dataclass(frozen=True)
class OwnReleases:
    releases: tuple[OwnRelease, ...]
    total: int  # every release the person may list, not only this page
    offset: int
    limit: int


def list_own_releases(
    engine: Engine, person_id: int, *, offset: int = 0, limit: int = DEFAULT_LIMIT
) -> OwnReleases:
    """The person's releases under their projects, newest first, ``limit`` from ``offset``."""
    if offset < 0 or not 1 <= limit <= MAX_LIMIT:
        raise UserError(
            f"cannot list releases from {offset}, {limit} at a time",
            hint=f"start from 0 or later and ask for 1 to {MAX_LIMIT}",
        )
    mine = RELEASES.c.person_id == person_id
    # The membership join: the person asked for the release and is a member of its project.
    member = sa.and_(
        MEMBERS.c.project_id == RELEASES.c.project_id, MEMBERS.c.person_id == person_id
    )
    listed = RELEASES.join(MEMBERS, member).join(PROJECTS, PROJECTS.c.id == RELEASES.c.project_id)
    with engine.connect() as connection:
        total = connection.execute(
            sa.select(sa.func.count()).select_from(listed).where(mine)
        ).scalar_one()
        rows = connection.execute(
            sa.select(
                RELEASES.c.id,
                RELEASES.c.created_at,
                RELEASES.c.project_id,
                PROJECTS.c.title,
                RELEASES.c.dataset,
                RELEASES.c.status,
                RELEASES.c.cells_released,
                RELEASES.c.cells_suppressed,
                RELEASES.c.pupils,
                TABLES.c.release_id.is_not(None).label("has_table"),
            )
            .select_from(listed.outerjoin(TABLES, TABLES.c.release_id == RELEASES.c.id))
            .where(mine)
            .order_by(RELEASES.c.created_at.desc(), RELEASES.c.id.desc())
            .offset(offset)
            .limit(limit)
        ).all()
        decisions = _decisions(connection, [row.id for row in rows])
    releases = tuple(
        OwnRelease(
            id=row.id,
            created_at=as_utc(row.created_at),
            project_id=row.project_id,
            project_title=row.title,
            dataset=row.dataset,
            status=row.status,
            state=state_of(row.status, decisions.get(row.id, frozenset())),
            cells=_figure(row.status, row.cells_released + row.cells_suppressed),
            cells_suppressed=_figure(row.status, row.cells_suppressed),
            pupils=_figure(row.status, row.pupils),
            has_table=bool(row.has_table) and row.status == RELEASED,
        )
        for row in rows
    )
    return OwnReleases(releases, total, offset, limit)


def state_of(status: str, decisions: frozenset[str]) -> str:
    """The state in the pages' words, from the recorded status and the reviews' decisions."""
    if status == RELEASED:
        return APPROVED if ReviewDecision.APPROVE.value in decisions else RELEASED_AT_ONCE
    if status == HELD:
        return STILL_HELD
    if status == REFUSED and ReviewDecision.REJECT.value in decisions:
        return REJECTED
    return REFUSED_BY_CONTROL


def _figure(status: str, figure: int) -> int | None:
    return figure if status == RELEASED else None


def _decisions(connection: sa.Connection, ids: list[str]) -> dict[str, frozenset[str]]:
    if not ids:
        return {}
    found: dict[str, set[str]] = {}
    statement = sa.select(REVIEWS.c.release_id, REVIEWS.c.decision).where(
        REVIEWS.c.release_id.in_(ids)
    )
    for release_id, decision in connection.execute(statement):
        found.setdefault(release_id, set()).add(decision)
    return {release_id: frozenset(kinds) for release_id, kinds in found.items()}
