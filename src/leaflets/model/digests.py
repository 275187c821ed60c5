"""The one way to tell that something changed.

What a file or a value holds is told by its content digest (sha256). A file's *identity*
(size, modification time, inode, device and status-change time, in nanoseconds) is only a
shortcut: while it is what it was when the file was last read, the file need not be read again
(as git trusts a file's metadata); once any part of it differs, the file is read and its digest
decides. The status-change time (ctime) is what makes the shortcut safe: ``cp -p``, ``rsync -a``
and ``touch -r`` can set a file's modification time back, but any write or time change sets its
ctime to now, and no user can set it back. A change within ``RACY_NS`` of when an identity was
taken could share its time stamps (clocks tick coarsely), so such an identity is not trusted:
the file is read again until its times are older (git's "racily clean" rule).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
import time
import weakref
from pathlib import Path
from typing import Any

Identity = tuple[str, int, int, int, int, int]  # path, size, mtime_ns, inode, device, ctime_ns

RACY_NS = 2_000_000_000  # a file changed this recently may change again without a new time stamp


def digest(*parts: Any) -> str:
    """The digest of values JSON can write (anything else by its ``str``)."""
    return bytes_digest(json.dumps(parts, sort_keys=True, default=str).encode("utf-8"))


def bytes_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path | str) -> str | None:
    """The digest of what the file holds; None if it cannot be read or is not a regular file (a pipe
    or a device is never read: it could make us wait forever)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        with os.fdopen(descriptor, "rb", closefd=False) as stream:
            return bytes_digest(stream.read())
    except OSError:
        return None
    finally:
        os.close(descriptor)


def identity(path: Path | str) -> Identity | None:
    """What tells a file apart from any other version of it, short of reading it; None if it is gone."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (str(path), status.st_size, status.st_mtime_ns, status.st_ino, status.st_dev, status.st_ctime_ns)


def settled_before(known: Identity | list[int], moment_ns: int) -> bool:
    """Whether the file's times (of an ``identity`` or a ``stored_identity``) are at least ``RACY_NS``
    before ``moment_ns``: only then does an unchanged identity prove unchanged content."""
    mtime, ctime = (known[2], known[5]) if isinstance(known, tuple) else (known[1], known[4])
    return max(mtime, ctime) <= moment_ns - RACY_NS


def stored_identity(path: Path | str) -> list[int] | None:
    """``identity`` without the path, as a file that lists other files (a manifest) keeps it."""
    known = identity(path)
    return None if known is None else list(known[1:])


def _new_lock(digests: FileDigests | None) -> None:
    if digests is not None:
        digests._lock = threading.Lock()


class FileDigests:
    """Files' digests, each read again only when the file's identity changes (for a long-lived process)."""

    def __init__(self) -> None:
        self._known: dict[Path | str, tuple[Identity | None, str | None]] = {}
        self._lock = threading.Lock()
        # a worker forked while another thread held the lock would wait for it forever; held weakly, so
        # the registration (which cannot be undone) does not keep every instance alive
        alive = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _new_lock(alive()))

    def of(self, path: Path | str) -> str | None:
        """``file_digest(path)``, from memory while the file's identity is unchanged (and was settled
        when it was read)."""
        seen = identity(path)
        with self._lock:
            known = self._known.get(path)
        if known is not None and known[0] == seen and seen is not None:
            return known[1]
        value = file_digest(path)
        if seen is not None and settled_before(seen, time.time_ns()):
            with self._lock:
                self._known[path] = (seen, value)  # the identity taken before reading: a later change shows
        return value
