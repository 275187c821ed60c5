"""Errors a user can fix: each names the file and line it is about.

The command line catches these (and only these) and prints them one per line as
``path:line: message``; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path


class LeafletError(Exception):
    """One problem in the user's input, located at ``path:line`` where known."""

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None):
        message = re.sub(r"\s*\n\s*", " ", message)  # one problem, one line
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        where = display_path(self.path)
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}"


class ContentError(LeafletError):
    """A record or clinic file that cannot be read or is not valid."""


class NotFoundError(LeafletError):
    """A procedure, clinic or language that does not exist."""


class UnsafeResourceError(LeafletError):
    """The renderer was asked to fetch something outside the allowed folders."""


class TemplateProblem(LeafletError):
    """A template (a clinic's own, usually) that cannot be rendered or did something it may not."""


class UsageError(LeafletError):
    """Options that do not fit together."""


class LeafletErrors(Exception):
    """Several problems, reported together and then stopped on once."""

    def __init__(self, errors: Iterable[LeafletError]):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


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
