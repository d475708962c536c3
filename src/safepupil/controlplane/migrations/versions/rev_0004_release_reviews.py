"""release reviews: output checkers' decisions on held releases, and reviewed tables

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

``release_reviews`` holds one decision (approve or reject, with a note) per output
checker per held release; ``release_tables`` the table shown once a held release has
been approved, as the symbolised, rounded text the researcher fetches (never a true
value).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "release_reviews",
        sa.Column("release_id", sa.String(36), nullable=False),
        sa.Column("checker_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_release_reviews_release_id_releases")
        ),
        sa.ForeignKeyConstraint(
            ["checker_id"], ["people.id"], name=op.f("fk_release_reviews_checker_id_people")
        ),
        sa.PrimaryKeyConstraint("release_id", "checker_id", name=op.f("pk_release_reviews")),
    )
    op.create_table(
        "release_tables",
        sa.Column("release_id", sa.String(36), nullable=False),
        sa.Column("shown", sa.Text(), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_release_tables_release_id_releases")
        ),
        sa.PrimaryKeyConstraint("release_id", name=op.f("pk_release_tables")),
    )


def downgrade() -> None:
    op.drop_table("release_tables")
    op.drop_table("release_reviews")
