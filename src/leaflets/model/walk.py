"""The one walk over a record's (or a block's) plain data, and the one table of which of its fields are prose.

A record's plain data is what YAML gives, or ``Procedure.model_dump(mode="json")``: dicts, lists,
strings and numbers. Every string is prose, read by the patient and translated, unless it sits
under a field the table below names:

- ``REFERENCE``: ids, codes, numbers, file names, source references: never translated, never read as prose;
- ``UNPRINTED``: prose that is translated but never printed on the leaflet (search terms).

Extraction for translators, translation, bidi isolation, readability, the size of a leaflet, its
sources and its placeholders all walk the data here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import Enum
from typing import Any

from leaflets.model.yamlfile import Location


class Field(Enum):
    REFERENCE = "reference"
    UNPRINTED = "unprinted"


# ``sources`` are cited as published; ``source``, ``sign`` and ``about`` are references and numbers;
# ``abbreviations`` are clinicians' short forms (AVF, PCN), searched in every language as written.
FIELDS: dict[str, Field] = {
    **dict.fromkeys(("id", "codes", "abbreviations", "review", "sources", "pictogram", "duration", "blocks",
                     "block_sources", "source", "about", "image", "when", "count", "key", "serious", "sign",
                     "keep_taking", "if_kept", "unless_kept"), Field.REFERENCE),
    "search_terms": Field.UNPRINTED,
}
PROSE_SKIPPED = frozenset(key for key, kind in FIELDS.items() if kind is Field.REFERENCE)
UNPRINTED_FIELDS = frozenset(key for key, kind in FIELDS.items() if kind is Field.UNPRINTED)

Message = str | tuple[str, str]  # a text, or a plural text's (one, other)


def walk(data: Any, location: Location = ()) -> Iterator[tuple[Location, Any]]:
    """Every value of the data, depth first and parents first, with where it sits."""
    yield location, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from walk(value, location + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from walk(value, location + (index,))


def is_plural_text(data: Any) -> bool:
    """A block's ``{one, other, count}`` text, whose words follow a clinic-policy number."""
    return isinstance(data, dict) and {"one", "other"} <= set(data) <= {"one", "other", "count"}


def is_prose_field(key: Any) -> bool:
    """Whether what sits under ``key`` (a field name, or a list index) may be prose."""
    return not (isinstance(key, str) and key in PROSE_SKIPPED)


def prose_messages(data: Any, location: Location = ()) -> Iterator[tuple[Location, Message]]:
    """Every message of a record that a patient reads, with where it sits: text, or (one, other)."""
    if location and not is_prose_field(location[-1]):
        return
    if isinstance(data, str):
        yield location, data
    elif is_plural_text(data):
        yield location, (data["one"], data["other"])
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from prose_messages(item, location + (index,))
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from prose_messages(value, location + (key,))


def prose_strings(data: Any, location: Location = ()) -> Iterator[tuple[Location, str]]:
    """Every string of a record that a patient reads (a plural text by its 'other' form), with where it sits."""
    for where, message in prose_messages(data, location):
        yield where, message[1] if isinstance(message, tuple) else message


def printed_strings(record: dict[str, Any]) -> Iterator[tuple[Location, str]]:
    """``prose_strings`` of a whole record, without the fields it never prints."""
    return ((location, text) for location, text in prose_strings(record) if location[0] not in UNPRINTED_FIELDS)


def map_prose(data: Any, text: Callable[[str], Any], plural: Callable[[dict[str, Any]], Any] | None = None,
              key: Any = None) -> Any:
    """A copy of the data with each prose string replaced by ``text(string)`` and, given ``plural``,
    each plural text by ``plural(data)``; everything else as it was."""
    if not is_prose_field(key):
        return data
    if isinstance(data, str):
        return text(data)
    if plural is not None and is_plural_text(data):
        return plural(data)
    if isinstance(data, list):
        return [map_prose(item, text, plural, key) for item in data]
    if isinstance(data, dict):
        return {k: map_prose(v, text, plural, k) for k, v in data.items()}
    return data


def sourced_strings(data: Any) -> Iterator[tuple[Location, str, str | None]]:
    """Every string of a record (``source:`` references aside), where it is, and the source that covers
    it: its own ``{text, source}``, or the ``source`` of the entry (a risk, an item, a duration) it belongs to."""
    for location, value in walk(data):
        if isinstance(value, str) and "source" not in location:
            yield location, value, _covering_source(data, location)


def _covering_source(data: Any, location: Location) -> str | None:
    """The ``source`` of the innermost entry that holds ``location``."""
    source = None
    for part in location:
        if isinstance(data, dict) and isinstance(data.get("source"), str):
            source = data["source"]
        data = data[part]
    return source


def source_ids(data: Any) -> list[tuple[Location, str]]:
    """Each ``source:`` of a record or block (not its list of sources), with where its entry is."""
    return [(location[:-1], value) for location, value in walk(data)
            if location and location[-1] == "source" and location[0] != "sources" and isinstance(value, str)]
