"""Worker processes: results in job order, the same with one process or two, kept between
calls (starting a worker costs about half a second) and replaced when one dies."""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool

import pytest

from safepupil.disclosure import parallel
from safepupil.disclosure.parallel import (
    available_cores,
    run_all,
    stop_workers,
    warm_workers,
    worker_pids,
)


def square_and_pid(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


def die(n: int) -> int:
    os._exit(3)  # a worker killed mid-job (out of memory, say)


def test_results_come_back_in_job_order_in_one_process_or_two() -> None:
    here = run_all(square_and_pid, list(range(6)), processes=1)
    there = run_all(square_and_pid, list(range(6)), processes=2)
    assert [r for r, _ in here] == [r for r, _ in there] == [n * n for n in range(6)]
    assert {pid for _, pid in here} == {os.getpid()}
    assert os.getpid() not in {pid for _, pid in there}


def test_workers_are_kept_between_calls_until_stopped() -> None:
    warm_workers()
    assert parallel._workers.started
    first = {pid for _, pid in run_all(square_and_pid, list(range(8)), processes=2)}
    second = {pid for _, pid in run_all(square_and_pid, list(range(8)), processes=2)}
    assert len(first | second) <= max(2, available_cores())  # one set of workers for both
    assert (first | second) <= set(worker_pids())
    stop_workers()
    assert not parallel._workers.started and worker_pids() == []
    third = {pid for _, pid in run_all(square_and_pid, list(range(8)), processes=2)}
    assert not third & (first | second)  # new workers once the old ones were stopped


def test_a_pool_whose_worker_died_is_replaced_by_the_next_call() -> None:
    with pytest.raises(BrokenProcessPool):
        run_all(die, [1, 2], processes=2)
    assert not parallel._workers.started
    assert [r for r, _ in run_all(square_and_pid, [3, 4], processes=2)] == [9, 16]
