"""The objection register: pupils who object to the research use of their records.

An objection is recorded through the pupil's LA (an LA submitter of that LA, or a
custodian) by the pupil token, and honoured by every query from that moment: the release
pipeline reads ``objecting_tokens`` on each run and hands them to the restriction step,
whose engines leave those pupils out. An objection is withdrawn by recording when and
by whom, never by deleting it, so the register says what held on any day.

The token is a pseudonym, kept here only because the engines exclude by token; the
audit log names objections by id and LA, never by token.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, mapped_column

from safepupil.audit.events import ObjectionRecorded, ObjectionWithdrawn
from safepupil.audit.log import record, writing
from safepupil.controlplane.schema import Base
from safepupil.errors import NotFound, UserError
from safepupil.governance.people import Person
from safepupil.governance.records import as_utc, inserted_id, load_person
from safepupil.governance.refusals import Refusal
from safepupil.governance.roles import Role
from safepupil.governance.tables import LA_CODE_LENGTH, table_of

TOKEN_LENGTH = 32
PUPIL_TOKEN = re.compile(r"^[0-9a-f]{32}$")
NOT_LA_STAFF = "not-la-staff"
OTHER_LA = "other-la"


class ObjectionRow(Base):
    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pupil_token: Mapped[str] = mapped_column(String(TOKEN_LENGTH), index=True)
    la_code: Mapped[str] = mapped_column(String(LA_CODE_LENGTH), index=True)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


OBJECTIONS = table_of(ObjectionRow)


@dataclass(frozen=True)
class Objection:
    id: int
    la_code: str
    recorded_by: int
    recorded_at: dt.datetime
    withdrawn_by: int | None
    withdrawn_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None

    def to_dict(self) -> dict[str, object]:
        """Without the token: what lists and pages show."""
        return {
            "id": self.id,
            "la": self.la_code,
            "recorded_by": self.recorded_by,
            "recorded_at": self.recorded_at.isoformat(timespec="seconds"),
            "withdrawn_by": self.withdrawn_by,
            "withdrawn_at": None
            if self.withdrawn_at is None
            else self.withdrawn_at.isoformat(timespec="seconds"),
            "active": self.active,
        }


def check_pupil_token(token: str) -> str:
    cleaned = token.strip().lower()
    if not PUPIL_TOKEN.match(cleaned):
        raise UserError(
            "that is not a pupil token",
            hint="a pupil token is 32 hexadecimal characters, as the LA tool made it",
        )
    return cleaned


def require_la_staff(
    connection: Connection, actor_id: int, la_code: str, doing: str, *, custodian: bool
) -> Person:
    """The acting person, if they may act for ``la_code``: an active LA submitter of that
    LA, or (when ``custodian``) an active custodian. Anyone else is refused."""
    actor = load_person(connection, actor_id)
    if custodian and actor.has(Role.CUSTODIAN):
        return actor
    if not actor.has(Role.LA_SUBMITTER):
        who = "an LA submitter or a custodian" if custodian else "an LA submitter of the LA"
        raise Refusal(
            NOT_LA_STAFF,
            f"{actor.email} cannot {doing}: only {who} can",
            hint="ask the pupil's LA",
            about=actor,
        )
    if actor.la_code != la_code:
        raise Refusal(
            OTHER_LA,
            f"{actor.email} acts for LA {actor.la_code}, not LA {la_code}, and cannot {doing}",
            hint=f"ask LA {la_code}",
            about=actor,
        )
    return actor


def la_of(connection: Connection, actor_id: int, la_code: str | None) -> str:
    """The LA an action is for: an LA submitter's own LA unless another is named."""
    if la_code is not None:
        return la_code
    actor = load_person(connection, actor_id)
    if actor.la_code is not None:
        return actor.la_code
    if not actor.has(Role.CUSTODIAN):  # refuse by role before asking for an LA
        raise Refusal(
            NOT_LA_STAFF,
            f"{actor.email} is not an LA submitter and cannot act for an LA",
            hint="ask the pupil's LA",
            about=actor,
        )
    raise UserError(f"{actor.email} is tied to no LA", hint="give the LA with --la")


def la_scope(connection: Connection, actor_id: int, la_code: str | None, doing: str) -> str | None:
    """Which LA's entries a person may list: a custodian any (None = every LA), an LA
    submitter their own LA only."""
    actor = load_person(connection, actor_id)
    if actor.has(Role.CUSTODIAN):
        return la_code
    la = la_code or actor.la_code or ""
    require_la_staff(connection, actor_id, la, doing, custodian=False)
    return la


def record_objection(
    engine: Engine, pupil_token: str, actor_id: int, *, la_code: str | None = None
) -> Objection:
    """Record that the pupil objects; every query from now on leaves them out."""
    token = check_pupil_token(pupil_token)
    with writing(engine) as connection:
        la = la_of(connection, actor_id, la_code)
        require_la_staff(connection, actor_id, la, "record an objection", custodian=True)
        if _active(connection, token):
            raise UserError(
                "this pupil's objection is already recorded and in force",
                hint="see `safepupil objections list`",
            )
        result = connection.execute(
            sa.insert(OBJECTIONS),
            {
                "pupil_token": token,
                "la_code": la,
                "recorded_by": actor_id,
                "recorded_at": dt.datetime.now(dt.UTC),
            },
        )
        objection_id = inserted_id(result)
        record(connection, ObjectionRecorded(actor_id=actor_id, objection_id=objection_id, la=la))
        return _load(connection, objection_id)


def withdraw_objection(engine: Engine, objection_id: int, actor_id: int) -> Objection:
    """Withdraw an objection (kept, marked withdrawn): queries may use the pupil again."""
    with writing(engine) as connection:
        objection = _load(connection, objection_id)
        require_la_staff(
            connection, actor_id, objection.la_code, "withdraw this objection", custodian=True
        )
        if not objection.active:
            raise UserError(f"objection {objection_id} was withdrawn already")
        connection.execute(
            sa.update(OBJECTIONS)
            .where(OBJECTIONS.c.id == objection_id)
            .values(withdrawn_by=actor_id, withdrawn_at=dt.datetime.now(dt.UTC))
        )
        record(
            connection,
            ObjectionWithdrawn(actor_id=actor_id, objection_id=objection_id, la=objection.la_code),
        )
        return _load(connection, objection_id)


def list_objections(
    engine: Engine, actor_id: int, *, la_code: str | None = None
) -> list[Objection]:
    """The objections of an LA (a custodian may ask for every LA with ``la_code`` None)."""
    with engine.connect() as connection:
        la = la_scope(connection, actor_id, la_code, "list objections")
        where = sa.true() if la is None else OBJECTIONS.c.la_code == la
        rows = connection.execute(sa.select(OBJECTIONS).where(where).order_by(OBJECTIONS.c.id))
        return [_objection(row) for row in rows]


def objecting_tokens(target: Engine | Connection) -> frozenset[str]:
    """The tokens of every pupil whose objection is in force now (any LA)."""
    statement = sa.select(OBJECTIONS.c.pupil_token).where(OBJECTIONS.c.withdrawn_at.is_(None))
    if isinstance(target, Engine):
        with target.connect() as connection:
            return frozenset(connection.execute(statement).scalars())
    return frozenset(target.execute(statement).scalars())


def _active(connection: Connection, token: str) -> bool:
    return (
        connection.execute(
            sa.select(OBJECTIONS.c.id).where(
                OBJECTIONS.c.pupil_token == token, OBJECTIONS.c.withdrawn_at.is_(None)
            )
        ).first()
        is not None
    )


def _load(connection: Connection, objection_id: int) -> Objection:
    row = connection.execute(sa.select(OBJECTIONS).where(OBJECTIONS.c.id == objection_id)).first()
    if row is None:
        raise NotFound(f"no objection {objection_id}", hint="see `safepupil objections list`")
    return _objection(row)


def _objection(row: sa.Row[tuple[object, ...]]) -> Objection:
    values = row._mapping
    withdrawn_at = values["withdrawn_at"]
    return Objection(
        id=int(values["id"]),
        la_code=str(values["la_code"]),
        recorded_by=int(values["recorded_by"]),
        recorded_at=as_utc(values["recorded_at"]),
        withdrawn_by=values["withdrawn_by"],
        withdrawn_at=None if withdrawn_at is None else as_utc(withdrawn_at),
    )
