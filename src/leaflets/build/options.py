"""The build's options, shared by the command line and the Python API (``build_one``) so the two
cannot drift; apart from ``leaflet.py`` so the command line describes them without loading it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Option:
    default: Any
    help: str


BUILD_OPTIONS: dict[str, Option] = {
    "clinic": Option("example", "the clinic whose name, phone numbers, paper size and languages are used"),
    "lang": Option("en", "the leaflet's language, as a code such as en, es, fr, ar, zh_Hans or vi"),
    "large_print": Option(False, "large print: body text of at least 16 pt"),
}
