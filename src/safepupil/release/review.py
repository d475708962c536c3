"""The review queue: what the rules flag but cannot settle waits for two output checkers.

A held release (``releases.status == "held"``) shows no value. Output checkers see its
project, dataset, requester, time and reasons (never a value) with ``list_held``.
``review_release`` records one checker's decision: the checker must hold the
output-checker role, be active, not be the requester and not have reviewed the release
before. One rejection refuses the release; the second distinct approval releases it.

On that second approval the stored query is run again (authorised again, so a requester
who has lost access gets nothing) and protected exactly as the pipeline does, with the
reviewed reasons settled: suppression, its audit and rounding still apply. The shown
table (symbolised, rounded text) is kept in ``release_tables`` and the released cells'
contributors in ``released_cells``, so later queries are checked against it. If the
re-run is refused by the rules, the release is refused. Every decision is written with
its audit events in one transaction.

``fetch_release`` is the requester's view: status, the reasons in plain words and, once
released after review, the table as shown.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, mapped_column

from safepupil.audit.events import ApprovalRefused, ReleaseMade, ReleaseRefused, ReleaseReviewed
from safepupil.audit.log import record, writing
from safepupil.controlplane.schema import Base
from safepupil.disclosure.output_policy import PolicyBook, load_policy_book
from safepupil.errors import DisclosureRefused, NotFound, UserError
from safepupil.governance.authorise import authorise_query
from safepupil.governance.people import Person, check_text
from safepupil.governance.records import as_utc, load_person
from safepupil.governance.refusals import PERSON_DISABLED, Refusal
from safepupil.governance.roles import Role
from safepupil.governance.tables import table_of
from safepupil.query.engines import DuckDBEngine
from safepupil.query.restriction import RestrictionContext, restrict
from safepupil.query.wire import from_json
from safepupil.release.pipeline import decide
from safepupil.release.records import (
    HELD,
    REFUSED,
    RELEASE_ID_LENGTH,
    RELEASED,
    ReleasedCellRow,
    ReleaseRecord,
    ReleaseRow,
    earlier_cells,
    load_release,
    next_released_seq,
)
from safepupil.release.result import ProtectedTable
from safepupil.release.shaping import released_table
from safepupil.release.shown import TABLES, store_shown_table
from safepupil.store.catalogue import load_catalogue
from safepupil.store.deployment import Deployment, open_store

APPROVALS_NEEDED = 2
MAX_NOTE_CHARS = 900  # the audit reason adds a short prefix and holds 1,000

# Refusal rules (a refusal's message starts with its rule).
NOT_AN_OUTPUT_CHECKER = "not-an-output-checker"
CHECKER_IS_REQUESTER = "checker-is-requester"
ALREADY_REVIEWED = "already-reviewed"
RELEASE_NOT_HELD = "release-not-held"
NOT_THE_REQUESTER = "not-the-requester"


class ReviewDecision(enum.Enum):
    APPROVE = "approve"
    REJECT = "reject"


class ReleaseReviewRow(Base):
    """One output checker's decision on one held release."""

    __tablename__ = "release_reviews"

    release_id: Mapped[str] = mapped_column(
        String(RELEASE_ID_LENGTH), ForeignKey("releases.id"), primary_key=True
    )
    checker_id: Mapped[int] = mapped_column(Integer, ForeignKey("people.id"), primary_key=True)
    decision: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


REVIEWS = table_of(ReleaseReviewRow)
RELEASES = table_of(ReleaseRow)


@dataclass(frozen=True)
class HeldRelease:
    """A release waiting for review: who, what and why; never a value."""

    id: str
    project_id: int
    dataset: str
    requester_id: int
    created_at: dt.datetime
    reasons: tuple[str, ...]
    approvals: tuple[int, ...]  # checkers who have approved so far


@dataclass(frozen=True)
class ReviewOutcome:
    release_id: str
    status: str  # held, released or refused
    approvals: tuple[int, ...]
    reasons: tuple[str, ...]
    table: ProtectedTable | None = None  # the released table, on the releasing approval


@dataclass(frozen=True)
class ReleaseState:
    """What the requester may see of a release that is not handed over as a table now."""

    release_id: str
    status: str
    reasons: tuple[str, ...]  # plain words: why it is held or refused
    columns: tuple[str, ...] = ()  # once released after review: the table as shown
    rows: tuple[tuple[str, ...], ...] = ()
    checksum: str | None = None  # SHA-256 of the CSV export of the table as shown


def list_held(engine: Engine) -> list[HeldRelease]:
    """Every held release, oldest first."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(RELEASES).where(RELEASES.c.status == HELD).order_by(RELEASES.c.created_at)
        ).mappings()
        return [
            HeldRelease(
                id=row["id"],
                project_id=row["project_id"],
                dataset=row["dataset"],
                requester_id=row["person_id"],
                created_at=as_utc(row["created_at"]),
                reasons=tuple(json.loads(row["reasons"])),
                approvals=_approvals(connection, row["id"]),
            )
            for row in rows.all()
        ]


@dataclass(frozen=True)
class ReleaseSummary:
    """One release for an output checker: status, reasons and reviews; never a value."""

    id: str
    project_id: int
    dataset: str
    requester_id: int
    created_at: dt.datetime
    status: str
    reasons: tuple[str, ...]
    reviews: tuple[tuple[int, str, str | None], ...]  # checker id, decision, note


def describe_release(engine: Engine, release_id: str) -> ReleaseSummary:
    with engine.connect() as connection:
        release = _release(connection, release_id)
        reviews = _reviews(connection, release_id)
    return ReleaseSummary(
        id=release.id,
        project_id=release.project_id,
        dataset=release.dataset,
        requester_id=release.person_id,
        created_at=as_utc(release.created_at),
        status=release.status,
        reasons=release.reasons,
        reviews=tuple((r.checker_id, r.decision, r.note) for r in reviews),
    )


def review_release(
    deployment: Deployment,
    release_id: str,
    checker_id: int,
    decision: ReviewDecision,
    note: str | None = None,
    *,
    policies: PolicyBook | None = None,
    now: dt.datetime | None = None,
) -> ReviewOutcome:
    """One output checker's decision. A rejection needs a note (the requester reads it)."""
    why = None if note is None or not note.strip() else check_text("note", note, MAX_NOTE_CHARS)
    if decision is ReviewDecision.REJECT and why is None:
        raise UserError("a rejection needs a note", hint="say why with --note")
    moment = now or dt.datetime.now(dt.UTC)
    control = deployment.control_engine()
    project_id: int | None = None
    try:
        with writing(control) as connection:
            release = _held(connection, release_id)
            project_id = release.project_id
            _check_reviewer(connection, release, load_person(connection, checker_id))
            return _decide(
                deployment, connection, release, checker_id, decision, why, moment, policies
            )
    except Refusal as refusal:  # recorded in a transaction of its own, then raised
        record(
            control,
            ApprovalRefused(
                actor_id=checker_id,
                project_id=project_id,
                rule=refusal.rule,
                reason=f"release {release_id}: {refusal.logged}",
            ),
        )
        raise
    finally:
        control.dispose()


def fetch_release(engine: Engine, release_id: str, person_id: int) -> ReleaseState:
    """The requester's view of their release: status and reasons, and, once released
    after review, the table as shown. Only the requester may fetch it."""
    with engine.connect() as connection:
        release = _release(connection, release_id)
        if release.person_id != person_id:
            person = load_person(connection, person_id)
            raise Refusal(
                NOT_THE_REQUESTER,
                f"{person.email} did not ask for release {release_id}",
                about=person,
            )
        stored = connection.execute(
            sa.select(TABLES.c.shown, TABLES.c.checksum).where(TABLES.c.release_id == release_id)
        ).first()
        reviews = _reviews(connection, release_id)
    reasons = _plain_reasons(release, reviews)
    if release.status != RELEASED or stored is None:
        return ReleaseState(release_id, release.status, reasons, checksum=release.checksum)
    shown = json.loads(stored.shown)
    return ReleaseState(
        release_id=release_id,
        status=RELEASED,
        reasons=reasons,
        columns=tuple(shown["columns"]),
        rows=tuple(tuple(row) for row in shown["rows"]),
        checksum=stored.checksum,
    )


# ---- checks -----------------------------------------------------------------------------


def _check_reviewer(connection: Connection, release: ReleaseRecord, checker: Person) -> None:
    if not checker.active:
        raise Refusal(PERSON_DISABLED, f"{checker.email}'s account is disabled", about=checker)
    if Role.OUTPUT_CHECKER not in checker.roles:
        raise Refusal(
            NOT_AN_OUTPUT_CHECKER,
            f"{checker.email} does not hold the output-checker role",
            hint="ask a custodian to add the role",
            about=checker,
        )
    if checker.id == release.person_id:
        raise Refusal(
            CHECKER_IS_REQUESTER,
            f"{checker.email} asked for release {release.id}, so cannot review it",
            hint="another output checker must review it",
            about=checker,
        )
    if checker.id in {review.checker_id for review in _reviews(connection, release.id)}:
        raise Refusal(
            ALREADY_REVIEWED,
            f"{checker.email} has already reviewed release {release.id}",
            hint="a second, different output checker must review it",
            about=checker,
        )


def _held(connection: Connection, release_id: str) -> ReleaseRecord:
    release = _release(connection, release_id)
    if release.status != HELD:
        raise UserError(
            f"{RELEASE_NOT_HELD}: release {release_id} is {release.status}, not held",
            hint="see `safepupil review list`",
        )
    return release


def _release(connection: Connection, release_id: str) -> ReleaseRecord:
    release = load_release(connection, release_id)
    if release is None:
        raise NotFound(f"no release {release_id}", hint="see `safepupil review list`")
    return release


# ---- decisions --------------------------------------------------------------------------


def _decide(
    deployment: Deployment,
    connection: Connection,
    release: ReleaseRecord,
    checker_id: int,
    decision: ReviewDecision,
    note: str | None,
    moment: dt.datetime,
    policies: PolicyBook | None,
) -> ReviewOutcome:
    connection.execute(
        sa.insert(REVIEWS).values(
            release_id=release.id,
            checker_id=checker_id,
            decision=decision.value,
            note=note,
            decided_at=moment,
        )
    )
    envelope = {"actor_id": checker_id, "project_id": release.project_id}
    record(connection, ReleaseReviewed(**envelope, release_id=release.id, decision=decision.value))
    if decision is ReviewDecision.REJECT:
        reason = f"rejected by an output checker: {note}"
        _set(connection, release.id, status=REFUSED)
        record(connection, ReleaseRefused(**envelope, query_id=release.id, reason=reason))
        return ReviewOutcome(release.id, REFUSED, (), (*release.reasons, reason))
    approvals = _approvals(connection, release.id)
    if len(approvals) < APPROVALS_NEEDED:
        return ReviewOutcome(release.id, HELD, approvals, release.reasons)
    return _release_reviewed(deployment, connection, release, checker_id, approvals, policies)


def _release_reviewed(
    deployment: Deployment,
    connection: Connection,
    release: ReleaseRecord,
    checker_id: int,
    approvals: tuple[int, ...],
    policies: PolicyBook | None,
) -> ReviewOutcome:
    """Run the query again and protect it as the pipeline does, the reviewed reasons
    settled; store what is shown and record the release."""
    envelope = {"actor_id": checker_id, "project_id": release.project_id}
    query = from_json(release.query_json, load_catalogue())
    items = query.items_used()
    try:
        grant = _authorise(connection, release, items)
        restricted = restrict(query, RestrictionContext(allowed_items=grant))
        with open_store(deployment, read_only=True) as store:
            result = DuckDBEngine().run(restricted, store, with_margins=True)
        policy = (policies or load_policy_book()).policy_for(query.dataset, items)
        decision = decide(query, result, policy, earlier_cells(connection, query.dataset))
    except (Refusal, DisclosureRefused) as refusal:
        reason = f"after review the release could not be made: {refusal.message}"
        _set(connection, release.id, status=REFUSED, reasons=json.dumps([*release.reasons, reason]))
        record(connection, ReleaseRefused(**envelope, query_id=release.id, reason=reason))
        return ReviewOutcome(release.id, REFUSED, approvals, (*release.reasons, reason))
    table, shown = released_table(
        release.id, query, decision.layout, decision.protected, (), policy
    )
    store_shown_table(connection, table)
    if shown:
        connection.execute(
            sa.insert(ReleasedCellRow),
            [
                {
                    "release_id": release.id,
                    "cell_key": key,
                    "contributors": bitmap.serialize(),
                    "cardinality": len(bitmap),
                }
                for key, bitmap in shown
            ],
        )
    _set(
        connection,
        release.id,
        status=RELEASED,
        # Numbered now, not when it was held: readers look for releases made since
        # their last look, and for them this release is made now.
        released_seq=next_released_seq(connection, release.dataset),
        pupils=table.pupils,
        cells_released=decision.protected.released_count,
        cells_suppressed=decision.protected.suppressed_count,
        checksum=table.checksum,
    )
    record(
        connection,
        ReleaseMade(
            actor_id=checker_id,
            project_id=release.project_id,
            release_id=release.id,
            query_id=release.id,
            cells=len(shown),
            pupils=table.pupils,
        ),
    )
    return ReviewOutcome(release.id, RELEASED, approvals, release.reasons, table)


def _authorise(
    connection: Connection, release: ReleaseRecord, items: frozenset[str]
) -> frozenset[str]:
    grant = authorise_query(
        connection,
        release.person_id,
        release.project_id,
        items,
        release.dataset,
        dt.datetime.now(dt.UTC).date(),
    )
    return grant.allowed_items


def _set(connection: Connection, release_id: str, **values: object) -> None:
    connection.execute(sa.update(RELEASES).where(RELEASES.c.id == release_id).values(**values))


# ---- reading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Review:
    checker_id: int
    decision: str
    note: str | None


def _reviews(connection: Connection, release_id: str) -> list[_Review]:
    rows = connection.execute(
        sa.select(REVIEWS.c.checker_id, REVIEWS.c.decision, REVIEWS.c.note)
        .where(REVIEWS.c.release_id == release_id)
        .order_by(REVIEWS.c.decided_at, REVIEWS.c.checker_id)
    ).all()
    return [_Review(row.checker_id, row.decision, row.note) for row in rows]


def _approvals(connection: Connection, release_id: str) -> tuple[int, ...]:
    return tuple(
        sorted(
            r.checker_id
            for r in _reviews(connection, release_id)
            if r.decision == ReviewDecision.APPROVE.value
        )
    )


def _plain_reasons(release: ReleaseRecord, reviews: Sequence[_Review]) -> tuple[str, ...]:
    reasons = list(release.reasons)
    approvals = sum(r.decision == ReviewDecision.APPROVE.value for r in reviews)
    if release.status == HELD:
        reasons.append(
            f"held for review by two output checkers: {approvals} of "
            f"{APPROVALS_NEEDED} approvals so far"
        )
    reasons.extend(
        f"rejected by an output checker: {r.note}"
        for r in reviews
        if r.decision == ReviewDecision.REJECT.value
    )
    if release.status == RELEASED and reviews:
        reasons.append("released after approval by two output checkers")
    return tuple(reasons)
