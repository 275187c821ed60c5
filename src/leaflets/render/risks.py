"""How a leaflet says its risks: natural frequencies in one denominator, a band word derived from
each number, the most frequent first, and an icon array for each key risk.

The band words are the frequency convention of EU/UK medicine information (the SmPC guideline,
section 4.8, and the package leaflets written from it): very common (1 in 10 or more), common
(1 in 100 to 1 in 10), uncommon (1 in 1,000 to 1 in 100), rare (1 in 10,000 to 1 in 1,000),
very rare (below 1 in 10,000). A range takes the band of its upper end, so a risk is never made to
sound rarer than its source says; "fewer than N" takes the band just below N.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup

from leaflets.model.record import Risk, leaflet_denominator

BANDS = ((1 / 10, "very-common"), (1 / 100, "common"), (1 / 1000, "uncommon"), (1 / 10000, "rare"), (0.0, "very-rare"))
ICON_ARRAY_SIZES = {100: 10, 1000: 40}  # people in the picture: how many a row


@dataclass(frozen=True)
class RiskLine:
    """One risk as the template words it; numbers are already in the leaflet's denominator."""

    text: str
    serious: bool
    key: bool
    band: str | None = None  # very-common ... very-rare; None: no reliable number
    count: int | None = None
    low: int | None = None
    high: int | None = None
    less_than: int | None = None
    icons: IconArray | None = None


@dataclass(frozen=True)
class IconArray:
    """An icon array's drawing; the template makes it an <svg> with its (translated) title as alt text."""

    view_box: str
    shapes: Markup


@dataclass(frozen=True)
class RiskSection:
    denominator: int
    numbered: list[RiskLine]
    unnumbered: list[RiskLine]


def band_of(risk: Risk) -> str:
    """The band word's key for a risk's number (see the module's docstring)."""
    about = risk.about
    assert about is not None
    rate = about.upper
    for threshold, band in BANDS:
        if rate > threshold or (rate >= threshold and about.less_than is None):
            return band
    return "very-rare"


def risk_section(risks: list[Risk], printed: list[str], rtl: bool = False) -> RiskSection:
    """The Risks section of a leaflet; ``printed`` are the risks' texts as the leaflet prints them."""
    denominator = leaflet_denominator(risks) or 100
    lines = [_line(risk, text, denominator, rtl, f"people-{n}")
             for n, (risk, text) in enumerate(zip(risks, printed, strict=True))]
    numbered = sorted((line for line, risk in zip(lines, risks, strict=True) if risk.about),
                      key=lambda line: -max(v for v in (line.count, line.high, line.less_than) if v is not None))
    return RiskSection(denominator, numbered, [line for line, risk in zip(lines, risks, strict=True) if not risk.about])


def _line(risk: Risk, text: str, denominator: int, rtl: bool, name: str) -> RiskLine:
    about = risk.about
    if about is None:
        return RiskLine(text, risk.serious, risk.key)

    def scaled(value: float | None) -> int | None:
        return None if value is None else round(value * denominator / about.per)

    count, low, high = scaled(about.count), scaled(about.low), scaled(about.high)
    icons = None
    if risk.key and denominator in ICON_ARRAY_SIZES:
        shaded, maybe = (count, 0) if count is not None else (low or 0, (high or 0) - (low or 0))
        icons = icon_array(denominator, shaded, maybe, rtl, name)
    return RiskLine(text, risk.serious, risk.key, band_of(risk), count, low, high, scaled(about.less_than), icons)


SHADED, MAYBE, OUTLINED = "shaded", "maybe", "outlined"


def icon_array(total: int, shaded: int, maybe: int, rtl: bool = False, name: str = "people") -> IconArray:
    """``total`` small people in rows, the first ``shaded`` filled in, the next ``maybe`` grey with an
    outline, the rest outlined only (shape, not colour alone). Filling starts where a line of text
    starts: top left, or top right in a right-to-left leaflet. Each kind of person is drawn once, as a
    pattern tile (``name`` makes its id unique in the page) that fills the one to three rectangles its
    people take: the printer repeats the person; WeasyPrint draws it once, not once for each person. Each
    area starts at a cell's corner, so the tile lines up whether it starts at the picture's corner (a
    browser) or at the area's (WeasyPrint)."""
    per_row = ICON_ARRAY_SIZES[total]
    cell = (10, 12) if total <= 100 else (10, 10)
    counts = {SHADED: shaded, MAYBE: maybe, OUTLINED: total - shaded - maybe}
    stroke_width = 0.8 if total <= 100 else 0.9
    person = [circle(5, 2.6, 2), body(0, 0)] if total <= 100 else [circle(5, 5, 3.6)]  # a head, then a body over its chin
    tiles, areas, first = [], [], 0
    for kind, count in counts.items():
        if count <= 0:
            continue
        tile = f"{name}-{kind}"
        tiles.append(f'<pattern id="{tile}" patternUnits="userSpaceOnUse" width="{cell[0]}" height="{cell[1]}">'
                     f'<g fill="{_FILL[kind]}" stroke="#1a1a1a" stroke-width="{stroke_width}">'
                     + "".join(f'<path d="{part}"/>' for part in person) + "</g></pattern>")
        outline = "".join(f"M{x} {y}h{w}v{h}h-{w}z" for x, y, w, h in _rectangles(first, first + count, per_row, cell, rtl))
        areas.append(f'<path d="{outline}" fill="url(#{tile})"/>')
        first += count
    rows = -(-total // per_row)
    shapes = "<defs>" + "".join(tiles) + "</defs>" + "".join(areas)
    return IconArray(f"0 0 {per_row * cell[0]} {rows * cell[1]}", Markup(shapes))


def _rectangles(first: int, end: int, per_row: int, cell: tuple[int, int], rtl: bool) -> list[tuple[int, int, int, int]]:
    """Cells ``first`` to ``end`` (not included), in reading order, as rectangles (x, y, width, height): the
    end of a row, then whole rows, then the start of a row."""
    spans, index = [], first
    while index < end:
        row, column = divmod(index, per_row)
        if column == 0 and end - index >= per_row:
            columns, rows = per_row, (end - index) // per_row
        else:
            columns, rows = min(end - index, per_row - column), 1
        spans.append((row, column, columns, rows))
        index += columns * rows
    return [((per_row - column - columns if rtl else column) * cell[0], row * cell[1], columns * cell[0], rows * cell[1])
            for row, column, columns, rows in spans]


_FILL = {SHADED: "#1a1a1a", MAYBE: "#9a9a9a", OUTLINED: "#ffffff"}


def circle(cx: float, cy: float, r: float) -> str:
    """A circle as a closed subpath: the four curves WeasyPrint draws for ``<circle cx cy r>`` (their
    control points r / sqrt(pi) from the ends), so the printed picture is what the circles made."""
    k = r / math.sqrt(math.pi)
    return (f"M{_n(cx + r)} {_n(cy)}c0 {_n(k)} {_n(k - r)} {_n(r)} {_n(-r)} {_n(r)}"
            f"s{_n(-r)} {_n(k - r)} {_n(-r)} {_n(-r)}s{_n(r - k)} {_n(-r)} {_n(r)} {_n(-r)}"
            f"s{_n(r)} {_n(r - k)} {_n(r)} {_n(r)}z")


def body(x: float, y: float) -> str:
    """The body of a small figure in a 10 x 12 cell whose top left corner is at x, y (its head: ``circle``)."""
    return f"M{_n(x + 1.6)} {_n(y + 11)}v-4a3.4 3.4 0 0 1 6.8 0v4z"


def _n(value: float) -> str:
    """A coordinate in a path, to a ten-thousandth (well below a printer's dot)."""
    return f"{value:.4f}".rstrip("0").rstrip(".") or "0"
