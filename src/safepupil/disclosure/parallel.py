"""Share independent solver work between processes, the same way on every machine.

The audit and the search's exact checks ask one question per suppressed cell of a
component's programme. A component with many such cells is always cut into PARTS
interleaved parts (so each part spans the table), whatever the machine: the result
then never depends on how many cores there are. The parts run in that many processes
when the cores allow, else one after the other in this process.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from safepupil.disclosure.cell_model import IntArray

# Two parts: this service runs on two cores; more parts would only add solver work.
PARTS = 2
# Below this many questions in a component, starting a process (about half a second:
# a fresh interpreter imports numpy and HiGHS) costs more than it saves.
PARALLEL_MIN_CELLS = 400

J = TypeVar("J")
R = TypeVar("R")


def parts_of(columns: IntArray) -> list[IntArray]:
    """The columns in PARTS interleaved parts, or whole when there are too few to share."""
    if len(columns) < PARALLEL_MIN_CELLS:
        return [columns]
    return [columns[part::PARTS] for part in range(PARTS)]


class _Workers:
    """The worker processes of this process, started by the first run_all that needs them
    and kept until stop_workers (or exit): starting one costs about half a second (a fresh
    interpreter imports numpy and HiGHS), a national table asks for them three or four
    times, and a service protects one table after another. Threads share them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = _new_pool(max(PARTS, available_cores()))
            return self._pool

    def discard(self, broken: ProcessPoolExecutor) -> None:
        """Forget a pool whose worker died, so that the next call starts a new one."""
        with self._lock:
            if self._pool is broken:
                self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)

    def stop(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown()

    @property
    def started(self) -> bool:
        return self._pool is not None

    def pids(self) -> list[int]:
        with self._lock:
            processes = {} if self._pool is None else dict(self._pool._processes or {})
        return sorted(processes)


_workers = _Workers()


def warm_workers() -> None:
    """Start the worker processes now (and wait until they answer), not with the first
    table that needs them."""
    if available_cores() >= PARTS:
        run_all(_ready, list(range(PARTS)), PARTS)


def stop_workers() -> None:
    """Stop the worker processes (the next run_all that needs them starts new ones)."""
    _workers.stop()


def worker_pids() -> list[int]:
    """The process ids of the running workers (none before the first run_all needs them)."""
    return _workers.pids()


def _ready(job: int) -> int:
    return job


def run_all(solve: Callable[[J], R], jobs: Sequence[J], processes: int | None = None) -> list[R]:
    """``solve`` on every job, results in job order; in processes when there are cores for it.

    ``solve`` must be a module-level function (it is sent to the workers by name).
    """
    workers = min(len(jobs), processes or available_cores())
    if workers < 2:
        return [solve(job) for job in jobs]
    pool = _workers.pool()
    try:
        return list(pool.map(solve, jobs))
    except BrokenProcessPool:
        _workers.discard(pool)
        raise


def _new_pool(workers: int) -> ProcessPoolExecutor:
    # A fresh interpreter per worker ("spawn"): forking a process that runs other threads
    # (DuckDB, a web server) can leave the child holding a lock nobody will release.
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
