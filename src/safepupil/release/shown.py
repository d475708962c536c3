"""The table as shown to its requester, kept so it can be fetched again (and as CSV).

Only what was shown is kept: symbolised, rounded text, the per-cell report and the
proof without exact bounds; never a true value. A table released at once is kept when
it is released; a held one when its review releases it.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from safepupil.controlplane.schema import Base
from safepupil.governance.tables import table_of
from safepupil.release.records import RELEASE_ID_LENGTH
from safepupil.release.result import ProtectedTable


class ReleaseTableRow(Base):
    __tablename__ = "release_tables"

    release_id: Mapped[str] = mapped_column(
        String(RELEASE_ID_LENGTH), ForeignKey("releases.id"), primary_key=True
    )
    shown: Mapped[str] = mapped_column(Text)  # JSON: columns, rows, per-cell report, proof
    checksum: Mapped[str] = mapped_column(String(64))


TABLES = table_of(ReleaseTableRow)


def store_shown_table(connection: Connection, table: ProtectedTable) -> None:
    shown = {
        "columns": list(table.columns),
        "rows": [list(row) for row in table.rows],
        "cells": [
            {"key": list(c.key), "status": c.status, "reason": c.reason} for c in table.report
        ],
        "audit": dict(table.audit),
        "pupils": table.pupils,
    }
    connection.execute(
        sa.insert(TABLES).values(
            release_id=table.release_id,
            shown=json.dumps(shown, sort_keys=True),
            checksum=table.checksum,
        )
    )
