"""A migrated control-plane engine on SQLite and on PostgreSQL, for every test that asks.

PostgreSQL comes from tests/controlplane/conftest.py: a fresh database per test, which
skips locally when the server is down and fails under CI=true.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from safepupil.controlplane.database import create_control_engine, sqlite_url
from safepupil.controlplane.migrate import upgrade_to_head
from tests.controlplane.conftest import postgres_url  # noqa: F401  (a fixture, used by name)

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def control_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty control-plane database URL on each backend."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "control.db")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(control_url: str) -> Iterator[sa.Engine]:
    """A control-plane engine migrated to head."""
    migrated = create_control_engine(control_url)
    upgrade_to_head(migrated)
    yield migrated
    migrated.dispose()
