"""Worker processes: results in job order, the same with one process or two, and kept for
several calls inside kept_workers (starting a worker costs about half a second)."""

from __future__ import annotations

import os

from safepupil.disclosure import parallel
from safepupil.disclosure.parallel import available_cores, kept_workers, run_all


def square_and_pid(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


def test_results_come_back_in_job_order_in_one_process_or_two() -> None:
    here = run_all(square_and_pid, list(range(6)), processes=1)
    there = run_all(square_and_pid, list(range(6)), processes=2)
    assert [r for r, _ in here] == [r for r, _ in there] == [n * n for n in range(6)]
    assert {pid for _, pid in here} == {os.getpid()}
    assert os.getpid() not in {pid for _, pid in there}


def test_workers_are_kept_between_calls_inside_the_block_and_stopped_after() -> None:
    with kept_workers():
        first = {pid for _, pid in run_all(square_and_pid, list(range(8)), processes=2)}
        second = {pid for _, pid in run_all(square_and_pid, list(range(8)), processes=2)}
        assert len(first | second) <= max(2, available_cores())  # one pool for both
    assert parallel._pools.pool is None
    third = {pid for _, pid in run_all(square_and_pid, list(range(8)), processes=2)}
    assert not third & (first | second)  # a new pool once the block is left
