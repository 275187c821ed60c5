"""The patient diagrams in templates/diagrams: safe, self-contained, wordless SVGs that really print."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import weasyprint

from helpers import REPO
from leaflets.render.pdf import SafeFetcher

DIAGRAMS = REPO / "templates" / "diagrams"
SVG = "{http://www.w3.org/2000/svg}"
# How many numbered markers each drawing has (SPEC-16's table: the records' `labels`, in order).
MARKERS = {
    "fistula-arm.svg": 4,
    "dialysis-access-arm.svg": 4,
    "foot-veins.svg": 3,
    "heart-arteries.svg": 3,
    "kidney-tube.svg": 3,
}
MARKER_RADIUS = "15"


def drawing(name: str) -> ET.Element:
    return ET.parse(DIAGRAMS / name).getroot()


def test_the_five_diagrams_are_there():
    assert sorted(p.name for p in DIAGRAMS.glob("*.svg")) == sorted(MARKERS)


@pytest.mark.parametrize("name", sorted(MARKERS))
def test_a_diagram_is_a_titled_image_with_a_view_box(name):
    svg = drawing(name)
    assert svg.tag == f"{SVG}svg"
    assert re.fullmatch(r"0 0 \d+ \d+", svg.get("viewBox", ""))
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text.strip()
    assert (DIAGRAMS / name).stat().st_size < 8000


@pytest.mark.parametrize("name", sorted(MARKERS))
def test_a_diagram_has_no_words_scripts_or_outside_references(name):
    elements = list(drawing(name).iter())
    tags = {element.tag.removeprefix(SVG) for element in elements}
    assert not tags & {"text", "script", "image", "foreignObject", "style", "a", "use"}
    for element in elements:
        for attribute, value in element.attrib.items():
            assert not attribute.endswith("href") and not attribute.startswith("on"), (name, attribute)
            assert "url(" not in value and "//" not in value, (name, attribute, value)


@pytest.mark.parametrize("name", sorted(MARKERS))
def test_a_diagram_has_one_numbered_marker_per_label(name):
    markers = [c for c in drawing(name).iter(f"{SVG}circle") if c.get("r") == MARKER_RADIUS]
    assert len(markers) == MARKERS[name]


def rendered(html: str, tmp_path: Path) -> list[bytes]:
    """Each page of the PDF WeasyPrint makes of this page, as a grey raster (PGM bytes)."""
    pdf = tmp_path / "page.pdf"
    page = weasyprint.HTML(string=html, base_url=DIAGRAMS.as_uri() + "/", url_fetcher=SafeFetcher([DIAGRAMS]))
    page.write_pdf(pdf)
    subprocess.run(["pdftoppm", "-gray", "-r", "40", str(pdf), str(tmp_path / "page")], check=True)
    return [page.read_bytes() for page in sorted(tmp_path.glob("page*.pgm"))]


def page_of(names: list[str], direction: str = "ltr") -> str:
    images = "".join(f'<img src="{name}" alt="" style="display:block;width:100%;break-after:page">' for name in names)
    return f'<html dir="{direction}"><head><style>@page {{ size: 9cm 9cm; margin: 0 }}</style></head><body>{images}'


def inked_share(pgm: bytes) -> float:
    """The share of a grey raster's pixels that are not white."""
    pixels = pgm[len(b"".join(pgm.split(b"\n", 3)[:3])) + 3:]
    return sum(1 for value in pixels if value < 250) / len(pixels)


def test_every_diagram_prints_as_a_picture_in_a_real_pdf(tmp_path):
    pages = rendered(page_of(sorted(MARKERS)), tmp_path)
    assert len(pages) == len(MARKERS)
    for name, page in zip(sorted(MARKERS), pages, strict=True):
        assert inked_share(page) > 0.15, name


def test_a_right_to_left_page_does_not_mirror_a_diagram(tmp_path):
    (tmp_path / "ltr").mkdir()
    (tmp_path / "rtl").mkdir()
    left_to_right = rendered(page_of(["fistula-arm.svg"], "ltr"), tmp_path / "ltr")
    right_to_left = rendered(page_of(["fistula-arm.svg"], "rtl"), tmp_path / "rtl")
    assert left_to_right == right_to_left


def test_the_diagrams_are_what_the_drawing_script_draws():
    spec = importlib.util.spec_from_file_location("draw_diagrams", REPO / "scripts" / "draw_diagrams.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert sorted(script.DIAGRAMS) == sorted(MARKERS)
    for name, draw in script.DIAGRAMS.items():
        assert draw() == (DIAGRAMS / name).read_text(encoding="utf-8"), f"run scripts/draw_diagrams.py ({name})"
