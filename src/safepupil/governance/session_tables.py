"""Web sign-in tables: sessions (kept only as hashes) and sign-in attempts (rate limits).

A session row is never deleted when it ends, only marked: the audit log's sign-out
entries keep naming a row that exists. Attempts are pruned once they fall out of every
rate-limit window.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from safepupil.controlplane.schema import Base
from safepupil.governance.tables import EMAIL_LENGTH, TOKEN_HASH_LENGTH, table_of

CLIENT_LENGTH = 64  # an IPv6 address in text is at most 45 characters


class WebSessionRow(Base):
    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(TOKEN_HASH_LENGTH), primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, ForeignKey("people.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SignInAttemptRow(Base):
    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_email", "email", "attempted_at"),
        Index("ix_sign_in_attempts_client", "client", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
    client: Mapped[str] = mapped_column(String(CLIENT_LENGTH))
    attempted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    succeeded: Mapped[bool] = mapped_column(Boolean)


WEB_SESSIONS = table_of(WebSessionRow)
SIGN_IN_ATTEMPTS = table_of(SignInAttemptRow)
