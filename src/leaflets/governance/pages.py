"""What a built leaflet looks like on paper: its page budget and its "when to get help" box.

Both read the PDF's named destinations: WeasyPrint writes one for each element with an id, with its
page and its height on the page, so a section's place and length are known without laying it out again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    lengths = [(name, (end.page - start.page) + (end.down - start.down)) for (start, name), end in zip(starts, ends)]
    return sorted(lengths, key=lambda pair: -pair[1])


def budget_problem(pdf: Any, budget: int, large_print: bool) -> str | None:
    """Over the clinic's page budget (twice it in large print): how far, and the longest sections."""
    allowed = budget * (LARGE_PRINT_FACTOR if large_print else 1)
    pages = len(pdf.pages)
    if pages <= allowed:
        return None
    longest = ", ".join(f"{name} ({length:.1f})" for name, length in section_lengths(pdf)[:3])
    return f"{pages} pages, over the clinic's budget of {allowed}; the longest sections (pages): {longest}"
