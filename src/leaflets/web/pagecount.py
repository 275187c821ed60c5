"""What the page and FHIR say about a built PDF: its pages (shown on the form before printing), its
size and SHA-1 (FHIR's Attachment.hash). Each is read once per version of the file."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=512)
def _count(path: str, changed: int, size: int) -> int | None:
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            return len(pdf.pages)
    except (pikepdf.PdfError, OSError):
        return None


def page_count(path: Path) -> int | None:
    """The number of pages of the PDF at ``path``, or None when it cannot be read."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _count(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=512)
def _digest(path: str, changed: int, size: int) -> tuple[int, str] | None:
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    return len(data), base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode("ascii")


def size_and_sha1(path: Path) -> tuple[int, str] | None:
    """The file's size and base64 SHA-1, or None when it cannot be read."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _digest(str(path), stat.st_mtime_ns, stat.st_size)
