"""Limits on failed attempts: passwords at staff sign-in, access codes in the portal.

Each kind of attempt keeps its own control-plane table (``sign_in_attempts``,
``portal_attempts``) and its own limits and refusal; counting the failures in a window,
noting an attempt and pruning old ones is done here, once for both. Attempts are counted
in the control plane, not in one process's memory, so a limit holds however many server
processes run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

# Attempts older than this are outside every window, so they are pruned to keep the
# tables small; no limit's window is longer.
KEPT_FOR = dt.timedelta(days=1)


@dataclass(frozen=True)
class AttemptLog:
    """A control-plane table of attempts (with an ``attempted_at`` column)."""

    table: sa.Table
    # The rows a limit counts; None when the table holds failures only.
    failed: sa.ColumnElement[bool] | None = None


@dataclass(frozen=True)
class Limit:
    """At most ``allowed`` failures within the window from one ``key`` of ``column``
    (one address, one client) before attempts from it pause."""

    column: str
    key: str
    allowed: int


def window_minutes(window: dt.timedelta) -> int:
    """A window in the whole minutes a refusal tells people to wait."""
    return int(window.total_seconds() // 60)


def over_a_limit(
    engine: Engine,
    log: AttemptLog,
    limits: Iterable[Limit],
    *,
    window: dt.timedelta,
    now: dt.datetime,
) -> bool:
    """Whether any of ``limits`` has had its allowed failures within ``window`` to ``now``."""
    table = log.table
    recent = table.c.attempted_at > now - window
    failed = recent if log.failed is None else sa.and_(recent, log.failed)
    count = sa.select(sa.func.count()).select_from(table).where(failed)
    with engine.connect() as connection:
        for limit in limits:
            found = connection.execute(count.where(table.c[limit.column] == limit.key))
            if found.scalar_one() >= limit.allowed:
                return True
    return False


def note_attempt(engine: Engine, log: AttemptLog, now: dt.datetime, **values: object) -> None:
    """Record one attempt at ``now`` (``values`` fill the table's other columns) and
    prune the attempts that have fallen out of every window."""
    table = log.table
    with engine.begin() as connection:
        connection.execute(sa.insert(table).values(attempted_at=now, **values))
        connection.execute(sa.delete(table).where(table.c.attempted_at < now - KEPT_FOR))
