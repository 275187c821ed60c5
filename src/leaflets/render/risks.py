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
    lines = [_line(risk, text, denominator, rtl) for risk, text in zip(risks, printed, strict=True)]
    numbered = sorted((line for line, risk in zip(lines, risks, strict=True) if risk.about),
                      key=lambda line: -max(v for v in (line.count, line.high, line.less_than) if v is not None))
    return RiskSection(denominator, numbered, [line for line, risk in zip(lines, risks, strict=True) if not risk.about])


def _line(risk: Risk, text: str, denominator: int, rtl: bool) -> RiskLine:
    about = risk.about
    if about is None:
        return RiskLine(text, risk.serious, risk.key)

    def scaled(value: float | None) -> int | None:
        return None if value is None else round(value * denominator / about.per)

    count, low, high = scaled(about.count), scaled(about.low), scaled(about.high)
    icons = None
    if risk.key and denominator in ICON_ARRAY_SIZES:
        shaded, maybe = (count, 0) if count is not None else (low or 0, (high or 0) - (low or 0))
        icons = icon_array(denominator, shaded, maybe, rtl)
    return RiskLine(text, risk.serious, risk.key, band_of(risk), count, low, high, scaled(about.less_than), icons)


SHADED, MAYBE, OUTLINED = "shaded", "maybe", "outlined"


def icon_array(total: int, shaded: int, maybe: int, rtl: bool = False) -> IconArray:
    """``total`` small people in rows, the first ``shaded`` filled in, the next ``maybe`` grey with an
    outline, the rest outlined only (shape, not colour alone). Filling starts where a line of text
    starts: top left, or top right in a right-to-left leaflet. The people of each kind are one group
    that carries their fill and outline once, drawn as two paths, all their heads and then all their
    bodies: a few elements to style and draw, not hundreds (a page holds several pictures of 100)."""
    per_row = ICON_ARRAY_SIZES[total]
    rows = -(-total // per_row)
    heads: dict[str, list[str]] = {SHADED: [], MAYBE: [], OUTLINED: []}
    bodies: dict[str, list[str]] = {SHADED: [], MAYBE: [], OUTLINED: []}
    for index in range(total):
        row, column = divmod(index, per_row)
        if rtl:
            column = per_row - 1 - column
        kind = SHADED if index < shaded else MAYBE if index < shaded + maybe else OUTLINED
        if total <= 100:
            heads[kind].append(circle(column * 10 + 5, row * 12 + 2.6, 2))
            bodies[kind].append(body(column * 10, row * 12))
        else:
            heads[kind].append(circle(column * 10 + 5, row * 10 + 5, 3.6))
    height = rows * (12 if total <= 100 else 10)
    width = 0.8 if total <= 100 else 0.9
    shapes = "".join(
        f'<g fill="{_FILL[kind]}" stroke="#1a1a1a" stroke-width="{width}">'
        + "".join(f'<path d="{"".join(drawn)}"/>' for drawn in (heads[kind], bodies[kind]) if drawn) + "</g>"
        for kind in heads if heads[kind]
    )
    return IconArray(f"0 0 {per_row * 10} {height}", Markup(shapes))


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
