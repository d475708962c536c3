"""Transparency tables on the control plane's ``Base`` (revision 0005).

``access_codes`` holds the codes a pupil or parent is given to see who used their data:
only a SHA-256 of the code and the pupil token, never the UPN or the code itself.
``release_pupil_sets`` holds, for every released release, the union of its released
cells' contributors: one bitmap per release, so "who used my data" tests each release
once instead of deserialising every cell (see ``pupil_index``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from safepupil.controlplane.schema import Base

CODE_HASH_LENGTH = 64  # SHA-256, hexadecimal
TOKEN_LENGTH = 32  # a pupil token: 16 bytes as hexadecimal
RELEASE_ID_LENGTH = 36  # as release.records


class AccessCodeRow(Base):
    __tablename__ = "access_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(CODE_HASH_LENGTH), unique=True)
    pupil_token: Mapped[str] = mapped_column(String(TOKEN_LENGTH))
    issued_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    uses_allowed: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ReleasePupilSetRow(Base):
    __tablename__ = "release_pupil_sets"

    # Positions only grow, so a process holding the index in memory reads only new rows.
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[str] = mapped_column(
        String(RELEASE_ID_LENGTH), ForeignKey("releases.id"), unique=True
    )
    pupils: Mapped[bytes] = mapped_column(LargeBinary)  # serialised roaring bitmap
    cardinality: Mapped[int] = mapped_column(BigInteger)
