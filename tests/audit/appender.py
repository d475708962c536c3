"""Appending from another thread or process, as two service processes would."""

from __future__ import annotations

import time
from typing import Protocol

from safepupil.audit.events import KeyUsed
from safepupil.audit.log import record
from safepupil.controlplane.database import create_control_engine

START_TIMEOUT_SECONDS = 60
PAUSE_SECONDS = 0.002


class Barrier(Protocol):
    def wait(self, timeout: float | None = None) -> int: ...


def append_many(url: str, writer: str, count: int, start: Barrier) -> None:
    """``count`` events from ``writer``, through an engine of its own, in rounds that start
    together with the other writers, so that their appends really do overlap however the
    machine schedules them (a loaded machine can otherwise run one writer to the end
    before the other starts)."""
    engine = create_control_engine(url)
    try:
        for number in range(count):
            start.wait(timeout=START_TIMEOUT_SECONDS)
            record(engine, KeyUsed(key_id=f"{writer}-{number}", purpose="concurrency test"))
            time.sleep(PAUSE_SECONDS)
    finally:
        engine.dispose()
