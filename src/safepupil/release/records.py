"""Releases in the control plane: the decision, its audit proof, and the contributors of
every released cell (revision 0003; the index on the requester, 0009; the release
sequence, 0010).

A release and its audit events are written in one transaction (``store_release``), so a
release is recorded, with ``release_made`` in the audit log, before anyone sees it.
Nothing here is updated or deleted: the contributor bitmaps are what the differencing
check (and, later, "who used my data") reads.

Each release of a dataset is numbered when it becomes released (at once, or when a held
one is approved): 1, 2, 3, ... per dataset, in the order they became released. The number
is taken as the dataset's highest plus one under the audit chain's lock, which every
release holds until it commits, so numbers are unique, have no gaps and become visible
in order: a reader that has seen number N has seen every number below it, and reads of
"what was released since" need only the numbers above N (``released_since``) rather
than every release's id.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from pyroaring import FrozenBitMap
from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from safepupil.audit.log import lock_chain
from safepupil.controlplane.schema import Base
from safepupil.disclosure.differencing import DifferencingIndex, EarlierCell

RELEASE_ID_LENGTH = 36  # a UUID as text
RELEASED, HELD, REFUSED = "released", "held", "refused"
RELEASED_SEQ_INDEX = "ix_releases_dataset_released_seq"


class ReleaseRow(Base):
    __tablename__ = "releases"
    # Unique: two releases can never share a number. It also answers both questions asked
    # of the numbers, the dataset's highest and the releases above N, without reading the
    # dataset's other releases (revision 0010).
    __table_args__ = (Index(RELEASED_SEQ_INDEX, "dataset", "released_seq", unique=True),)

    id: Mapped[str] = mapped_column(String(RELEASE_ID_LENGTH), primary_key=True)
    project_id: Mapped[int] = mapped_column(Integer, ForeignKey("projects.id"))
    # Indexed (revision 0009): a person's own releases are listed by it (release.history).
    person_id: Mapped[int] = mapped_column(Integer, ForeignKey("people.id"), index=True)
    dataset: Mapped[str] = mapped_column(String(64), index=True)
    query: Mapped[str] = mapped_column(Text)  # the query model as canonical JSON
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    pupils: Mapped[int] = mapped_column(BigInteger)
    cells_released: Mapped[int] = mapped_column(Integer)
    cells_suppressed: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[str] = mapped_column(Text)  # JSON list of plain-words reasons
    audit_proof: Mapped[str | None] = mapped_column(Text)  # JSON: each suppressed cell's interval
    # The release's number within its dataset, given when it becomes released; None while
    # held and for a refused release (revision 0010).
    released_seq: Mapped[int | None] = mapped_column(Integer)


class ReleasedCellRow(Base):
    __tablename__ = "released_cells"

    release_id: Mapped[str] = mapped_column(
        String(RELEASE_ID_LENGTH), ForeignKey("releases.id"), primary_key=True
    )
    cell_key: Mapped[str] = mapped_column(Text, primary_key=True)
    contributors: Mapped[bytes] = mapped_column(LargeBinary)  # serialised roaring bitmap
    cardinality: Mapped[int] = mapped_column(BigInteger, index=True)


@dataclass(frozen=True)
class ReleaseRecord:
    """Everything stored about one release decision."""

    id: str
    project_id: int
    person_id: int
    dataset: str
    query_json: str
    created_at: dt.datetime
    pupils: int
    cells_released: int
    cells_suppressed: int
    checksum: str | None
    status: str
    reasons: tuple[str, ...]
    audit_proof: dict[str, object] | None
    released_cells: tuple[tuple[str, FrozenBitMap], ...] = ()  # (cell key JSON, pupils)


def store_release(connection: Connection, record: ReleaseRecord) -> None:
    """Insert the release and its cells in the caller's transaction; a release released
    at once is numbered (``next_released_seq``)."""
    seq = next_released_seq(connection, record.dataset) if record.status == RELEASED else None
    connection.execute(
        sa.insert(ReleaseRow).values(
            id=record.id,
            project_id=record.project_id,
            person_id=record.person_id,
            dataset=record.dataset,
            query=record.query_json,
            created_at=record.created_at,
            pupils=record.pupils,
            cells_released=record.cells_released,
            cells_suppressed=record.cells_suppressed,
            checksum=record.checksum,
            status=record.status,
            reasons=json.dumps(list(record.reasons)),
            audit_proof=None if record.audit_proof is None else json.dumps(record.audit_proof),
            released_seq=seq,
        )
    )
    rows = [
        {
            "release_id": record.id,
            "cell_key": key,
            "contributors": bitmap.serialize(),
            "cardinality": len(bitmap),
        }
        for key, bitmap in record.released_cells
    ]
    if rows:
        connection.execute(sa.insert(ReleasedCellRow), rows)


def next_released_seq(connection: Connection, dataset: str) -> int:
    """The number for a release of ``dataset`` becoming released in the caller's
    transaction. Every release is recorded inside ``audit.log.writing``, which already
    holds the chain's lock; it is taken again here (one statement) so that no caller can
    number a release outside it: two numbering at once could otherwise take the same
    number, or commit out of order and leave a reader believing a lower number absent
    forever."""
    lock_chain(connection)
    highest = connection.execute(
        sa.select(sa.func.max(ReleaseRow.released_seq)).where(ReleaseRow.dataset == dataset)
    ).scalar_one()
    return 1 if highest is None else int(highest) + 1


def released_since(connection: Connection, dataset: str, seq: int) -> list[tuple[int, str]]:
    """(number, id) of the releases of ``dataset`` numbered ``seq`` or above, in order:
    the release numbered ``seq`` (to check it is still the one read before) and every
    one made since. Cheap: no bitmaps, and only those rows of the index."""
    statement = (
        sa.select(ReleaseRow.released_seq, ReleaseRow.id)
        .where(ReleaseRow.dataset == dataset, ReleaseRow.released_seq >= seq)
        .order_by(ReleaseRow.released_seq)
    )
    rows = connection.execute(statement).all()
    # The WHERE already leaves unnumbered releases out; the check is for the type checker.
    return [(number, release_id) for number, release_id in rows if number is not None]


def earlier_cells(
    connection: Connection, dataset: str, *, after: int = 0, upto: int | None = None
) -> DifferencingIndex:
    """Every cell released before from ``dataset``, by any project; or only the cells of
    the releases numbered above ``after`` (and up to ``upto``): those made since a
    reader last looked."""
    return DifferencingIndex(earlier_cell_list(connection, dataset, after=after, upto=upto))


def earlier_cell_list(
    connection: Connection, dataset: str, *, after: int = 0, upto: int | None = None
) -> list[EarlierCell]:
    statement = (
        sa.select(
            ReleasedCellRow.release_id, ReleasedCellRow.cell_key, ReleasedCellRow.contributors
        )
        .join(ReleaseRow, ReleaseRow.id == ReleasedCellRow.release_id)
        .where(
            ReleaseRow.dataset == dataset,
            ReleaseRow.status == RELEASED,
            ReleaseRow.released_seq > after,
        )
    )
    if upto is not None:
        statement = statement.where(ReleaseRow.released_seq <= upto)
    return [
        EarlierCell(release_id, key, FrozenBitMap.deserialize(blob))
        for release_id, key, blob in connection.execute(statement)
    ]


def load_release(connection: Connection, release_id: str) -> ReleaseRecord | None:
    table = ReleaseRow.__table__
    row = connection.execute(sa.select(table).where(table.c.id == release_id)).mappings().first()
    if row is None:
        return None
    cells = connection.execute(
        sa.select(ReleasedCellRow.cell_key, ReleasedCellRow.contributors)
        .where(ReleasedCellRow.release_id == release_id)
        .order_by(ReleasedCellRow.cell_key)
    ).all()
    return ReleaseRecord(
        id=row["id"],
        project_id=row["project_id"],
        person_id=row["person_id"],
        dataset=row["dataset"],
        query_json=row["query"],
        created_at=row["created_at"],
        pupils=row["pupils"],
        cells_released=row["cells_released"],
        cells_suppressed=row["cells_suppressed"],
        checksum=row["checksum"],
        status=row["status"],
        reasons=tuple(json.loads(row["reasons"])),
        audit_proof=None if row["audit_proof"] is None else json.loads(row["audit_proof"]),
        released_cells=_cells(cells),
    )


def _cells(rows: Sequence[sa.Row[str, bytes]]) -> tuple[tuple[str, FrozenBitMap], ...]:
    return tuple((key, FrozenBitMap.deserialize(blob)) for key, blob in rows)
