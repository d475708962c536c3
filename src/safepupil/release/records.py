"""Releases in the control plane: the decision, its audit proof, and the contributors of
every released cell (revision 0003; the index on the requester, 0009).

A release and its audit events are written in one transaction (``store_release``), so a
release is recorded, with ``release_made`` in the audit log, before anyone sees it.
Nothing here is updated or deleted: the contributor bitmaps are what the differencing
check (and, later, "who used my data") reads.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from pyroaring import FrozenBitMap
from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from safepupil.controlplane.schema import Base
from safepupil.disclosure.differencing import DifferencingIndex, EarlierCell

RELEASE_ID_LENGTH = 36  # a UUID as text
RELEASED, HELD, REFUSED = "released", "held", "refused"


class ReleaseRow(Base):
    __tablename__ = "releases"

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
    audit_proof: Mapped[str | None] = mapped_column(Text)  # JSON; holds exact intervals


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
    """Insert the release and its cells in the caller's transaction."""
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


def released_ids(connection: Connection, dataset: str) -> frozenset[str]:
    """The ids of every release of ``dataset`` made so far (cheap: no bitmaps)."""
    statement = sa.select(ReleaseRow.id).where(
        ReleaseRow.dataset == dataset, ReleaseRow.status == RELEASED
    )
    return frozenset(connection.execute(statement).scalars())


def earlier_cells(
    connection: Connection, dataset: str, releases: frozenset[str] | None = None
) -> DifferencingIndex:
    """Every cell released before from ``dataset``, by any project; or only the cells of
    ``releases`` (those made while a new release was being decided)."""
    return DifferencingIndex(earlier_cell_list(connection, dataset, releases))


def earlier_cell_list(
    connection: Connection, dataset: str, releases: frozenset[str] | None = None
) -> list[EarlierCell]:
    statement = (
        sa.select(
            ReleasedCellRow.release_id, ReleasedCellRow.cell_key, ReleasedCellRow.contributors
        )
        .join(ReleaseRow, ReleaseRow.id == ReleasedCellRow.release_id)
        .where(ReleaseRow.dataset == dataset, ReleaseRow.status == RELEASED)
    )
    if releases is not None:
        statement = statement.where(ReleaseRow.id.in_(sorted(releases)))
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
