"""Errors a user can fix: each names the file and line it is about.

The command line catches these (and only these) and prints them one per line as
``path:line: message``; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path

from leaflets.paths import display_path


class LeafletError(Exception):
    """One problem in the user's input, located at ``path:line`` where known.

    Catch this one class: ``errors`` lists every problem it stands for, itself alone for a
    single error, each of the problems for ``LeafletErrors``.
    """

    untranslated_only = False  # True for a translation not ready yet: the leaflet is refused, nothing is broken

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None):
        message = re.sub(r"\s*\n\s*", " ", message)  # one problem, one line
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line

    @property
    def errors(self) -> list[LeafletError]:
        return [self]

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


class OutputError(LeafletError):
    """A file that cannot be written: a full disk, a read-only folder, a file where a folder belongs."""


class TooLong(LeafletError):
    """A leaflet that would print more pages than a patient leaflet may have."""


class UsageError(LeafletError):
    """Options that do not fit together."""


class LeafletErrors(LeafletError):
    """Several problems, reported together and then stopped on once."""

    def __init__(self, errors: Iterable[LeafletError]):
        self._errors = [single for error in errors for single in error.errors]
        Exception.__init__(self, "\n".join(str(e) for e in self._errors))
        self.message, self.path, self.line = str(self), None, None

    @property
    def errors(self) -> list[LeafletError]:
        return self._errors

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self._errors)


class State(StrEnum):
    """What became of one leaflet."""

    BUILT = "built"
    UNCHANGED = "unchanged"  # its printed text is the same: the PDF already there stays
    REFUSED = "refused"  # a translation not ready yet
    FAILED = "failed"  # broken input, or a worker that died


def refused_or_failed(error: LeafletError) -> State:
    """REFUSED when every problem is a translation not ready yet, else FAILED."""
    return State.REFUSED if all(e.untranslated_only for e in error.errors) else State.FAILED
