"""portal sessions: the pupils' and parents' viewing sessions and wrong-code attempts

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28

``portal_sessions`` holds each viewing session opened with an access code as the SHA-256
of its secret, the code's id and its expiry (the CSRF token is derived from the secret,
so it needs no column); ``portal_attempts`` each wrong code typed, by client, so the
portal's rate limit holds across every server process.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "portal_sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("access_code_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["access_code_id"],
            ["access_codes.id"],
            name=op.f("fk_portal_sessions_access_code_id_access_codes"),
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_portal_sessions")),
    )
    op.create_table(
        "portal_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_attempts")),
    )
    op.create_index(
        "ix_portal_attempts_client", "portal_attempts", ["client", "attempted_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_portal_attempts_client", table_name="portal_attempts")
    op.drop_table("portal_attempts")
    op.drop_table("portal_sessions")
