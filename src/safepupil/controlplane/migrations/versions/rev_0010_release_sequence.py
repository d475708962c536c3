"""release sequence: each release numbered within its dataset when it becomes released

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28

The differencing check asked for the id of every release of a dataset, twice per query
(once inside the audit lock), to find the few made since it last looked. ``released_seq``
numbers a dataset's releases 1, 2, 3, ... in the order they were released, so that
question becomes "numbers above N", answered from the unique index on (dataset,
released_seq). Releases already made are numbered in the order they were made.
"""

from __future__ import annotations

import itertools

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

INDEX = "ix_releases_dataset_released_seq"
RELEASES = sa.table(
    "releases",
    sa.column("id", sa.String(36)),
    sa.column("dataset", sa.String(64)),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("status", sa.String(16)),
    sa.column("released_seq", sa.Integer()),
)


def upgrade() -> None:
    op.add_column("releases", sa.Column("released_seq", sa.Integer(), nullable=True))
    _number_existing_releases()
    op.create_index(INDEX, "releases", ["dataset", "released_seq"], unique=True)


def _number_existing_releases() -> None:
    connection = op.get_bind()
    released = connection.execute(
        sa.select(RELEASES.c.id, RELEASES.c.dataset)
        .where(RELEASES.c.status == "released")
        .order_by(RELEASES.c.dataset, RELEASES.c.created_at, RELEASES.c.id)
    ).all()
    numbered = [
        {"release_id": row.id, "seq": seq}
        for _, rows in itertools.groupby(released, key=lambda row: row.dataset)
        for seq, row in enumerate(rows, start=1)
    ]
    if numbered:
        connection.execute(
            sa.update(RELEASES)
            .where(RELEASES.c.id == sa.bindparam("release_id"))
            .values(released_seq=sa.bindparam("seq")),
            numbered,
        )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="releases")
    # Outside a batch, so SQLite drops the column in place (ALTER TABLE ... DROP COLUMN,
    # SQLite 3.35 and later) instead of copying a table other tables refer to.
    op.drop_column("releases", "released_seq")
