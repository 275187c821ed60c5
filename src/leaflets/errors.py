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

# Characters that must never reach a terminal, a log, JSON or XML as they are: C0 and C1 controls
# (escape sequences, line breaks that forge lines), the soft hyphen, bidi marks, embeddings,
# overrides and isolates, zero-width and other invisible format characters, line and paragraph
# separators, lone surrogates, the BOM, interlinear annotations and tags.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f"
                        "\ud800-\udfff\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]")


def visible(text: str) -> str:
    """``text`` with each control, bidi or invisible character written as an escape (``\\x1b``, ``\\u202e``)."""
    return _INVISIBLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def json_visible(text: str) -> str:
    """JSON text with each control, bidi or invisible character escaped as JSON escapes it (``\\u202e``)."""
    return _INVISIBLE.sub(_json_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"  # a surrogate pair


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
        """``path:line: message``, one line a terminal shows as it is: no control or bidi character."""
        if self.path is None:
            return visible(self.message)
        where = display_path(self.path)
        if self.line is not None:
            where = f"{where}:{self.line}"
        return visible(f"{where}: {self.message}")


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
