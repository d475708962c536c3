"""The audit log's tables on the control plane's ``Base``.

``audit_log`` holds the entries; ``audit_chain_head`` holds one row, the newest entry's
sequence number and hash. Every append locks that row first, so appends are serialised
on every backend, and ``verify`` compares the chain's end with it (a deleted tail shows).
Neither table has a foreign key: the log must outlive anything it mentions.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safepupil.controlplane.schema import Base

HASH_LENGTH = 64  # SHA-256, hexadecimal
KIND_LENGTH = 64
CHAIN_HEAD_ID = 1  # the one row of audit_chain_head
GENESIS_HASH = "0" * HASH_LENGTH  # the prev_hash of entry 1


class AuditLogRow(Base):
    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(KIND_LENGTH), index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    project_id: Mapped[int | None] = mapped_column(Integer)
    pupils: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly as hashed
    prev_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH))


class AuditChainHead(Base):
    __tablename__ = "audit_chain_head"
    __table_args__ = (CheckConstraint(f"id = {CHAIN_HEAD_ID}", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
