"""Writing files so that a reader never sees half of one; where ``--output`` may point."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from leaflets.errors import OutputError, UsageError
from leaflets.paths import display_path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()  # as any other program's files: an intranet server may run as another user


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path`` and rename it: a reader never sees half a PDF.

    A full disk, a read-only folder or a file where a folder belongs is one ``OutputError``,
    and whatever was at ``path`` before is left as it was.
    """
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fchmod(stream.fileno(), FILE_MODE)
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        raise OutputError(f"cannot write {display_path(path)}: {exc.strerror or exc}; nothing there was changed") from None
    finally:
        if temporary is not None and Path(temporary).exists():
            Path(temporary).unlink(missing_ok=True)


def write_if_changed(path: Path, data: bytes) -> None:
    """``write_atomically``, unless ``path`` already holds ``data`` (a web version's page, fonts, pictures)."""
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    write_atomically(path, data)


def check_target(output: str | None) -> None:
    """``--output`` must name a file to create or replace: not a link, a folder or a device."""
    if output is None or output == "-":
        return
    target = Path(output)
    if target.is_symlink():
        raise UsageError("--output is a symbolic link; name the file itself")
    if target.exists() and not target.is_file():
        raise UsageError("--output is a folder or a device, not a file")
