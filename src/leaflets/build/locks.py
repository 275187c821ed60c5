"""The one lock helper: a lock file held with ``flock``, naming the process that holds it.

Used by the batch build (``dist/<clinic>/.build.lock``), approvals (``.approve.lock``) and the
release archive (``.releases.lock``). A lock held by a process goes with it, however it ends.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from leaflets.errors import OutputError, UsageError
from leaflets.paths import display_path


@contextmanager
def held(path: Path, name: str, busy: Callable[[str], str] | None = None) -> Iterator[int]:
    """Hold the lock file ``path`` (never followed through a link); yields its file descriptor.

    If another process holds it: with ``busy``, stop at once with ``UsageError(busy(its pid))``;
    without, wait for it (for locks held only while a few files are written).
    """
    with _lock_file(path, name) as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (fcntl.LOCK_NB if busy is not None else 0))
        except BlockingIOError:
            assert busy is not None
            lock.seek(0)
            raise UsageError(busy(lock.read().strip() or "another process")) from None
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        try:
            yield lock.fileno()
        finally:
            lock.truncate(0)
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def _lock_file(path: Path, name: str) -> Iterator[IO[str]]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        why = "it is a symbolic link; remove it" if exc.errno == errno.ELOOP else exc.strerror
        raise OutputError(f"cannot use {name} {display_path(path)}: {why}") from None
    with os.fdopen(descriptor, "a+") as lock:
        yield lock
