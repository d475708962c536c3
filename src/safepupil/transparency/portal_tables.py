"""Portal tables on the control plane's ``Base`` (revision 0008).

``portal_sessions`` holds each viewing session opened with an access code as the SHA-256
of its secret and the code's id, never the secret or the pupil token. A session row is
marked when it ends, not deleted. ``portal_attempts`` holds each wrong code typed, by
client, for the portal's rate limit; attempts are pruned once they fall out of every
window.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from safepupil.controlplane.schema import Base
from safepupil.governance.session_tables import CLIENT_LENGTH
from safepupil.governance.tables import TOKEN_HASH_LENGTH, table_of


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
