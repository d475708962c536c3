"""releases: every release decision, and the contributors of every released cell

Revision ID: 0003
Revises: 0002
Create Date: 2026-03-01

``releases`` holds one row per protected query (released, held for review or refused)
with its audit proof; ``released_cells`` the contributor bitmap (serialised roaring
bitmap) of every cell that was shown, which the differencing check reads.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.String(64), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pupils", sa.BigInteger(), nullable=False),
        sa.Column("cells_released", sa.Integer(), nullable=False),
        sa.Column("cells_suppressed", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("audit_proof", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_releases_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_releases_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
    )
    op.create_index(op.f("ix_releases_dataset"), "releases", ["dataset"])
    op.create_table(
        "released_cells",
        sa.Column("release_id", sa.String(36), nullable=False),
        sa.Column("cell_key", sa.Text(), nullable=False),
        sa.Column("contributors", sa.LargeBinary(), nullable=False),
        sa.Column("cardinality", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_released_cells_release_id_releases")
        ),
        sa.PrimaryKeyConstraint("release_id", "cell_key", name=op.f("pk_released_cells")),
    )
    op.create_index(op.f("ix_released_cells_cardinality"), "released_cells", ["cardinality"])


def downgrade() -> None:
    op.drop_index(op.f("ix_released_cells_cardinality"), table_name="released_cells")
    op.drop_table("released_cells")
    op.drop_index(op.f("ix_releases_dataset"), table_name="releases")
    op.drop_table("releases")
