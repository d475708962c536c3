"""Store connections prepared ahead of time, so that opening the store does not wait for
the extension.

Loading the signed httpfs extension checks its signature over the whole 21 MB file:
about 75 ms of CPU for every new connection, most of what opening the store costs. A
server process keeps a few connections prepared (extension loaded, encrypted temp files
set: ``prepare_connection``) and a background thread prepares another each time one is
taken. Opening the store then only attaches and seals a prepared connection, in the same
order and with the same settings as a connection prepared on the spot. A prepared
connection holds no key and no store file; each is used for one opening and closed, so
the store file is still held only while it is used (an intake in another process can
open it between requests).

Not one long-lived connection that attaches the store for each query: attaching needs
file access, which a sealed connection no longer has. Allowing the store's own paths
(DuckDB's ``allowed_paths``) would let any statement on a sealed connection write the
store's WAL file, and attaching before sealing is possible only once per connection.

Connections are prepared only after the first opening in a process (``take``), so a
process that never queries the store never pays for them, and at the lowest CPU
priority, so preparing uses idle CPU rather than slowing the requests in flight.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import duckdb

from safepupil.store.duckdb_connect import prepare_connection

LOG = logging.getLogger(__name__)
# A server process meets bursts of two or three queries at once; more connections kept
# ready would only prepare ones that are seldom used.
READY_COUNT = 2
LOWEST_PRIORITY = 19  # nice value


class ReadyConnections:
    """Prepared connections for one temp folder, refilled by a thread of their own."""

    def __init__(self, temp_folder: Path, count: int = READY_COUNT) -> None:
        self.temp_folder = temp_folder
        self._count = count
        self._ready: list[duckdb.DuckDBPyConnection] = []
        self._wanted = False  # set by the first take: only then is anything prepared
        self._stopping = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._refill, name="store-connections", daemon=True)
        self._thread.start()

    def take(self) -> duckdb.DuckDBPyConnection | None:
        """A prepared connection, or None (none ready yet: prepare one on the spot)."""
        with self._changed:
            self._wanted = True
            self._changed.notify_all()
            return self._ready.pop() if self._ready else None

    def ready_count(self) -> int:
        with self._changed:
            return len(self._ready)

    def stop(self) -> None:
        """Stop preparing and close the connections held; waits for the thread."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        self._thread.join()
        with self._changed:
            held, self._ready = self._ready, []
        for connection in held:
            connection.close()

    def _refill(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(self._needed_or_stopping)
                if self._stopping:
                    return
            try:
                connection = prepare_connection(self.temp_folder, run=at_low_priority)
            except Exception as error:
                # An opening prepares its own connection and raises the error to whoever
                # asked; here, wait for the next opening before trying again.
                LOG.warning("cannot prepare a store connection: %s", type(error).__name__)
                with self._changed:
                    self._wanted = False
                continue
            with self._changed:
                if self._stopping:
                    connection.close()
                    return
                self._ready.append(connection)

    def _needed_or_stopping(self) -> bool:
        return self._stopping or (self._wanted and len(self._ready) < self._count)


def at_low_priority(step: Callable[[], None]) -> None:
    """Run ``step`` in a thread of the lowest CPU priority and wait for it.

    Preparing is CPU work done ahead of need: it should take idle CPU, not the CPU of
    the requests it is meant to speed up. On Linux a thread has a priority of its own
    (elsewhere lowering it would lower the whole process, so it is left alone); a fresh
    thread because a thread cannot raise its priority again without privilege.
    """
    failed: list[BaseException] = []

    def lowered() -> None:
        if sys.platform == "linux":
            with contextlib.suppress(OSError):  # a speed-up only: prepare at any priority
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_PRIORITY)
        try:
            step()
        except BaseException as error:  # handed to the waiting thread
            failed.append(error)

    helper = threading.Thread(target=lowered, name="store-connection-prepare", daemon=True)
    helper.start()
    helper.join()
    if failed:
        raise failed[0]


_lock = threading.Lock()
_kept: dict[Path, tuple[ReadyConnections, int]] = {}
_stop_registered = False


def keep_ready(temp_folder: Path) -> None:
    """Keep connections prepared for the store whose temp folder this is, in this process,
    until as many ``stop_keeping`` calls (one per app serving the deployment)."""
    global _stop_registered
    with _lock:
        ready, users = _kept.get(temp_folder, (None, 0))
        _kept[temp_folder] = (ready or ReadyConnections(temp_folder), users + 1)
        if not _stop_registered:
            # A thread still inside DuckDB when the interpreter ends aborts the process.
            atexit.register(_stop_all)
            _stop_registered = True


def stop_keeping(temp_folder: Path) -> None:
    with _lock:
        ready, users = _kept.pop(temp_folder, (None, 0))
        if ready is not None and users > 1:
            _kept[temp_folder] = (ready, users - 1)
            return
    if ready is not None:
        ready.stop()


def kept_for(temp_folder: Path) -> ReadyConnections | None:
    """The connections kept for this temp folder in this process, if any."""
    with _lock:
        ready, _ = _kept.get(temp_folder, (None, 0))
    return ready


def take_ready(temp_folder: Path) -> duckdb.DuckDBPyConnection | None:
    """A prepared connection for this temp folder, or None when none is kept or ready."""
    ready = kept_for(temp_folder)
    return None if ready is None else ready.take()


def _stop_all() -> None:
    with _lock:
        kept = [ready for ready, _ in _kept.values()]
        _kept.clear()
    for ready in kept:
        ready.stop()
