"""Warm worker processes that render leaflets, for the batch build and the web page alike.

Each worker is forked from a parent that has already imported WeasyPrint, parsed the
stylesheet, loaded the fonts and checked the catalogs, so it starts rendering at once.
A worker that dies (the out-of-memory killer, ``kill -9``) is replaced, and the task it
held is tried once more on a fresh worker before ``WorkerLost`` is raised: nothing ever
waits for an answer from a process that is gone.

Workers ignore Ctrl-C and die at once on SIGTERM: a terminal's Ctrl-C and a service
manager's SIGTERM reach the whole process group, and the parent alone decides how to
stop. Forking needs Linux or macOS; the pool does not run on Windows.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import pickle
import queue
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

STOP_GRACE_SECONDS = 2.0

# What a warm worker renders with (a Builder, the clinic, ...): set in the parent before the
# workers are forked, so each inherits it ready to use. One per process.
_STATE: dict[str, Any] = {}


def keep_warm(**state: Any) -> None:
    """Set what this process's workers will render with (see ``warm``)."""
    _STATE.clear()
    _STATE.update(state)


def warm(name: str) -> Any:
    """One thing set by ``keep_warm``, in the parent or in a worker forked from it."""
    return _STATE[name]


class WorkerLost(Exception):
    """The worker running a task stopped before it answered, every time it was tried."""


class WorkerBug(Exception):
    """A task raised in its worker: a bug in leaflets. Carries the worker's traceback."""


@dataclass(eq=False)  # each worker is itself: compared and hashed by identity
class _Worker:
    process: multiprocessing.process.BaseProcess
    connection: Connection
    tasks: int = 0
    stopped: bool = False  # set once, under the pool's lock, by whoever stops it

    def run(self, function: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        """Send one task and wait for its answer, or for the worker to die."""
        try:
            self.connection.send((function, args))
            ready = wait([self.connection, self.process.sentinel])
            answered = self.connection in ready and self.connection.poll()
            if answered:
                status, value = self.connection.recv()
        except (EOFError, OSError, ValueError, pickle.UnpicklingError):  # the pipe broke, or was closed to stop it
            raise WorkerLost(self._how_it_stopped()) from None
        if answered:
            self.tasks += 1
            if status == "bug":
                raise WorkerBug(value)
            return value
        raise WorkerLost(self._how_it_stopped())

    def _how_it_stopped(self) -> str:
        self.process.join(timeout=1)
        code = self.process.exitcode
        if code is not None and code < 0:
            return f"the worker process was killed by {signal.Signals(-code).name}"
        return "the worker process stopped unexpectedly"


class WorkerPool:
    """``size`` forked workers; ``apply`` may be called from many threads at once."""

    def __init__(
        self,
        size: int,
        start: Callable[..., None] | None = None,
        start_args: tuple[Any, ...] = (),
        tasks_per_worker: int | None = None,
        retries: int = 1,
    ):
        self._start, self._start_args = start, start_args
        self._tasks_per_worker = tasks_per_worker
        self._retries = retries
        self._size = max(1, size)
        self._lock = threading.Lock()
        self._workers: set[_Worker] = set()
        self._idle: queue.SimpleQueue[_Worker | None] = queue.SimpleQueue()
        self._closed = False
        with self._lock:
            for _ in range(self._size):
                self._idle.put(self._fork())

    def apply(self, function: Callable[..., Any], *args: Any) -> Any:
        """``function(*args)`` in a worker; a worker that dies is replaced and the task retried."""
        for attempt in range(self._retries + 1):
            worker = self._take()
            try:
                result = worker.run(function, args)
            except WorkerLost:
                self._replace(worker)
                if attempt == self._retries or self._closed:
                    raise
                continue
            except BaseException:
                self._replace(worker)  # interrupted half-way: its answer may still come, so it is not reused
                raise
            self._give_back(worker)
            return result
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Stop every worker (SIGTERM, then SIGKILL after a grace period) and wait for them."""
        with self._lock:
            self._closed = True
            workers = [w for w in self._workers if not w.stopped]
            self._workers.clear()
            for worker in workers:
                worker.stopped = True
                self._idle.put(None)  # wakes any thread still waiting for a worker
                if worker.process.is_alive():
                    worker.process.terminate()
            for worker in workers:
                worker.process.join(STOP_GRACE_SECONDS)
                if worker.process.is_alive():
                    worker.process.kill()
                    worker.process.join()
                worker.connection.close()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def process_ids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._workers if w.process.pid is not None]

    def _take(self) -> _Worker:
        """An idle worker; one that died while idle is replaced first, costing the task no try."""
        for _ in range(self._size + 2):  # bounded: workers that die as they start must not fork forever
            worker = None if self._closed else self._idle.get()
            if worker is None:
                self._idle.put(None)
                raise WorkerLost("the workers are stopping")
            if worker.process.is_alive():
                return worker
            self._replace(worker)
        raise WorkerLost("every worker stopped as soon as it started")

    def _give_back(self, worker: _Worker) -> None:
        if self._tasks_per_worker is not None and worker.tasks >= self._tasks_per_worker:
            self._replace(worker)  # so whatever the libraries cache cannot grow without bound
        else:
            self._idle.put(worker)

    def _replace(self, worker: _Worker) -> None:
        with self._lock:
            self._workers.discard(worker)
            if not worker.stopped:
                worker.stopped = True
                if worker.process.is_alive():
                    worker.process.kill()
                worker.process.join()
                worker.connection.close()
            if not self._closed:
                self._idle.put(self._fork())

    def _fork(self) -> _Worker:
        """A new worker; called with the lock held, so forks never overlap."""
        context = multiprocessing.get_context("fork")  # explicit: workers must inherit the warm parent
        ours, theirs = context.Pipe()
        others = [w.connection for w in self._workers] + [ours]
        process = context.Process(
            target=_serve, args=(theirs, others, os.getpid(), self._start, self._start_args, self._tasks_per_worker),
            daemon=True,
        )
        with frozen_heap():
            process.start()
        theirs.close()
        worker = _Worker(process, ours)
        self._workers.add(worker)
        return worker


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Leave what the warm parent holds (WeasyPrint, stylesheet, fonts, catalogs) out of garbage collection.

    The workers inherit it and keep it as long as they live, yet each full collection during
    a render would walk all of it again (about a twentieth of the render), and walking it
    would also copy the parent's memory pages into the worker.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


# -- in the worker ------------------------------------------------------------------------------


def _serve(
    connection: Connection, parents_ends: list[Connection], parent: int, start: Callable[..., None] | None,
    start_args: tuple[Any, ...], tasks: int | None,
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for end in parents_ends:  # so a worker sees the parent go, and never holds a sibling's pipe open
        end.close()
    _die_with_parent(parent)
    if start is not None:
        start(*start_args)
    done = 0
    while tasks is None or done < tasks:
        try:
            function, args = connection.recv()
        except (EOFError, OSError):
            return
        try:
            answer = ("ok", function(*args))
        except Exception:  # a bug: the parent raises it with this traceback
            answer = ("bug", traceback.format_exc())
        connection.send(answer)
        done += 1


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when its parent dies, however the parent died."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return  # not Linux: the closed pipe still ends the worker
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(0)
