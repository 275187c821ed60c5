"""Warm workers: a worker killed from outside is replaced, and its task tried once more."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from leaflets.build.workers import WorkerBug, WorkerLost, WorkerPool


def square(number: int) -> int:
    return number * number


def die_the_first_time(marker: str) -> str:
    """Killed as the out-of-memory killer would kill it, unless it was killed once already."""
    if not Path(marker).exists():
        Path(marker).touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return "made on the second try"


def always_die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def fail_with_a_bug() -> None:
    raise ZeroDivisionError("a bug")


def wait_until_dead(process_id: int) -> None:
    """Until the killed child is a zombie, waiting for its parent to notice."""
    deadline = time.monotonic() + 5
    while Path(f"/proc/{process_id}/stat").read_text().split(") ")[1][0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_a_pool_answers_from_its_workers():
    with WorkerPool(2) as pool:
        assert [pool.apply(square, n) for n in range(5)] == [0, 1, 4, 9, 16]


def test_a_worker_killed_during_a_task_is_replaced_and_the_task_tried_again(tmp_path):
    with WorkerPool(1) as pool:
        first = pool.process_ids
        assert pool.apply(die_the_first_time, str(tmp_path / "killed-once")) == "made on the second try"
        assert pool.process_ids != first


def test_a_task_that_kills_its_worker_twice_is_reported_and_the_pool_goes_on():
    with WorkerPool(1) as pool:
        with pytest.raises(WorkerLost, match="killed by SIGKILL"):
            pool.apply(always_die)
        assert pool.apply(square, 3) == 9


def test_a_worker_killed_while_idle_costs_no_try():
    with WorkerPool(2, retries=0) as pool:
        for process_id in pool.process_ids:
            os.kill(process_id, signal.SIGKILL)
            wait_until_dead(process_id)
        assert pool.apply(square, 4) == 16


def test_a_bug_in_a_task_comes_back_with_its_traceback():
    with WorkerPool(1) as pool:
        with pytest.raises(WorkerBug, match="ZeroDivisionError: a bug"):
            pool.apply(fail_with_a_bug)
        assert pool.apply(square, 2) == 4


def test_workers_are_replaced_after_their_share_of_tasks():
    with WorkerPool(1, tasks_per_worker=2) as pool:
        seen = set()
        for n in range(6):
            pool.apply(square, n)
            seen.update(pool.process_ids)
        assert len(seen) == 4  # three did two tasks each; a fourth is waiting


def test_closing_stops_every_worker():
    pool = WorkerPool(2)
    process_ids = pool.process_ids
    pool.close()
    for process_id in process_ids:
        with pytest.raises(ProcessLookupError):
            os.kill(process_id, 0)
    with pytest.raises(WorkerLost):
        pool.apply(square, 1)
