"""What the portal shows within a viewing session, and the correction it lets the
holder ask for.

A pupil's values are never shown: the page says which items are held and in what form
(``holdings``), which releases included the pupil (``who_used``), the LAs whose returns
hold the record, the corrections asked for (status only) and whether an objection is in
force. Objections are recorded by the LA (``governance.objections``): the portal says
how to ask the LA, it does not record one itself. Reading the view uses nothing of the
access code: the session (``portal_sessions``) was paid for when it opened.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safepupil.collection.policy import StatisticsOnlyPolicy, default_policy
from safepupil.domain.local_authorities import la_by_code
from safepupil.errors import UserError
from safepupil.governance.objections import OBJECTIONS
from safepupil.governance.records import as_utc
from safepupil.store.amendments import correction_refusal
from safepupil.store.catalogue import Catalogue, load_catalogue
from safepupil.store.deployment import Deployment, open_store
from safepupil.store.pupil_store import collection_datasets, quoted
from safepupil.transparency.corrections import (
    Correction,
    corrections_for_pupil,
    raise_correction,
)
from safepupil.transparency.holdings import HeldItem, find_pupil_id, held_items
from safepupil.transparency.portal_sessions import PortalSession
from safepupil.transparency.pupil_index import index_for
from safepupil.transparency.who_used import WhoUsedPage, releases_for

# ruff: noqa: S608 - identifiers come from the catalogue through quoted(); values are bound


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


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()
