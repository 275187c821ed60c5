"""Reading a YAML file safely while keeping the line of every value.

Records come from many hands, so the reader refuses what a content file never
needs: anchors and aliases (the "billion laughs" attack), deep nesting, huge
files, bytes that are not UTF-8. Dates stay text here; the models parse them,
so a bad date is reported with its line instead of crashing the YAML library.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from leaflets.errors import ContentError
from leaflets.model.characters import unprintable

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 20
MAX_VALUES = 10_000  # a record holds about 300; the limit keeps memory and time small

Location = tuple[str | int, ...]
NOT_A_FILE = "is not a file (a folder, a pipe or a device); a content file is a .yaml text file"

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """SafeLoader that leaves timestamps as text for the models to parse."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class YamlDocument:
    """A parsed file: its data and the 1-based line of each value and key."""

    path: Path
    data: Any
    value_lines: dict[Location, int]
    key_lines: dict[Location, int]

    def line_of(self, location: Location) -> int:
        """The line of the value at ``location``, or of its nearest enclosing value."""
        for end in range(len(location), -1, -1):
            prefix = location[:end]
            if prefix in self.key_lines and end == len(location):
                return self.key_lines[prefix]
            if prefix in self.value_lines:
                return self.value_lines[prefix]
        return 1


def dotted(location: Location) -> str:
    """A location as authors read it: ``what_to_expect.steps[2]`` (list items counted from 1)."""
    text = ""
    for part in location:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def read_yaml(path: Path) -> YamlDocument:
    """Parse ``path`` or raise one ``ContentError`` naming its line."""
    return parse_yaml(read_text_file(path), path)


def read_text_file(path: Path, limit: int = MAX_FILE_BYTES, kind: str = "a content file") -> str:
    """A file's text (a record, clinic file, termbase, catalog ...): a regular file of at most ``limit``
    bytes of UTF-8 without NUL, or one ``ContentError`` naming it. A pipe or a device is never waited on."""
    return _decode(read_regular_file(path, limit, kind), path)


def parse_yaml(text: str, path: Path) -> YamlDocument:
    """Parse YAML ``text`` that came from ``path``."""
    if not text.strip():
        raise ContentError("the file is empty", path, 1)
    try:
        _refuse_unsafe_structure(text, path)
        node = yaml.compose(text, Loader=_Loader)
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise ContentError(
            f"the file holds a control character (U+{exc.character:04X}) that a text file must not have", path, line
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "not valid YAML"
        raise ContentError(f"YAML syntax error: {problem}", path, line) from None
    except yaml.YAMLError as exc:
        raise ContentError(f"YAML syntax error: {exc}", path, 1) from None
    if node is None:
        raise ContentError("the file is empty", path, 1)
    value_lines: dict[Location, int] = {}
    key_lines: dict[Location, int] = {}
    data = _to_python(node, (), value_lines, key_lines, path)
    return YamlDocument(path, data, value_lines, key_lines)


def read_regular_file(path: Path, limit: int = MAX_FILE_BYTES, kind: str = "a content file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or one ``ContentError`` naming it: a
    folder, pipe or device is refused without waiting for it to say anything."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise ContentError(f"cannot read the file: {exc.strerror}", path) from None
    status = os.fstat(descriptor)
    if not stat.S_ISREG(status.st_mode):
        os.close(descriptor)
        raise ContentError(NOT_A_FILE if kind == "a content file" else
                           f"is not a file (a folder, a pipe or a device); {kind} must be a regular file", path)
    with os.fdopen(descriptor, "rb") as stream:
        if status.st_size > limit:
            raise ContentError(
                f"the file is {status.st_size / 1024 / 1024:.1f} MB; {kind} may be at most {limit // 1024 // 1024} MB",
                path,
                1,
            )
        try:
            return stream.read(limit + 1)
        except OSError as exc:
            raise ContentError(f"cannot read the file: {exc.strerror}", path) from None


def _decode(raw: bytes, path: Path) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ContentError(
            f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8", path, line
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ContentError("the file holds a NUL byte; it is not a text file", path, line)
    return text.removeprefix("\ufeff")


def read_limited(stream: BinaryIO, path: Path) -> str:
    """Text from an open file, with the same size and encoding rules as ``read_yaml``."""
    raw = stream.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise ContentError(f"the file is larger than {MAX_FILE_BYTES // 1024 // 1024} MB", path, 1)
    return _decode(raw, path)


def _refuse_unsafe_structure(text: str, path: Path) -> None:
    """Refuse, before anything is built, what makes YAML a weapon.

    Anchors and aliases enable size bombs ("billion laughs") and records never
    need them; nesting deeper than a record needs crashes the YAML library's C
    composer; millions of tiny values would take seconds and gigabytes to build.
    """
    depth = values = 0
    for event in yaml.parse(text, Loader=_Loader):
        line = event.start_mark.line + 1 if event.start_mark else 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise ContentError("YAML anchors and aliases (& and *) are not allowed in content files", path, line)
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise ContentError(f"nested more than {MAX_DEPTH} levels deep", path, line)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        if isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            values += 1
            if values > MAX_VALUES:
                raise ContentError(f"more than {MAX_VALUES:,} values; a content file needs far fewer", path, line)


def _to_python(
    node: yaml.Node,
    location: Location,
    value_lines: dict[Location, int],
    key_lines: dict[Location, int],
    path: Path,
) -> Any:
    value_lines[location] = node.start_mark.line + 1
    if not isinstance(node, yaml.ScalarNode):
        _refuse_unusual_tag(node, path)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, path)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise ContentError(
                    "a key must be a plain word", path, key_node.start_mark.line + 1
                )
            if key in result:
                raise ContentError(f"'{key}' is given twice", path, key_node.start_mark.line + 1)
            key_lines[location + (key,)] = key_node.start_mark.line + 1
            result[key] = _to_python(value_node, location + (key,), value_lines, key_lines, path)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _to_python(item, location + (index,), value_lines, key_lines, path)
            for index, item in enumerate(node.value)
        ]
    return _scalar(node, path)


# What content files are made of: text, numbers, yes/no, nothing, lists and mappings. Anything
# else (!!binary, !!set, !!omap, a tag of one's own) could smuggle in what the text checks never see.
_PLAIN_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq"))


def _scalar(node: yaml.Node, path: Path) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        return node  # a mapping used as a key; rejected by the caller
    _refuse_unusual_tag(node, path)
    try:
        value = _CONSTRUCTOR.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError) as exc:
        raise ContentError(f"cannot read this value: {exc}", path, node.start_mark.line + 1) from None
    if isinstance(value, str) and (why := unprintable(value, newlines=True)):
        raise ContentError(f"the text holds {why}; remove it", path, node.start_mark.line + 1)
    return value


def _refuse_unusual_tag(node: yaml.Node, path: Path) -> None:
    if node.tag not in _PLAIN_TAGS:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise ContentError(f"a {tag} value is not allowed in a content file; write plain text", path, node.start_mark.line + 1)


_CONSTRUCTOR = yaml.constructor.SafeConstructor()
