"""WeasyPrint, imported for the package, its C libraries (GObject, Pango, HarfBuzz, fontconfig)
loaded by their Linux file names straight away.

WeasyPrint tries several names for each library, one per platform. Through cffi, each name the
dynamic loader cannot open runs ``ctypes.util.find_library``, which on Linux starts ``ldconfig``,
``gcc`` and ``ld``: some fifty programs, half the wall time of the import and a fifth of a CPU-second
besides. Each list also holds the Linux soname ("libpango-1.0.so.0"), which the loader opens itself,
the very file ``find_library`` names; so on Linux nothing is searched while WeasyPrint is imported,
and the same libraries are loaded (``tests/test_pdf.py``).
"""

from __future__ import annotations

import ctypes.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager


def _not_searched(name: str) -> None:
    return None


@contextmanager
def _loaded_by_soname() -> Iterator[None]:
    search = ctypes.util.find_library
    if sys.platform.startswith("linux"):
        ctypes.util.find_library = _not_searched
    try:
        yield
    finally:
        ctypes.util.find_library = search


with _loaded_by_soname():
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

__all__ = ["FatalURLFetchingError", "FontConfiguration", "URLFetcher", "URLFetcherResponse", "weasyprint"]
