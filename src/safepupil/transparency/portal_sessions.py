"""The pupils' and parents' portal: a short viewing time opened by one use of an access
code, and what the portal shows and lets the holder do within it.

Typing the code counts one of its uses (``redeem_code``, recorded in the audit log) and
opens a portal session of ``PORTAL_MINUTES`` (never past the code's own expiry). The
cookie holds a random secret; the control plane keeps only its SHA-256 and the code's
id, so a copy of the database opens nothing, and the pupil token stays on the server.
Pages and forms within the session reuse it, so reading the page, asking for a
correction and reading it again cost one use of the code, not three. The portal's CSRF
token is derived from the secret, so it needs no column and another site cannot
compute it.

Wrong codes are counted per client (``portal_attempts``) in the control plane, so the
limit holds across server processes. A pupil's values are never shown: the page says
which items are held and in what form (``holdings``), which releases included the pupil
(``who_used``), the corrections asked for (status only) and whether an objection is in
force. Objections are recorded by the LA (``governance.objections``): the portal says how
to ask the LA, it does not record one itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import sqlalchemy as sa
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from safepupil.audit.events import AccessCodeRefused
from safepupil.audit.log import record
from safepupil.collection.policy import StatisticsOnlyPolicy, default_policy
from safepupil.controlplane.schema import Base
from safepupil.domain.local_authorities import la_by_code
from safepupil.errors import NotSignedIn, PermissionDenied, TooManyAttempts, UserError
from safepupil.governance.objections import OBJECTIONS
from safepupil.governance.records import as_utc
from safepupil.governance.tables import TOKEN_HASH_LENGTH, table_of
from safepupil.governance.tokens import (
    derived_token,
    looks_like_token,
    new_token,
    token_hash,
    tokens_match,
)
from safepupil.store.amendments import correction_refusal
from safepupil.store.catalogue import Catalogue, load_catalogue
from safepupil.store.deployment import Deployment, open_store
from safepupil.store.pupil_store import collection_datasets, quoted
from safepupil.transparency.access_codes import CODES, redeem_code
from safepupil.transparency.corrections import (
    Correction,
    corrections_for_pupil,
    raise_correction,
)
from safepupil.transparency.holdings import HeldItem, find_pupil_id, held_items
from safepupil.transparency.pupil_index import index_for
from safepupil.transparency.who_used import WhoUsedPage, releases_for

# ruff: noqa: S608 - identifiers come from the catalogue through quoted(); values are bound

PORTAL_MINUTES = 15
CLIENT_LENGTH = 64
CSRF_LABEL = b"safepupil portal csrf"
SESSION_ENDED = NotSignedIn(
    "your viewing time has ended", hint="enter your access code again at /my-data"
)


class PortalSessionRow(Base):
    __tablename__ = "portal_sessions"

    id_hash: Mapped[str] = mapped_column(String(TOKEN_HASH_LENGTH), primary_key=True)
    access_code_id: Mapped[int] = mapped_column(ForeignKey("access_codes.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class PortalAttemptRow(Base):
    """A wrong access code typed into the portal, by client (rate limits)."""

    __tablename__ = "portal_attempts"
    __table_args__ = (Index("ix_portal_attempts_client", "client", "attempted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(String(CLIENT_LENGTH))
    attempted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


PORTAL_SESSIONS = table_of(PortalSessionRow)
PORTAL_ATTEMPTS = table_of(PortalAttemptRow)


@dataclass(frozen=True)
class PortalLimits:
    """How many wrong codes one client may type in a window before the form pauses."""

    window: dt.timedelta = dt.timedelta(minutes=15)
    per_client: int = 10

    @property
    def minutes(self) -> int:
        return int(self.window.total_seconds() // 60)

    def words(self) -> str:
        return (
            f"after {self.per_client} wrong codes from one device or network within "
            f"{self.minutes} minutes, the form pauses for {self.minutes} minutes"
        )


@dataclass(frozen=True)
class IssuedPortalSession:
    secret: str = field(repr=False)  # goes in the cookie; never stored
    expires_at: dt.datetime


@dataclass(frozen=True)
class PortalSession:
    session_hash: str
    access_code_id: int
    pupil_token: str = field(repr=False)  # stays on the server: never shown or logged
    csrf_token: str = field(repr=False)
    expires_at: dt.datetime
    code_expires_at: dt.datetime
    uses_left: int


def portal_csrf_token(secret: str) -> str:
    return derived_token(secret, CSRF_LABEL)


def portal_csrf_matches(session: PortalSession, given: str | None) -> bool:
    return tokens_match(session.csrf_token, given)


def open_portal_session(
    engine: Engine,
    code: str,
    client: str,
    *,
    limits: PortalLimits | None = None,
    now: dt.datetime | None = None,
) -> IssuedPortalSession:
    """Count one use of ``code`` and open a viewing session. A wrong, expired or used-up
    code raises the one PermissionDenied of ``redeem_code``; a client over its limit gets
    TooManyAttempts before the code is even looked at."""
    moment = now or dt.datetime.now(dt.UTC)
    rules = limits or PortalLimits()
    where = client[:CLIENT_LENGTH]
    _check_limits(engine, where, rules, moment)
    try:
        redeemed = redeem_code(engine, code, now=moment)
    except PermissionDenied:
        _note_failure(engine, where, moment)
        raise
    secret = new_token()
    expires = min(moment + dt.timedelta(minutes=PORTAL_MINUTES), redeemed.expires_at)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(PORTAL_SESSIONS).values(
                id_hash=token_hash(secret),
                access_code_id=redeemed.access_code_id,
                created_at=moment,
                expires_at=expires,
                ended_at=None,
            )
        )
    return IssuedPortalSession(secret=secret, expires_at=expires)


def portal_session(engine: Engine, secret: str, *, now: dt.datetime | None = None) -> PortalSession:
    """The session of a portal cookie, or NotSignedIn when it ended or never was."""
    moment = now or dt.datetime.now(dt.UTC)
    if not looks_like_token(secret):
        raise SESSION_ENDED
    joined = PORTAL_SESSIONS.join(CODES, CODES.c.id == PORTAL_SESSIONS.c.access_code_id)
    statement = sa.select(
        PORTAL_SESSIONS.c.id_hash,
        PORTAL_SESSIONS.c.expires_at,
        PORTAL_SESSIONS.c.ended_at,
        CODES.c.id,
        CODES.c.pupil_token,
        CODES.c.expires_at.label("code_expires_at"),
        CODES.c.uses_allowed,
        CODES.c.uses,
    ).select_from(joined)
    with engine.connect() as connection:
        row = connection.execute(
            statement.where(PORTAL_SESSIONS.c.id_hash == token_hash(secret))
        ).first()
    if row is None or row.ended_at is not None or as_utc(row.expires_at) <= moment:
        raise SESSION_ENDED
    return PortalSession(
        session_hash=row.id_hash,
        access_code_id=int(row.id),
        pupil_token=str(row.pupil_token),
        csrf_token=portal_csrf_token(secret),
        expires_at=as_utc(row.expires_at),
        code_expires_at=as_utc(row.code_expires_at),
        uses_left=int(row.uses_allowed) - int(row.uses),
    )


def end_portal_session(engine: Engine, secret: str, *, now: dt.datetime | None = None) -> None:
    """Leave the portal: the session is marked ended (unknown secrets are ignored)."""
    with engine.begin() as connection:
        connection.execute(
            sa.update(PORTAL_SESSIONS)
            .where(
                PORTAL_SESSIONS.c.id_hash == token_hash(secret),
                PORTAL_SESSIONS.c.ended_at.is_(None),
            )
            .values(ended_at=now or dt.datetime.now(dt.UTC))
        )


# ---- what the portal shows ------------------------------------------------------------


@dataclass(frozen=True)
class RecordLa:
    dataset: str
    la_code: str
    la_name: str


@dataclass(frozen=True)
class CorrectableItem:
    dataset: str
    item: str
    description: str

    @property
    def key(self) -> str:
        return f"{self.dataset}.{self.item}"


@dataclass(frozen=True)
class ObjectionState:
    in_force: bool
    recorded_on: dt.date | None
    withdrawn_on: dt.date | None  # the latest withdrawn one, when none is in force


@dataclass(frozen=True)
class PortalView:
    who_used: WhoUsedPage
    record_las: tuple[RecordLa, ...]  # the LAs whose returns hold the pupil
    correctable: tuple[CorrectableItem, ...]
    corrections: tuple[Correction, ...]
    objection: ObjectionState
    session_expires_at: dt.datetime

    def to_dict(self) -> dict[str, object]:
        return {
            **self.who_used.to_dict(),
            "record_las": [
                {"dataset": la.dataset, "code": la.la_code, "name": la.la_name}
                for la in self.record_las
            ],
            "correctable_items": [
                {"dataset": c.dataset, "item": c.item, "description": c.description}
                for c in self.correctable
            ],
            "corrections": [c.to_dict() for c in self.corrections],
            "objection": {
                "in_force": self.objection.in_force,
                "recorded_on": _iso(self.objection.recorded_on),
                "withdrawn_on": _iso(self.objection.withdrawn_on),
            },
            "session_expires_at": self.session_expires_at.isoformat(timespec="seconds"),
        }


def portal_view(
    deployment: Deployment,
    engine: Engine,
    session: PortalSession,
    *,
    catalogue: Catalogue | None = None,
    policy: StatisticsOnlyPolicy | None = None,
) -> PortalView:
    """Everything the portal page shows for the session's pupil; no use of the code."""
    chosen = catalogue or load_catalogue()
    items: tuple[HeldItem, ...] = ()
    record_las: tuple[RecordLa, ...] = ()
    with open_store(deployment, read_only=True) as store:
        pupil_id = find_pupil_id(store, session.pupil_token)
        if pupil_id is not None:
            items = held_items(store, chosen, policy or default_policy(), pupil_id)
            record_las = _record_las(store, chosen, {i.dataset for i in items}, pupil_id)
    with engine.connect() as connection:
        index = index_for(deployment.database_url + str(deployment.home))
        index.refresh(connection)
        releases = () if pupil_id is None else releases_for(connection, index, pupil_id, chosen)
    who = WhoUsedPage(
        found=pupil_id is not None,
        items=items,
        releases=releases,
        code_expires_at=session.code_expires_at,
        uses_left=session.uses_left,
    )
    return PortalView(
        who_used=who,
        record_las=record_las,
        correctable=_correctable(chosen, items, {la.dataset for la in record_las}),
        corrections=tuple(corrections_for_pupil(engine, session.pupil_token)),
        objection=_objection_state(engine, session.pupil_token),
        session_expires_at=session.expires_at,
    )


def raise_portal_correction(
    deployment: Deployment,
    session: PortalSession,
    view: PortalView,
    *,
    item_key: str,
    value: str,
    reason: str,
    catalogue: Catalogue | None = None,
) -> Correction:
    """A correction asked for by the code holder, of an item the portal offered, for the
    LA whose return holds the record (``raise_correction`` with no acting person)."""
    chosen = next((c for c in view.correctable if c.key == item_key), None)
    if chosen is None:
        raise UserError(
            "that item cannot be corrected here",
            hint="choose one of the items listed in the form",
        )
    las = [la.la_code for la in view.record_las if la.dataset == chosen.dataset]
    if len(las) != 1:  # a record in two LAs' returns: the LAs settle it between them
        raise UserError(
            "records of more than one local authority hold this item",
            hint="ask the local authority that gave you the code",
        )
    return raise_correction(
        deployment,
        pupil_token=session.pupil_token,
        dataset=chosen.dataset,
        item=chosen.item,
        value=value,
        reason=reason,
        actor_id=None,
        la_code=las[0],
        catalogue=catalogue,
    )


def _record_las(
    store: duckdb.DuckDBPyConnection, catalogue: Catalogue, datasets: set[str], pupil_id: int
) -> tuple[RecordLa, ...]:
    found: list[RecordLa] = []
    for dataset, _ in collection_datasets(catalogue):
        if dataset.name not in datasets or not any(i.name == "la" for i in dataset.items):
            continue
        rows = store.execute(
            f"SELECT DISTINCT la FROM {quoted(dataset.name)} WHERE pupil_id = ? ORDER BY la",
            [pupil_id],
        ).fetchall()
        for (code,) in rows:
            if code is None:
                continue
            authority = la_by_code(str(code), dataset.reference_date)
            name = authority.name if authority else f"local authority {code}"
            found.append(RecordLa(dataset.name, str(code), name))
    return tuple(found)


def _correctable(
    catalogue: Catalogue, items: tuple[HeldItem, ...], datasets: set[str]
) -> tuple[CorrectableItem, ...]:
    chosen = []
    for held in items:
        if held.dataset not in datasets:
            continue
        dataset = catalogue.dataset(held.dataset)
        spec = next(i for i in dataset.items if i.name == held.item)
        if correction_refusal(dataset, spec) is None:
            chosen.append(CorrectableItem(held.dataset, held.item, held.description))
    return tuple(chosen)


def _objection_state(engine: Engine, token: str) -> ObjectionState:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(OBJECTIONS.c.recorded_at, OBJECTIONS.c.withdrawn_at)
            .where(OBJECTIONS.c.pupil_token == token)
            .order_by(OBJECTIONS.c.id)
        ).all()
    active = [r for r in rows if r.withdrawn_at is None]
    if active:
        return ObjectionState(True, as_utc(active[-1].recorded_at).date(), None)
    if rows:
        return ObjectionState(False, None, as_utc(rows[-1].withdrawn_at).date())
    return ObjectionState(False, None, None)


def _check_limits(engine: Engine, client: str, limits: PortalLimits, now: dt.datetime) -> None:
    with engine.connect() as connection:
        failed = connection.execute(
            sa.select(sa.func.count())
            .select_from(PORTAL_ATTEMPTS)
            .where(
                PORTAL_ATTEMPTS.c.client == client,
                PORTAL_ATTEMPTS.c.attempted_at > now - limits.window,
            )
        ).scalar_one()
    if failed >= limits.per_client:
        record(engine, AccessCodeRefused(access_code_id=None, reason="too many wrong codes"))
        raise TooManyAttempts(
            "too many wrong access codes were typed here",
            hint=f"{limits.words()}; wait {limits.minutes} minutes and try again, or ask "
            "the local authority that gave you the code",
        )


def _note_failure(engine: Engine, client: str, now: dt.datetime) -> None:
    with engine.begin() as connection:
        connection.execute(sa.insert(PORTAL_ATTEMPTS).values(client=client, attempted_at=now))
        # Older than a day is outside every window: keep the table small.
        connection.execute(
            sa.delete(PORTAL_ATTEMPTS).where(
                PORTAL_ATTEMPTS.c.attempted_at < now - dt.timedelta(days=1)
            )
        )


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()
