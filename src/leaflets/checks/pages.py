"""The page budget: a record that would print far too many pages is refused before the minutes a layout
would take (the PDF's own page count is checked after layout, in ``render.pdf``); a built leaflet over
the clinic's budget is reported with its longest sections; and the "when to get help" box is on page 1
or 2, whole.

The built-PDF checks read the PDF's named destinations: WeasyPrint writes one for each element with an
id, with its page and its height on the page, so a section's place and length are known without laying
it out again.
"""

from __future__ import annotations

from dataclasses import dataclass
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


HELP_BOX, HELP_BOX_END = "get-help", "get-help-end"  # ids of the box's heading and of its last line
HELP_BOX_LAST_PAGE = 2
LARGE_PRINT_FACTOR = 2  # large print may take twice the pages of regular print


@dataclass(frozen=True, order=True)
class Anchor:
    """Where an element starts: its page (from 1) and how far down that page, as a fraction of its height."""

    page: int
    down: float


def anchors(pdf: Any) -> dict[str, Anchor]:
    """Each element id of a WeasyPrint PDF, with where it starts."""
    from pikepdf import NameTree

    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return {}
    pages = {page.objgen: number for number, page in enumerate(pdf.pages, start=1)}
    found = {}
    for name, destination in NameTree(names.Dests).items():
        target = destination.get("/D", destination) if hasattr(destination, "keys") else destination
        page = pages.get(target[0].objgen)
        if page is None:
            continue
        height = float(pdf.pages[page - 1].mediabox[3])
        found[str(name)] = Anchor(page, round(1 - float(target[3]) / height, 4))
    return found


def help_box_problems(pdf: Any) -> list[str]:
    """The "when to get help" box must start on page 1 or 2 and end on the page it starts on."""
    where = anchors(pdf)
    start, end = where.get(HELP_BOX), where.get(HELP_BOX_END)
    if start is None:
        return []
    problems = []
    if start.page > HELP_BOX_LAST_PAGE:
        problems.append(f"the 'when to get help' box is on page {start.page}; it belongs on page 1 or 2")
    if end is not None and end.page != start.page:
        problems.append(f"the 'when to get help' box is split across pages {start.page} and {end.page}")
    return problems


def section_lengths(pdf: Any) -> list[tuple[str, float]]:
    """(element id, length in pages) of each part of the leaflet that starts at an id, longest first."""
    starts = sorted((anchor, name) for name, anchor in anchors(pdf).items() if not name.endswith("-end"))
    ends = [anchor for anchor, _ in starts[1:]] + [Anchor(len(pdf.pages), 1.0)]
    lengths = [(name, (end.page - start.page) + (end.down - start.down)) for (start, name), end in zip(starts, ends, strict=True)]
    return sorted(lengths, key=lambda pair: -pair[1])


def budget_problem(pdf: Any, budget: int, large_print: bool) -> str | None:
    """Over the clinic's page budget (twice it in large print): how far, and the longest sections."""
    allowed = budget * (LARGE_PRINT_FACTOR if large_print else 1)
    pages = len(pdf.pages)
    if pages <= allowed:
        return None
    longest = ", ".join(f"{name} ({length:.1f})" for name, length in section_lengths(pdf)[:3])
    return f"{pages} pages, over the clinic's budget of {allowed}; the longest sections (pages): {longest}"
