"""The page budget: a record that would print far too many pages is refused before the minutes a layout
would take (the PDF's own page count is checked after layout, in ``render.pdf``)."""

from __future__ import annotations

from typing import Any

from leaflets.model.record import MAX_PAGES
from leaflets.model.walk import printed_strings

MAX_PRINTED_CHARACTERS = 40_000  # about 6 times today's longest record; far more would be a book, not a leaflet
CHARACTERS_PER_PAGE = 1_000  # large print: 650 on the shipped leaflets, 1,800 in long paragraphs


def book_problem(record: dict[str, Any]) -> str | None:
    """Why a record's plain data would print far too many pages for a leaflet; None if it would not."""
    printed = sum(len(text) for _, text in printed_strings(record))
    if printed <= MAX_PRINTED_CHARACTERS:
        return None
    return (f"this leaflet holds {printed:,} characters of text, about {printed // CHARACTERS_PER_PAGE} pages "
            f"in large print; a leaflet may have at most {MAX_PAGES} pages: shorten the record or split it in two")
