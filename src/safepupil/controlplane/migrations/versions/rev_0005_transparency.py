"""transparency: the public register's access codes for pupils and parents (who used my data)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

``access_codes`` holds one row per code issued to a pupil or parent: a SHA-256 of the
code and the pupil token (never the UPN), who issued it, when it expires, and how many
times it may still be used. ``release_pupil_sets`` holds each released release's pupils
(the union of its released cells' bitmaps), the index "who used my data" reads.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "access_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("pupil_token", sa.String(32), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uses_allowed", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["issued_by"], ["people.id"], name=op.f("fk_access_codes_issued_by_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_access_codes_code_hash")),
    )
    op.create_table(
        "release_pupil_sets",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.String(36), nullable=False),
        sa.Column("pupils", sa.LargeBinary(), nullable=False),
        sa.Column("cardinality", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_release_pupil_sets_release_id_releases"),
        ),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_release_pupil_sets")),
        sa.UniqueConstraint("release_id", name=op.f("uq_release_pupil_sets_release_id")),
    )


def downgrade() -> None:
    op.drop_table("release_pupil_sets")
    op.drop_table("access_codes")
