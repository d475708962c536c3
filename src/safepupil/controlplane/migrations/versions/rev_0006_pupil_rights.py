"""pupil rights: corrections raised by pupils and parents, objections to research use

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

``objections`` holds one row per objection recorded through an LA, by pupil token;
withdrawing one fills ``withdrawn_by`` and ``withdrawn_at`` (nothing is deleted).
``correction_requests`` holds each correction a pupil, parent or LA raised: the item,
the proposed value (pupil-level data, kept here and in the store only), the reason,
the LA's review and when it was applied at the store. Retention runs need no table:
each is an audit event.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_token", sa.String(32), nullable=False),
        sa.Column("la_code", sa.String(3), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_by", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["people.id"], name=op.f("fk_objections_recorded_by_people")
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by"], ["people.id"], name=op.f("fk_objections_withdrawn_by_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
    )
    op.create_index(op.f("ix_objections_pupil_token"), "objections", ["pupil_token"])
    op.create_index(op.f("ix_objections_la_code"), "objections", ["la_code"])
    op.create_table(
        "correction_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_token", sa.String(32), nullable=False),
        sa.Column("la_code", sa.String(3), nullable=False),
        sa.Column("dataset", sa.String(64), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("proposed_value", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("raised_by", sa.Integer(), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("amendment_number", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["raised_by"], ["people.id"], name=op.f("fk_correction_requests_raised_by_people")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"],
            ["people.id"],
            name=op.f("fk_correction_requests_reviewed_by_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correction_requests")),
    )
    op.create_index(
        op.f("ix_correction_requests_pupil_token"), "correction_requests", ["pupil_token"]
    )
    op.create_index(op.f("ix_correction_requests_la_code"), "correction_requests", ["la_code"])


def downgrade() -> None:
    op.drop_index(op.f("ix_correction_requests_la_code"), table_name="correction_requests")
    op.drop_index(op.f("ix_correction_requests_pupil_token"), table_name="correction_requests")
    op.drop_table("correction_requests")
    op.drop_index(op.f("ix_objections_la_code"), table_name="objections")
    op.drop_index(op.f("ix_objections_pupil_token"), table_name="objections")
    op.drop_table("objections")
