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
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
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


class _Pools(threading.local):
    """Per thread: whether worker processes are being kept, and the pool once started."""

    keeping: bool = False
    pool: ProcessPoolExecutor | None = None


_pools = _Pools()


@contextmanager
def kept_workers() -> Iterator[None]:
    """Keep the worker processes that run_all starts for every run_all inside this block.

    Starting a worker costs about half a second (a fresh interpreter imports numpy and
    HiGHS), and protecting a national table asks for workers three or four times.
    """
    if _pools.keeping:
        yield
        return
    _pools.keeping = True
    try:
        yield
    finally:
        _pools.keeping = False
        if _pools.pool is not None:
            _pools.pool.shutdown()
            _pools.pool = None


def run_all(solve: Callable[[J], R], jobs: Sequence[J], processes: int | None = None) -> list[R]:
    """``solve`` on every job, results in job order; in processes when there are cores for it.

    ``solve`` must be a module-level function (it is sent to the workers by name).
    """
    workers = min(len(jobs), processes or available_cores())
    if workers < 2:
        return [solve(job) for job in jobs]
    if _pools.keeping:
        if _pools.pool is None:
            _pools.pool = _new_pool(max(2, available_cores()))
        return list(_pools.pool.map(solve, jobs))
    with _new_pool(workers) as pool:
        return list(pool.map(solve, jobs))


def _new_pool(workers: int) -> ProcessPoolExecutor:
    # A fresh interpreter per worker ("spawn"): forking a process that runs other threads
    # (DuckDB, a web server) can leave the child holding a lock nobody will release.
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
