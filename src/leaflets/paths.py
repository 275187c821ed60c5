"""Paths as users read them, and the one test of whether a path stays inside a folder."""

from __future__ import annotations

from pathlib import Path


def is_inside(path: Path | str, folder: Path | str) -> bool:
    """Whether ``path`` lies in ``folder`` once every symbolic link in either is followed."""
    return Path(path).resolve().is_relative_to(Path(folder).resolve())


def display_path(path: Path) -> str:
    """The path relative to the working folder when it is inside it, else as given."""
    here = Path.cwd().resolve()
    try:  # the link's own name, not where a symbolic link points
        for candidate in (path.absolute(), path.parent.resolve() / path.name):
            if candidate.is_relative_to(here):
                return str(candidate.relative_to(here))
    except OSError:
        pass
    return str(path)
