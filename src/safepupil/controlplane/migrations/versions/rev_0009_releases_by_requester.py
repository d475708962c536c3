"""releases by requester: an index on the person who asked for each release

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28

"My releases" (``release.history``) lists one person's releases out of everyone's, page
by page; without an index on ``releases.person_id`` every page read the whole table.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_releases_person_id"), "releases", ["person_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_releases_person_id"), table_name="releases")
