"""Corrections: a pupil or parent (through a redeemed access code) or the LA asks for an
item of the pupil's record to be corrected; the LA reviews it; an accepted correction is
applied at the national store as a versioned amendment (``store.amendments``).

    raised --(LA accepts)--> accepted --(amendment written)--> applied
       └----(LA rejects, with a note)--> rejected

One function per action, each taking the acting person's id (None only for a pupil or
parent whose access code the caller has redeemed). The proposed value is pupil-level
data: it is checked against the item's type and codeset, stored here and in the store,
and never put in the audit log, an error message or any output but the reviewer's.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, mapped_column

from safepupil.audit.events import CorrectionApplied, CorrectionRaised, CorrectionReviewed
from safepupil.audit.log import record, writing
from safepupil.controlplane.schema import Base
from safepupil.errors import NotFound, UserError
from safepupil.governance.objections import check_pupil_token, la_of, la_scope, require_la_staff
from safepupil.governance.people import check_text
from safepupil.governance.records import as_utc, inserted_id
from safepupil.governance.tables import IDENTIFIER_LENGTH, LA_CODE_LENGTH, table_of
from safepupil.store.amendments import (
    apply_amendment,
    has_record,
    normalised_value,
    pupil_id_of,
    require_correctable_dataset,
)
from safepupil.store.catalogue import Catalogue, Dataset, load_catalogue
from safepupil.store.deployment import Deployment, open_store
from safepupil.store.pupil_store import collection_datasets

MAX_REASON = 2_000
ACCESS_CODE, LA = "access-code", "la"


class CorrectionStatus(enum.Enum):
    RAISED = "raised"
    ACCEPTED = "accepted"
    APPLIED = "applied"
    REJECTED = "rejected"


class CorrectionRow(Base):
    __tablename__ = "correction_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pupil_token: Mapped[str] = mapped_column(String(32), index=True)
    la_code: Mapped[str] = mapped_column(String(LA_CODE_LENGTH), index=True)
    dataset: Mapped[str] = mapped_column(String(IDENTIFIER_LENGTH))
    item: Mapped[str] = mapped_column(String(IDENTIFIER_LENGTH))
    proposed_value: Mapped[str] = mapped_column(Text)  # pupil-level: never logged
    reason: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(32))
    raised_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    raised_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    review_note: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    amendment_number: Mapped[int | None] = mapped_column(Integer)


CORRECTIONS = table_of(CorrectionRow)


@dataclass(frozen=True)
class Correction:
    id: int
    la_code: str
    dataset: str
    item: str
    channel: str
    status: CorrectionStatus
    raised_by: int | None
    raised_at: dt.datetime
    reviewed_by: int | None
    review_note: str | None
    applied_at: dt.datetime | None
    amendment_number: int | None

    def to_dict(self) -> dict[str, object]:
        """What the requester and lists see: no token, no proposed value."""
        return {
            "id": self.id,
            "la": self.la_code,
            "dataset": self.dataset,
            "item": self.item,
            "channel": self.channel,
            "status": self.status.value,
            "raised_at": self.raised_at.isoformat(timespec="seconds"),
            "note": self.review_note,
            "applied_at": None if self.applied_at is None else self.applied_at.isoformat(),
            "amendment_number": self.amendment_number,
        }


def raise_correction(
    deployment: Deployment,
    *,
    pupil_token: str,
    dataset: str,
    item: str,
    value: str,
    reason: str,
    actor_id: int | None,
    la_code: str | None = None,
    catalogue: Catalogue | None = None,
    on: dt.date | None = None,
) -> Correction:
    """Raise a correction. ``actor_id`` None: a pupil or parent whose access code the
    caller redeemed (``la_code`` then names the LA of the record); otherwise an LA
    submitter entering it for their own LA."""
    token = check_pupil_token(pupil_token)
    spec = _dataset(catalogue, dataset)
    proposed = normalised_value(spec, item, value, on or dt.datetime.now(dt.UTC).date())
    why = check_text("reason", reason, MAX_REASON)
    engine = deployment.control_engine()
    try:
        if actor_id is not None:
            with engine.connect() as connection:
                la_code = la_of(connection, actor_id, la_code)
                require_la_staff(
                    connection, actor_id, la_code, "raise a correction", custodian=False
                )
        if la_code is None:
            raise UserError("the LA of the record is missing", hint="give the LA's DfE number")
        _require_record(deployment, spec, la_code, token)
        with writing(engine) as connection:
            if actor_id is not None:  # the person may have changed since the check above
                require_la_staff(
                    connection, actor_id, la_code, "raise a correction", custodian=False
                )
            return _insert(connection, token, la_code, spec.name, item, proposed, why, actor_id)
    finally:
        engine.dispose()


def review_correction(
    deployment: Deployment,
    correction_id: int,
    actor_id: int,
    *,
    accept: bool,
    note: str | None = None,
) -> Correction:
    """The LA's decision. Accepting applies the correction at the store at once; if the
    store cannot be written now, it stays accepted and ``apply_correction`` finishes it."""
    engine = deployment.control_engine()
    try:
        with writing(engine) as connection:
            correction = _load(connection, correction_id)
            require_la_staff(
                connection, actor_id, correction.la_code, "review this correction", custodian=False
            )
            if correction.status is not CorrectionStatus.RAISED:
                raise UserError(
                    f"correction {correction_id} was {correction.status.value} already",
                    hint="a correction is reviewed once; a new request can be raised",
                )
            text = (
                None if note is None or not note.strip() else check_text("note", note, MAX_REASON)
            )
            if not accept and text is None:
                raise UserError(
                    "a rejection needs a note", hint="say why, in words the requester will read"
                )
            status = CorrectionStatus.ACCEPTED if accept else CorrectionStatus.REJECTED
            connection.execute(
                sa.update(CORRECTIONS)
                .where(CORRECTIONS.c.id == correction_id)
                .values(
                    status=status.value,
                    reviewed_by=actor_id,
                    reviewed_at=dt.datetime.now(dt.UTC),
                    review_note=text,
                )
            )
            record(
                connection,
                CorrectionReviewed(
                    actor_id=actor_id, correction_id=correction_id, decision=status.value
                ),
            )
            reviewed = _load(connection, correction_id)
    finally:
        engine.dispose()
    return apply_correction(deployment, correction_id, actor_id) if accept else reviewed


def apply_correction(
    deployment: Deployment,
    correction_id: int,
    actor_id: int,
    *,
    catalogue: Catalogue | None = None,
) -> Correction:
    """Write an accepted correction's amendment to the store, then mark it applied."""
    engine = deployment.control_engine()
    try:
        with engine.connect() as connection:
            correction = _load(connection, correction_id)
            require_la_staff(
                connection, actor_id, correction.la_code, "apply this correction", custodian=True
            )
            token, value = _private_fields(connection, correction_id)
        if correction.status is CorrectionStatus.APPLIED:
            return correction
        if correction.status is not CorrectionStatus.ACCEPTED:
            raise UserError(
                f"correction {correction_id} is {correction.status.value}, not accepted",
                hint="only an accepted correction is applied",
            )
        now = dt.datetime.now(dt.UTC)
        with open_store(deployment) as store:
            amendment = apply_amendment(
                store,
                correction_id=correction_id,
                dataset=_dataset(catalogue, correction.dataset),
                la=correction.la_code,
                pupil_token=token,
                item=correction.item,
                value=value,
                at=now,
            )
        with writing(engine) as connection:
            connection.execute(
                sa.update(CORRECTIONS)
                .where(CORRECTIONS.c.id == correction_id)
                .values(
                    status=CorrectionStatus.APPLIED.value,
                    applied_at=amendment.applied_at,
                    amendment_number=amendment.amendment_number,
                )
            )
            record(
                connection,
                CorrectionApplied(
                    actor_id=actor_id,
                    correction_id=correction_id,
                    dataset=correction.dataset,
                    item=correction.item,
                    amendment_number=amendment.amendment_number,
                ),
            )
            return _load(connection, correction_id)
    finally:
        engine.dispose()


def list_corrections(
    engine: Engine,
    actor_id: int,
    *,
    la_code: str | None = None,
    status: CorrectionStatus | None = None,
) -> list[Correction]:
    """An LA's corrections for its submitters (a custodian: any LA, or all)."""
    with engine.connect() as connection:
        la = la_scope(connection, actor_id, la_code, "list corrections")
        query = sa.select(CORRECTIONS).order_by(CORRECTIONS.c.id)
        if la is not None:
            query = query.where(CORRECTIONS.c.la_code == la)
        if status is not None:
            query = query.where(CORRECTIONS.c.status == status.value)
        return [_correction(row) for row in connection.execute(query)]


def proposed_value_for_reviewer(engine: Engine, correction_id: int, actor_id: int) -> str:
    """The proposed value, for an LA submitter of the correction's LA deciding on it."""
    with engine.connect() as connection:
        correction = _load(connection, correction_id)
        require_la_staff(
            connection, actor_id, correction.la_code, "see the proposed value", custodian=False
        )
        return _private_fields(connection, correction_id)[1]


def correction_status(engine: Engine, correction_id: int, pupil_token: str | None) -> Correction:
    """A correction as its requester sees it. Given a token (the access-code route), a
    correction of another pupil is "not found", so ids cannot be probed."""
    with engine.connect() as connection:
        correction = _load(connection, correction_id)
        if pupil_token is not None:
            token = _private_fields(connection, correction_id)[0]
            if token != check_pupil_token(pupil_token):
                raise _not_found(correction_id)
        return correction


def corrections_for_pupil(engine: Engine, pupil_token: str) -> list[Correction]:
    """Every correction raised about one pupil, oldest first (the access-code page)."""
    token = check_pupil_token(pupil_token)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(CORRECTIONS)
            .where(CORRECTIONS.c.pupil_token == token)
            .order_by(CORRECTIONS.c.id)
        )
        return [_correction(row) for row in rows]


def _dataset(catalogue: Catalogue | None, name: str) -> Dataset:
    chosen = catalogue or load_catalogue()
    spec = chosen.dataset(name)
    require_correctable_dataset(spec, frozenset(d.name for d, _ in collection_datasets(chosen)))
    return spec


def _require_record(deployment: Deployment, spec: Dataset, la_code: str, token: str) -> None:
    with open_store(deployment, read_only=True) as store:
        pupil_id = pupil_id_of(store, token)
        found = pupil_id is not None and has_record(store, spec, la_code, pupil_id)
    if not found:
        raise NotFound(
            f"the store holds no record of this pupil in LA {la_code}'s {spec.name}",
            hint="check the pupil token, the LA and the dataset",
        )


def _insert(
    connection: Connection,
    token: str,
    la_code: str,
    dataset: str,
    item: str,
    value: str,
    reason: str,
    actor_id: int | None,
) -> Correction:
    channel = ACCESS_CODE if actor_id is None else LA
    result = connection.execute(
        sa.insert(CORRECTIONS),
        {
            "pupil_token": token,
            "la_code": la_code,
            "dataset": dataset,
            "item": item,
            "proposed_value": value,
            "reason": reason,
            "channel": channel,
            "raised_by": actor_id,
            "raised_at": dt.datetime.now(dt.UTC),
            "status": CorrectionStatus.RAISED.value,
        },
    )
    correction_id = inserted_id(result)
    record(
        connection,
        CorrectionRaised(
            actor_id=actor_id,
            correction_id=correction_id,
            la=la_code,
            dataset=dataset,
            item=item,
            channel=channel,
        ),
    )
    return _load(connection, correction_id)


def _private_fields(connection: Connection, correction_id: int) -> tuple[str, str]:
    row = connection.execute(
        sa.select(CORRECTIONS.c.pupil_token, CORRECTIONS.c.proposed_value).where(
            CORRECTIONS.c.id == correction_id
        )
    ).one()
    return str(row[0]), str(row[1])


def _load(connection: Connection, correction_id: int) -> Correction:
    row = connection.execute(
        sa.select(CORRECTIONS).where(CORRECTIONS.c.id == correction_id)
    ).first()
    if row is None:
        raise _not_found(correction_id)
    return _correction(row)


def _not_found(correction_id: int) -> NotFound:
    return NotFound(f"no correction {correction_id}", hint="check the correction's number")


def _correction(row: sa.Row[tuple[object, ...]]) -> Correction:
    values = row._mapping
    applied = values["applied_at"]
    return Correction(
        id=int(values["id"]),
        la_code=str(values["la_code"]),
        dataset=str(values["dataset"]),
        item=str(values["item"]),
        channel=str(values["channel"]),
        status=CorrectionStatus(values["status"]),
        raised_by=values["raised_by"],
        raised_at=as_utc(values["raised_at"]),
        reviewed_by=values["reviewed_by"],
        review_note=values["review_note"],
        applied_at=None if applied is None else as_utc(applied),
        amendment_number=values["amendment_number"],
    )
