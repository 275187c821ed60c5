"""Warm worker processes that render leaflets, for the batch build and the web page alike.

A worker is forked from a parent that may already have imported WeasyPrint, parsed the
stylesheet, loaded the fonts and checked the catalogs (the batch build's), so it starts
rendering at once; or it warms itself while idle, in steps (the web page's: ``ondemand.py``).
A worker that dies (the out-of-memory killer, ``kill -9``) is replaced, and the task it
held is tried once more on a fresh worker before ``WorkerLost`` is raised: nothing ever
waits for an answer from a process that is gone.

Workers start with nothing of the parent's but its memory: every pipe and socket another
thread had open at the fork (a msgfmt subprocess's output, the server's sockets) is let go
before the worker does anything else, so no thread ever waits on a pipe a worker holds. All
of a pool's workers are forked by one thread that lives as long as the pool: Linux sends a
worker its parent-death signal when the *thread* that forked it ends, not the process.

Workers ignore Ctrl-C and die at once on SIGTERM: a terminal's Ctrl-C and a service
manager's SIGTERM reach the whole process group, and the parent alone decides how to
stop. Forking needs Linux or macOS; the pool does not run on Windows.
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import multiprocessing
import os
import pickle
import queue
import signal
import stat
import sys
import threading
import traceback
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

STOP_GRACE_SECONDS = 2.0
# After a worker's word (its start has run, or an answer), how long it waits for the next task before it takes
# a warm-up step: the pool hands a worker on as soon as it is free, so a task sent then does not wait for a step.
NEXT_TASK_SECONDS = 0.05
# How often a task waiting for a worker to start looks for one given back by another task meanwhile.
LOOK_AGAIN_SECONDS = 0.01

# What runs first in each worker; it may return warm-up steps, taken while no task waits.
Start = Callable[..., Iterable[Callable[[], object]] | None]

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
    process: _Child
    connection: Connection
    tasks: int = 0
    stopped: bool = False  # set once, under the pool's lock, by whoever stops it
    started: bool = False  # its start has run (it says so before anything else)

    def run(self, function: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        """Send one task and wait for its answer, or for the worker to die."""
        try:
            self.connection.send((function, args))
            if not self.started:
                self._receive()  # the word that its start has run
                self.started = True
            status, value = self._receive()
        except (EOFError, OSError, ValueError, pickle.UnpicklingError):  # the pipe broke, or was closed to stop it
            raise WorkerLost(self._how_it_stopped()) from None
        self.tasks += 1
        if status == "bug":
            raise WorkerBug(value)
        return value

    def has_started(self) -> bool:
        """Whether its start has run: the word is waiting, or was read (an idle worker sends nothing else)."""
        try:
            return self.started or self.connection.poll()
        except (OSError, ValueError):
            return False

    def _receive(self) -> tuple[str, Any]:
        ready = wait([self.connection, self.process.sentinel])
        if self.connection in ready and self.connection.poll():
            message: tuple[str, Any] = self.connection.recv()
            return message
        raise WorkerLost(self._how_it_stopped())

    def _how_it_stopped(self) -> str:
        self.process.join(timeout=1)
        code = self.process.exitcode
        if code is not None and code < 0:
            return f"the worker process was killed by {signal.Signals(-code).name}"
        return "the worker process stopped unexpectedly"


class WorkerPool:
    """``size`` forked workers; ``apply`` may be called from many threads at once.

    ``start(*start_args)`` runs first in each worker. It may return warm-up steps (callables): the
    worker runs them one at a time while no task waits, so a task never waits for more than one.
    """

    def __init__(
        self,
        size: int,
        start: Start | None = None,
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
        self._forker = _Forker()
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
        self._forker.stop()

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
            if worker.process.is_alive() and not worker.has_started():
                worker = self._started_instead_of(worker)
            if worker.process.is_alive():
                return worker
            self._replace(worker)
        raise WorkerLost("every worker stopped as soon as it started")

    def _started_instead_of(self, starting: _Worker) -> _Worker:
        """Of the idle workers, one whose start has run, or else the first to finish starting (or to be
        given back by another task, started)."""
        idle = [starting]
        chosen = None
        while chosen is None:
            closing = self._take_idle_into(idle)
            chosen = next((worker for worker in idle if worker.has_started() and worker.process.is_alive()), None)
            if chosen is None and closing:
                chosen = starting  # its task is told the workers are stopping
            elif chosen is None:
                with suppress(OSError, ValueError):  # closed as the pool stops: looked at again
                    wait([end for worker in idle for end in (worker.connection, worker.process.sentinel)],
                         LOOK_AGAIN_SECONDS)
                chosen = next((worker for worker in idle if not worker.process.is_alive()), None)
        for worker in idle:
            if worker is not chosen:
                self._idle.put(worker)
        return chosen

    def _take_idle_into(self, idle: list[_Worker]) -> bool:
        """Every idle worker now in the queue, added to ``idle``; whether the pool is closing."""
        with suppress(queue.Empty):
            while True:
                worker = self._idle.get_nowait()
                if worker is None:
                    self._idle.put(None)  # left for the other threads to see
                    return True
                idle.append(worker)
        return False

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
        """A new worker, forked by the pool's own thread; called with the lock held, so forks never overlap."""
        process, connection = self._forker.fork(
            _serve, (os.getpid(), self._start, self._start_args, self._tasks_per_worker))
        worker = _Worker(process, connection)
        self._workers.add(worker)
        return worker


class _Child:
    """A forked worker process, as the pool sees it: its pid, and a pipe that ends when it does."""

    def __init__(self, pid: int, sentinel: int):
        self.pid, self.sentinel = pid, sentinel
        self.exitcode: int | None = None
        # closed once nothing refers to it: a thread may still be waiting on it when the pool stops
        weakref.finalize(self, os.close, sentinel)

    def is_alive(self) -> bool:
        return self._poll(os.WNOHANG) is None

    def join(self, timeout: float | None = None) -> None:
        if self.exitcode is None and wait([self.sentinel], timeout):
            self._poll(0)

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, number: int) -> None:
        if self.exitcode is None:
            with suppress(ProcessLookupError):
                os.kill(self.pid, number)

    def _poll(self, flags: int) -> int | None:
        if self.exitcode is None:
            try:
                pid, status = os.waitpid(self.pid, flags)
            except ChildProcessError:
                return None
            if pid == self.pid:
                self.exitcode = os.waitstatus_to_exitcode(status)
        return self.exitcode


_Request = tuple[Callable[..., None], tuple[Any, ...], "queue.SimpleQueue[tuple[_Child, Connection] | BaseException]"]


class _Forker:
    """The one thread that forks a pool's workers, from the pool's start to its close."""

    def __init__(self) -> None:
        self._requests: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="leaflets-forker", daemon=True)
        self._thread.start()

    def fork(self, target: Callable[..., None], args: tuple[Any, ...]) -> tuple[_Child, Connection]:
        """A child running ``target(its connection, *args)``, and the parent's end of that connection."""
        answer: queue.SimpleQueue[tuple[_Child, Connection] | BaseException] = queue.SimpleQueue()
        self._requests.put((target, args, answer))
        result = answer.get()
        if isinstance(result, BaseException):
            raise result
        return result

    def stop(self) -> None:
        self._requests.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join()

    def _serve(self) -> None:
        while (request := self._requests.get()) is not None:
            target, args, answer = request
            try:
                answer.put(_launch(target, args))
            except BaseException as exc:  # handed to the thread that asked
                answer.put(exc)


_STOPS = {signal.SIGINT, signal.SIGTERM}


def _stop_as_a_worker() -> None:
    """A worker ignores Ctrl-C (its parent decides) and ends on SIGTERM; then it takes signals again."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)


def _launch(target: Callable[..., None], args: tuple[Any, ...]) -> tuple[_Child, Connection]:
    ours, theirs = multiprocessing.Pipe()
    sentinel, alive = os.pipe()  # the child holds ``alive``: the parent sees the sentinel end when the child does
    sys.stdout.flush()
    sys.stderr.flush()
    # Ctrl-C and SIGTERM wait until the child has its own handlers: between the fork and then, it would run
    # the parent's (the server's "exit"), and a stop that came just then would print a traceback.
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    pid = -1
    try:
        with frozen_heap():
            pid = os.fork()
    finally:
        if pid != 0:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)
    if pid == 0:
        code = 1
        try:
            _stop_as_a_worker()
            _forget_unfinished_imports()
            _let_go_of_inherited(keep={0, 1, 2, theirs.fileno(), alive})
            target(theirs, *args)
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(alive)
    theirs.close()
    return _Child(pid, sentinel), ours


def _forget_unfinished_imports() -> None:
    """Forget the modules another thread of the parent was in the middle of importing at the fork.

    That thread is not in this worker, so their imports never finish here and their locks stay held:
    the worker's first import of one would wait forever (the server imports lazily while its workers
    are forked). Forgotten, with every module lock, they are imported afresh when this worker needs them.
    """
    for name, module in list(sys.modules.items()):
        if getattr(getattr(module, "__spec__", None), "_initializing", False):
            del sys.modules[name]
    importlib._bootstrap._module_locks.clear()  # type: ignore[attr-defined]  # CPython's import machinery
    importlib._bootstrap._blocking_on.clear()  # type: ignore[attr-defined]


def _let_go_of_inherited(keep: set[int]) -> None:
    """Point every inherited pipe and socket but ``keep`` at /dev/null.

    Another thread's subprocess pipes, the server's sockets and the sibling workers' connections
    must close when their owners close them, not when this worker ends. ``dup2`` rather than
    ``close``: an object of the parent that still names the number cannot close a file this
    worker opens later. Regular files stay open (a font being read, for one).
    """
    null = os.open(os.devnull, os.O_RDWR)
    for descriptor in _open_descriptors():
        if descriptor in keep or descriptor == null:
            continue
        try:
            mode = os.fstat(descriptor).st_mode
        except OSError:
            continue  # the listing's own descriptor, closed by now
        if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
            os.dup2(null, descriptor, inheritable=False)
    os.close(null)


def _open_descriptors() -> list[int]:
    for listing in ("/proc/self/fd", "/dev/fd"):
        try:
            return [int(name) for name in os.listdir(listing)]
        except OSError:
            continue
    return list(range(3, os.sysconf("SC_OPEN_MAX")))


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Leave what the warm parent holds (WeasyPrint, stylesheet, fonts, catalogs) out of garbage collection.

    The workers inherit it and keep it as long as they live, yet each full collection during
    a render would walk all of it again (about a twentieth of the render), and walking it
    would also copy the parent's memory pages into the worker. So only the parent thaws it: a
    worker forked inside keeps it frozen (a full collection of the web page's heap in a starting
    worker cost a seventh of a CPU-second).
    """
    parent = os.getpid()
    gc.freeze()
    try:
        yield
    finally:
        if os.getpid() == parent:
            gc.unfreeze()


# -- in the worker ------------------------------------------------------------------------------


def _serve(
    connection: Connection, parent: int, start: Start | None, start_args: tuple[Any, ...], tasks: int | None,
) -> None:
    _die_with_parent(parent)
    warming = iter((start(*start_args) if start is not None else None) or ())
    connection.send(("started", None))
    done = 0
    while tasks is None or done < tasks:
        try:
            _warm_while_idle(connection, warming)
            function, args = connection.recv()
        except (EOFError, OSError):
            return
        try:
            answer = ("ok", function(*args))
        except Exception:  # a bug: the parent raises it with this traceback
            answer = ("bug", traceback.format_exc())
        connection.send(answer)
        done += 1


def _warm_while_idle(connection: Connection, warming: Iterator[Callable[[], object]]) -> None:
    """Run the start's warm-up steps one by one until a task waits: a task waits for one step at most, and
    none if it comes within ``NEXT_TASK_SECONDS`` of the worker's last word."""
    if connection.poll(NEXT_TASK_SECONDS):
        return
    while not connection.poll():
        step = next(warming, None)
        if step is None:
            return
        step()


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when its parent dies, however the parent died."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return  # not Linux: the closed pipe still ends the worker
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(0)
