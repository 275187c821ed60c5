"""Warm workers: a worker killed from outside is replaced, and its task tried once more."""

from __future__ import annotations

import functools
import gc
import importlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from leaflets.build import workers
from leaflets.build.workers import WorkerBug, WorkerLost, WorkerPool
from leaflets.model.digests import FileDigests, file_digest


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


WARM_UP_STEPS = 40


def note_and_linger(log: str, number: int) -> None:
    with open(log, "a", encoding="utf-8") as notes:
        notes.write(f"{number}\n")
    time.sleep(0.1)


def warm_up_in_steps(log: str) -> list[Callable[[], object]]:
    """A worker's start that leaves its warm-up to steps taken while no task waits."""
    return [functools.partial(note_and_linger, log, number) for number in range(WARM_UP_STEPS)]


def steps_taken(log: str) -> int:
    return len(Path(log).read_text(encoding="utf-8").splitlines()) if Path(log).exists() else 0


def test_a_task_waits_for_one_warm_up_step_at_most_and_the_warm_up_goes_on_while_idle(tmp_path):
    log = str(tmp_path / "steps")
    with WorkerPool(1, start=warm_up_in_steps, start_args=(log,)) as pool:
        answered_after = pool.apply(steps_taken, log)
        assert answered_after < WARM_UP_STEPS  # answered in the middle of the warm-up, not after it
        deadline = time.monotonic() + 60
        while steps_taken(log) < WARM_UP_STEPS:
            assert time.monotonic() < deadline, f"the warm-up stopped after {steps_taken(log)} steps"
            time.sleep(0.1)
        assert pool.apply(square, 3) == 9
        assert steps_taken(log) == WARM_UP_STEPS  # each step taken once


def test_a_task_sent_as_soon_as_the_worker_is_free_waits_for_no_warm_up_step(tmp_path, monkeypatch):
    """A request that comes right after another (or right after the worker started) is not put behind a step."""
    monkeypatch.setattr(workers, "NEXT_TASK_SECONDS", 30.0)  # a worker this slow to be handed on would stall anyway
    log = str(tmp_path / "steps")
    with WorkerPool(1, start=warm_up_in_steps, start_args=(log,)) as pool:
        assert [pool.apply(steps_taken, log) for _ in range(5)] == [0, 0, 0, 0, 0]


def test_a_worker_keeps_what_it_inherited_out_of_garbage_collection():
    """What the parent held when it forked is frozen in the worker for good (only the parent thaws it)."""
    with WorkerPool(1) as pool:
        assert pool.apply(gc.get_freeze_count) > 0
    assert gc.get_freeze_count() == 0


def start_slowly_unless_first(marker: str) -> None:
    """The first worker to start is ready at once; any other takes a minute."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        time.sleep(60)


def test_tasks_go_to_a_worker_whose_start_has_run_not_to_one_still_starting(tmp_path):
    with WorkerPool(2, start=start_slowly_unless_first, start_args=(str(tmp_path / "first"),)) as pool:
        answered_by = {pool.apply(os.getpid) for _ in range(4)}
        assert len(answered_by) == 1 and answered_by < set(pool.process_ids)


DIGESTS = FileDigests()


def digest_in_worker(path: str) -> str | None:
    return DIGESTS.of(Path(path))


@pytest.mark.timeout(60)
def test_a_worker_forked_while_another_thread_reads_file_digests_reads_them_too(tmp_path):
    """A fork copies a lock as it is: held, here, by a thread the worker does not have (the page's
    start reads its files' digests as its workers are forked)."""
    path = tmp_path / "file"
    path.write_text("text")
    with DIGESTS._lock, WorkerPool(1) as pool:  # held as the worker is forked
        assert pool.apply(digest_in_worker, str(path)) == file_digest(path)


def test_closing_stops_every_worker():
    pool = WorkerPool(2)
    process_ids = pool.process_ids
    pool.close()
    for process_id in process_ids:
        with pytest.raises(ProcessLookupError):
            os.kill(process_id, 0)
    with pytest.raises(WorkerLost):
        pool.apply(square, 1)


def run_subprocesses_until(stop: threading.Event, runs: list[float]) -> None:
    """As a request checking a catalog with msgfmt does: a subprocess whose output comes through pipes."""
    while not stop.is_set():
        started = time.monotonic()
        subprocess.run(["true"], capture_output=True, timeout=5, check=False)
        runs.append(time.monotonic() - started)


def start_pools_until(stop: threading.Event, pools: list[WorkerPool]) -> None:
    """As a request thread would: start workers, then stay alive (as waitress's threads do)."""
    for _ in range(20):
        pools.append(WorkerPool(1))
        time.sleep(0.05)
    stop.wait()


@pytest.mark.timeout(120)
def test_workers_started_from_a_thread_while_a_subprocess_runs_do_not_hold_its_pipes():
    """The deadlock of issue 25: a worker forked while another thread starts msgfmt must not keep
    msgfmt's pipes open, or the thread waiting on msgfmt never returns (subprocess waits for the
    end of its pipe that reports a failed exec, with no timeout)."""
    stop, runs, pools = threading.Event(), [], []
    runner = threading.Thread(target=run_subprocesses_until, args=(stop, runs), daemon=True)
    starter = threading.Thread(target=start_pools_until, args=(stop, pools), daemon=True)
    runner.start()
    starter.start()
    try:
        time.sleep(5)
        stop.set()
        runner.join(timeout=10)  # while every worker still lives
        assert not runner.is_alive(), f"a subprocess never returned after {len(runs)} runs: a worker holds its pipe"
        assert max(runs) < 5
    finally:
        stop.set()
        starter.join(timeout=30)
        for pool in pools:
            pool.close()
    assert len(pools) == 20


def test_workers_started_from_a_thread_that_ends_live_on():
    """A worker's parent-death signal must not be tied to the short-lived thread that started it."""
    pools = []
    starter = threading.Thread(target=lambda: pools.append(WorkerPool(2)))
    starter.start()
    starter.join()
    with pools[0] as pool:
        started = sorted(pool.process_ids)
        time.sleep(1.5)
        assert [pool.apply(square, n) for n in range(4)] == [0, 1, 4, 9]
        assert sorted(pool.process_ids) == started


def value_of(module: str) -> object:
    return importlib.import_module(module).VALUE


HALF_IMPORTED = """import os
from import_gate import entered, may_finish, parent
entered.set()
if os.getpid() == parent:
    may_finish.wait(30)  # in the parent: held in the middle of its import while the pool forks
VALUE = 42
"""


@pytest.mark.timeout(60)
def test_a_worker_forked_while_another_thread_imports_a_module_imports_it_too(tmp_path, monkeypatch):
    """A forked worker inherits the lock of a module another thread is importing, held by a thread that
    is not in the worker: without care, the worker's own import of that module waits forever."""
    (tmp_path / "import_gate.py").write_text("import os, threading\nentered, may_finish = threading.Event(), "
                                             "threading.Event()\nparent = os.getpid()\n")
    (tmp_path / "half_imported.py").write_text(HALF_IMPORTED)
    monkeypatch.syspath_prepend(str(tmp_path))
    import_gate = importlib.import_module("import_gate")
    importer = threading.Thread(target=importlib.import_module, args=("half_imported",))
    importer.start()
    try:
        assert import_gate.entered.wait(10)
        with WorkerPool(1) as pool:  # forked while the other thread is in the middle of the import
            assert pool.apply(value_of, "half_imported") == 42
    finally:
        import_gate.may_finish.set()
        importer.join()
        monkeypatch.delitem(sys.modules, "half_imported", raising=False)
        monkeypatch.delitem(sys.modules, "import_gate", raising=False)
