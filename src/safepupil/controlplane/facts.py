"""Facts about the deployment kept in ``deployment_info``: written once, then only read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safepupil.controlplane.schema import DeploymentInfo


def record_facts_once(engine: Engine, facts: Mapping[str, str]) -> dict[str, str]:
    """Insert the facts not yet recorded; existing ones are never changed. Returns all."""
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        recorded = _read(connection)
        missing = [
            {"name": name, "value": value, "recorded_at": now}
            for name, value in facts.items()
            if name not in recorded
        ]
        if missing:
            connection.execute(sa.insert(DeploymentInfo), missing)
        return _read(connection)


def read_facts(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        return _read(connection)


def _read(connection: sa.Connection) -> dict[str, str]:
    rows = connection.execute(sa.select(DeploymentInfo.name, DeploymentInfo.value))
    return {row.name: row.value for row in rows}
