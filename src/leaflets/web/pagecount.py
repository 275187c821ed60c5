"""How many pages a built PDF has: shown on the form before printing, read once per file version."""

from __future__ import annotations

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
