"""What a printed leaflet can hold: characters that would hide, reorder or break the text are
refused, and text must be drawable with the fonts leaflets ships.

One rule for records, clinic files, catalogs and patients' details, so that what a patient
takes home says exactly what was written or typed.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Literal

# Zero-width joiner and non-joiner: invisible, but part of how some words in Arabic, Persian and
# Indic scripts are spelled. Every other invisible format character (bidi embeddings, overrides,
# isolates and marks, zero-width spaces, word joiners, BOMs, soft hyphens, tags) is refused.
SPELLING_JOINERS = frozenset("\u200c\u200d")
MAX_STACKED_MARKS = 4  # Vietnamese and Arabic need two or three; "Zalgo" text piles up dozens


def unprintable(text: str, newlines: bool = False) -> str | None:
    """Why ``text`` cannot be printed as written, naming its first offending character; None if it can.

    ``newlines``: whether a plain newline is allowed (records may wrap long text over lines).
    """
    marks = 0
    for character in text:
        marks = marks + 1 if unicodedata.combining(character) else 0
        if marks > MAX_STACKED_MARKS:
            return f"more than {MAX_STACKED_MARKS} accents or marks on one letter, which would print over the lines around it"
        if character == "\t" or (newlines and character == "\n"):
            continue
        category = unicodedata.category(character)
        if category == "Cc":
            return f"a control character ({_name(character)})"
        if category in ("Zl", "Zp"):
            return f"a line or paragraph separator ({_name(character)}), which would cut the text"
        if category == "Cf" and character not in SPELLING_JOINERS:
            return f"an invisible formatting character ({_name(character)}), which could hide or reorder text"
        if category in ("Co", "Cn", "Cs"):
            return f"a character with no agreed meaning ({_name(character)})"
    return None


FSI, LRI, PDI = "\u2068", "\u2066", "\u2069"  # first-strong isolate, left-to-right isolate, pop directional isolate
# Every character that sets or changes the direction of text: taken out where text is compared as read.
BIDI_CONTROLS = "\u2066\u2067\u2068\u2069\u200e\u200f\u202a\u202b\u202c\u202d\u202e"


def isolated(text: str, direction: Literal["auto", "ltr"] = "auto") -> str:
    """The one bidi isolation: text that the text around it cannot reorder, nor it the text around.

    ``auto`` (FSI … PDI): it takes its direction from its own first strong letter, and its punctuation
    and digits stay with it, in a leaflet of either direction. ``ltr`` (LRI … PDI): left to right
    whatever it holds (phone numbers, codes). Each line is isolated on its own: a line break ends an
    isolate."""
    opening = LRI if direction == "ltr" else FSI
    return "\n".join(f"{opening}{line}{PDI}" for line in text.split("\n"))


def _name(character: str) -> str:
    name = unicodedata.name(character, "")
    return f"U+{ord(character):04X}" + (f" {name}" if name else "")


@lru_cache(maxsize=8)
def _drawable(fonts: Path) -> frozenset[int]:
    """Every character some shipped font has a glyph for: each font's character map as HarfBuzz reads it
    (the one fontTools calls best, read in C: a twentieth of the time, for the CJK fonts' 20,000 characters)."""
    import uharfbuzz as harfbuzz  # type: ignore[import-untyped]

    covered: set[int] = set()
    for font in sorted(fonts.resolve().glob("*.[ot]tf")):
        covered.update(harfbuzz.Face(harfbuzz.Blob.from_file_path(str(font))).unicodes)
    return frozenset(covered)


def read_font_coverage(fonts: Path) -> None:
    """Read the fonts' tables now, ahead of the first text ``undrawable`` checks (see there)."""
    _drawable(fonts)


def scripts_of(character_names: list[str]) -> str:
    """The writing systems of named characters ("Hangul, Thai"), to say what cannot be printed
    without repeating what was typed."""
    words = [name.split()[1] if len(name.split()) > 1 else name for name in character_names]
    return ", ".join(dict.fromkeys(word if word == "CJK" else word.title() for word in words))


def undrawable(text: str, fonts: Path) -> list[str]:
    """The characters of ``text`` that no font in ``fonts`` can draw (they would print as boxes). The
    fonts' character maps (a hundredth of a second to read) are loaded only for text with something to look up."""
    if not text or text.isspace():
        return []
    covered = _drawable(fonts)
    missing = dict.fromkeys(ch for ch in text if ord(ch) not in covered and not ch.isspace() and ch not in SPELLING_JOINERS)
    return [_name(ch) for ch in missing]
