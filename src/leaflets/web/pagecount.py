"""What the page and FHIR say about a built PDF: its pages (shown on the form before printing), its
size and SHA-1 (FHIR's Attachment.hash). Each is read once per version of the file, as
``model/digests.py`` tells versions apart (the file's identity)."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path

from leaflets.model.digests import Identity, identity


@lru_cache(maxsize=512)
def _count(version: Identity) -> int | None:
    import pikepdf

    try:
        with pikepdf.open(version[0]) as pdf:
            return len(pdf.pages)
    except (pikepdf.PdfError, OSError):
        return None


def page_count(path: Path) -> int | None:
    """The number of pages of the PDF at ``path``, or None when it cannot be read."""
    version = identity(path)
    return None if version is None else _count(version)


@lru_cache(maxsize=512)
def _size_and_sha1(version: Identity) -> tuple[int, str] | None:
    try:
        data = Path(version[0]).read_bytes()
    except OSError:
        return None
    return len(data), base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode("ascii")


def size_and_sha1(path: Path) -> tuple[int, str] | None:
    """The file's size and base64 SHA-1 (what FHIR's Attachment.hash holds), or None when it cannot be read."""
    version = identity(path)
    return None if version is None else _size_and_sha1(version)
