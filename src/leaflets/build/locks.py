"""One process at a time: a lock file held with ``flock``, naming the process that holds it."""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from leaflets.errors import OutputError, UsageError
from leaflets.paths import display_path


@contextmanager
def held(path: Path, name: str, busy: Callable[[str], str]) -> Iterator[int]:
    """Hold the lock file ``path`` (never followed through a link); if another process holds it,
    stop with ``UsageError(busy(its pid))``. Yields the lock's file descriptor."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        why = "it is a symbolic link; remove it" if exc.errno == errno.ELOOP else exc.strerror
        raise OutputError(f"cannot use {name} {display_path(path)}: {why}") from None
    with os.fdopen(descriptor, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
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
