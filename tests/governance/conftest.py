"""The same SQLite and PostgreSQL engines as the audit tests."""

from __future__ import annotations

from tests.audit.conftest import control_url, engine  # noqa: F401  (fixtures, used by name)
from tests.controlplane.conftest import postgres_url  # noqa: F401
