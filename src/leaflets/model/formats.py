"""Format versions of content files, and reading files written in an earlier one.

Records, blocks and clinic files say which format they are written in with a ``format:`` line at
the top; a file without one is in format 1, the first release's. The formats (see the README):

1. The first release (2026-11-23): ``risks`` as two lists of text, ``common:`` and ``rare:``;
   ``sources`` as lines of text. No blocks, how-to steps, diagrams or search terms yet.
2. Since 2026-11-30: ``risks`` is one list, each risk with its number (``about``) and ``source``;
   each source has an id, title, publisher and address (url or doi); records may include shared
   blocks and have how-to steps, diagrams and search terms.

A file in format 1 still loads: its risks are read as risks without a number (common ones first,
as the first release printed them), its source lines are printed as written, and one warning
names the command that upgrades it (``leaflets upgrade``). Where a file cannot be read safely
(a risks group the first release did not have, a format-1 shape in a file that says format 2),
each such field is one error saying what format 2 expects there, with an example.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leaflets.errors import ContentError, LeafletError, LeafletErrors
from leaflets.model.yamlfile import Location, YamlDocument, read_yaml
from leaflets.paths import display_path

CURRENT_FORMAT = 2
FIRST_FORMAT = 1
FORMATS = (1, 2)
FORMAT_KEY = "format"
KINDS = ("procedure", "block", "clinic")  # the files that declare a format
RISK_GROUPS = ("common", "rare")  # format 1's risks, in the order the first release printed them

RISK_EXAMPLE = "- {text: Bruising where the needle went in, about: {count: 5, per: 100}, source: neat-2017}"
SOURCE_EXAMPLE = ("{id: neat-2017, title: A study of fistulas made through the skin, publisher: American Journal "
                  "of Kidney Diseases, year: 2017, url: https://www.ajkd.org/...}")

logger = logging.getLogger(__name__)
_warned: set[tuple[Path, int]] = set()


@dataclass
class ReadContent:
    """A content file read in the current format: its document, the format it was written in, and
    (format 1) the source lines kept as written, which the current model cannot hold as sources."""

    document: YamlDocument
    written_in: int
    source_lines: list[str] = field(default_factory=list)

    def sources(self) -> list[dict[str, Any]]:
        """Format 1's source lines as sources printed as written: the line as the title, nothing made up."""
        taken = {source.get("id") for source in self.document.data.get("sources") or [] if isinstance(source, dict)}
        ids = (f"source-{n}" for n in range(1, 10_000) if f"source-{n}" not in taken)
        return [{"id": next(ids), "title": line, "publisher": None, "year": None, "url": None, "doi": None}
                for line in self.source_lines]

    @property
    def needs_upgrade(self) -> bool:
        return self.written_in < CURRENT_FORMAT


def upgrade_hint(path: Path, written_in: int = FIRST_FORMAT) -> str:
    """The one warning a file in an earlier format gets: which format, and the command that upgrades it."""
    return (f"written in format {written_in} (the current one is {CURRENT_FORMAT}); it still loads, but "
            f"'leaflets upgrade {display_path(path)}' rewrites it in format {CURRENT_FORMAT}")


def read_content(path: Path, kind: str = "procedure") -> ReadContent:
    """Read a record (``kind`` "procedure"), block or clinic file as the current format expects it.

    Raises ``LeafletErrors`` for a ``format:`` value it does not know, and for every field of an
    earlier format that cannot be read safely; logs one warning for a file in an earlier format.
    """
    document = read_yaml(path)
    if not isinstance(document.data, dict):
        return ReadContent(document, CURRENT_FORMAT)
    written_in = declared_format(document)
    data = {key: value for key, value in document.data.items() if key != FORMAT_KEY}
    document = YamlDocument(document.path, data, document.value_lines, document.key_lines)
    if written_in == CURRENT_FORMAT:
        if kind == "procedure" and (errors := format_1_shapes(document)):
            raise LeafletErrors(errors)
        return ReadContent(document, written_in)
    read = _from_format_1(document) if kind == "procedure" else ReadContent(document, written_in)
    _warn_once(path, written_in)
    return read


def declared_format(document: YamlDocument) -> int:
    """The format a file says it is written in; 1 when it says none."""
    value = document.data.get(FORMAT_KEY, FIRST_FORMAT)
    if isinstance(value, int) and not isinstance(value, bool) and value in FORMATS:
        return value
    line = document.line_of((FORMAT_KEY,))
    if isinstance(value, int) and not isinstance(value, bool) and value > CURRENT_FORMAT:
        message = (f"format: {value} is newer than this version of leaflets reads (formats 1 to {CURRENT_FORMAT}); "
                   "update leaflets, or write the file in an older format")
    else:
        message = (f"format: write the number of the format this file is written in, {CURRENT_FORMAT} for the "
                   f"current one, like 'format: {CURRENT_FORMAT}' (no line at all means format 1)")
    raise LeafletErrors([ContentError(message, document.path, line)])


def _warn_once(path: Path, written_in: int) -> None:
    key = (path.resolve(), written_in)
    if key not in _warned and not _silent:
        _warned.add(key)
        logger.warning("%s:1: %s", display_path(path), upgrade_hint(path, written_in))


_silent = False


@contextmanager
def reported_elsewhere() -> Iterator[None]:
    """While ``check`` reports earlier formats itself (``earlier_formats``), loading logs no warning."""
    global _silent
    before, _silent = _silent, True
    try:
        yield
    finally:
        _silent = before


def earlier_formats(paths: list[Path]) -> list[tuple[Path, int]]:
    """The files among ``paths`` written in an earlier format, with that format (unreadable ones are
    reported by the loader)."""
    found = []
    for path in paths:
        try:
            document = read_yaml(path)
            written_in = declared_format(document) if isinstance(document.data, dict) else CURRENT_FORMAT
        except LeafletError:
            continue
        if written_in < CURRENT_FORMAT:
            found.append((path, written_in))
    return found


# -- format 1 ------------------------------------------------------------------------------------


def _from_format_1(document: YamlDocument) -> ReadContent:
    """A format-1 record as format 2 reads it: risks as one list, source lines kept aside."""
    errors: list[LeafletError] = []
    data, moves = dict(document.data), dict[Location, Location]()
    risks = data.get("risks")
    if isinstance(risks, dict):
        errors += _unknown_risk_groups(document, risks)
        flat: list[Any] = []
        for group in RISK_GROUPS:
            items = risks.get(group)
            if items is None:
                continue
            if not isinstance(items, list):
                errors.append(_error(document, ("risks", group), f"risks.{group}: expected a list of risks, one per "
                                     f"line, like '{group}: [Bruising where the needle went in]'"))
                continue
            for index, item in enumerate(items):
                moves[("risks", len(flat))] = ("risks", group, index)
                flat.append(item)
        data["risks"] = flat
    lines: list[str] = []
    sources = data.get("sources")
    if isinstance(sources, list) and any(isinstance(source, str) for source in sources):
        kept: list[Any] = []  # sources already written as format 2's, kept as they are
        for index, source in enumerate(sources):
            if isinstance(source, str) and source.strip():
                lines.append(source.strip())
            elif isinstance(source, dict):
                moves[("sources", len(kept))] = ("sources", index)
                kept.append(source)
            else:
                errors.append(_error(document, ("sources", index), f"sources[{index + 1}]: write where the facts come "
                                     f"from, as a line of text (format 1) or, better, as {SOURCE_EXAMPLE}"))
        data["sources"] = kept
    if errors:
        raise LeafletErrors(errors)
    return ReadContent(_moved(document, data, moves), FIRST_FORMAT, lines)


def _unknown_risk_groups(document: YamlDocument, risks: dict[Any, Any]) -> list[LeafletError]:
    return [_error(document, ("risks", key), f"risks.{key}: format 1 had only the groups common: and rare:, so "
                   f"'{key}' cannot be read safely; write risks as one list, each risk with its number and source, "
                   f"like {RISK_EXAMPLE}")
            for key in risks if key not in RISK_GROUPS]


def format_1_shapes(document: YamlDocument) -> list[LeafletError]:
    """A file that says format 2 but holds format 1's risks or source lines: one error per field."""
    errors: list[LeafletError] = []
    if isinstance(document.data.get("risks"), dict):
        errors.append(_error(document, ("risks",), "risks: in format 2, risks is one list, each risk with its "
                             f"number and source, like {RISK_EXAMPLE}; common: and rare: are format 1 "
                             f"('leaflets upgrade {display_path(document.path)}' rewrites them)"))
    sources = document.data.get("sources")
    for index, source in enumerate(sources if isinstance(sources, list) else []):
        if isinstance(source, str):
            errors.append(_error(document, ("sources", index), f"sources[{index + 1}]: in format 2 a source is "
                                 f"its id, title, publisher and address (url or doi), like {SOURCE_EXAMPLE}; a "
                                 "line of text is format 1"))
    return errors


def _error(document: YamlDocument, location: Location, message: str) -> ContentError:
    return ContentError(message, document.path, document.line_of(location))


def _moved(document: YamlDocument, data: dict[str, Any], moves: dict[Location, Location]) -> YamlDocument:
    """``document`` with ``data``, each value's line found where it was before ``moves``."""
    value_lines, key_lines = dict(document.value_lines), dict(document.key_lines)
    for new, old in moves.items():
        for lines in (value_lines, key_lines):
            for location, line in list(document.value_lines.items() if lines is value_lines
                                       else document.key_lines.items()):
                if location[: len(old)] == old:
                    lines[new + location[len(old):]] = line
    return YamlDocument(document.path, data, value_lines, key_lines)
