"""Pictures a leaflet prints, checked before they are used: diagrams, pictograms and the clinic's logo.

A drawing is one self-contained SVG file: no reference to another file or address (``<image>``,
``href`` other than ``#id``, ``url()`` other than ``url(#id)``, CSS ``@import``), no script, event
handler, ``<foreignObject>`` or animation, no DTD or entity (read with defusedxml), UTF-8, and
bounded in bytes, elements, nesting, size and proportions, so it cannot blank or swamp a page.
A logo may also be a PNG or JPEG: it must be what its name says, decode, and be at most
``MAX_RASTER_SIDE`` pixels a side.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

MAX_SVG_BYTES = 512_000
MAX_SVG_ELEMENTS = 5_000
MAX_SVG_DEPTH = 32
MAX_SVG_SIDE = 10_000  # in CSS px, of width, height and the viewBox
MAX_SVG_USES = 200
MAX_ASPECT = 20  # the longer side at most 20 times the shorter
MAX_RASTER_BYTES = 5_000_000
MAX_RASTER_SIDE = 4_096
RASTER_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}

SVG = "{http://www.w3.org/2000/svg}"
# Elements that fetch, run, embed or change something: never in a leaflet's drawing.
REFUSED_ELEMENTS = frozenset({
    "script", "foreignObject", "image", "feImage", "iframe", "video", "audio", "canvas", "a", "handler", "listener",
    "set", "animate", "animateMotion", "animateTransform", "animateColor", "discard",
})
_UNITS_IN_PX = {"": 1.0, "px": 1.0, "pt": 4 / 3, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0, "em": 16.0,
                "ex": 8.0}
_LENGTH = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*(px|pt|pc|mm|cm|in|em|ex|%)?\s*")
_URL = re.compile(r"url\s*\(\s*['\"]?\s*([^)'\"]*)", re.IGNORECASE)
_ENCODING = re.compile(rb"<\?xml[^>]*encoding\s*=\s*['\"]([^'\"]+)['\"]")


def picture_problem(path: Path) -> str | None:
    """Why the picture at ``path`` may not be printed (a few words), or None when it may."""
    suffix = path.suffix.lower()
    limit = MAX_SVG_BYTES if suffix == ".svg" else MAX_RASTER_BYTES
    try:
        size = path.stat().st_size
        if size > limit:
            return f"is {size // 1000:,} KB; a picture may have at most {limit // 1000:,} KB"
        data = path.read_bytes()
    except OSError as exc:
        return f"cannot be read: {exc.strerror}"
    if suffix == ".svg":
        return svg_problem(data)
    if suffix in RASTER_FORMATS:
        return raster_problem(data, RASTER_FORMATS[suffix])
    return "is neither an SVG drawing nor a PNG or JPEG picture"


def svg_problem(data: bytes) -> str | None:
    """Why ``data`` is not a self-contained SVG drawing a leaflet may print, or None."""
    if len(data) > MAX_SVG_BYTES:
        return f"is {len(data) // 1000:,} KB; a drawing may have at most {MAX_SVG_BYTES // 1000:,} KB"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "is not UTF-8 text; save the drawing as UTF-8"
    declared = _ENCODING.search(data[:200])
    if declared and declared[1].decode("ascii", "replace").lower().replace("_", "-") not in ("utf-8", "utf8"):
        return "declares an encoding other than UTF-8; save the drawing as UTF-8"
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        return "declares a DTD or entities, which a drawing may not; remove the <!DOCTYPE ...> part"
    except ParseError as exc:
        return f"is not an SVG drawing: it is not well-formed XML ({exc})"
    if root.tag != f"{SVG}svg":
        return "is not an SVG drawing (its first element is not <svg> in the SVG namespace)"
    return _size_problem(root) or _elements_problem(root) or _uses_problem(root)


def _elements_problem(root: Element) -> str | None:
    for count, (element, depth) in enumerate(_walk(root), 1):
        if count > MAX_SVG_ELEMENTS:
            return f"has more than {MAX_SVG_ELEMENTS:,} elements; simplify the drawing"
        if depth > MAX_SVG_DEPTH:
            return f"nests elements more than {MAX_SVG_DEPTH} deep; simplify the drawing"
        problem = _element_problem(element)
        if problem:
            return problem
    return None


def _uses_problem(root: Element) -> str | None:
    """A ``<use>`` may show a part of the drawing that holds no ``<use>`` itself: uses of uses can
    multiply a drawing past any element count (the "billion laughs" of SVG)."""
    uses = [element for element in root.iter(f"{SVG}use")]
    if len(uses) > MAX_SVG_USES:
        return f"has more than {MAX_SVG_USES} <use> elements; simplify the drawing"
    by_id = {element.get("id"): element for element in root.iter() if element.get("id")}
    for use in uses:
        target = by_id.get(_href(use).strip().removeprefix("#"))
        if target is not None and (target.tag == f"{SVG}use" or next(target.iter(f"{SVG}use"), None) is not None):
            return "has a <use> of a part that holds a <use>; draw the part itself instead"
    return None


def _href(element: Element) -> str:
    return element.get("href") or element.get("{http://www.w3.org/1999/xlink}href") or ""


def _walk(root: Element) -> Iterator[tuple[Element, int]]:
    todo = [(root, 1)]
    while todo:
        element, depth = todo.pop()
        yield element, depth
        if depth <= MAX_SVG_DEPTH:
            todo.extend((child, depth + 1) for child in element)


def _element_problem(element: Element) -> str | None:
    if not isinstance(element.tag, str) or not element.tag.startswith(SVG):
        return f"holds <{_local(element.tag)}>, which is not SVG; save it as plain SVG"
    name = _local(element.tag)
    if name in REFUSED_ELEMENTS:
        return f"holds <{name}>: a drawing may not show another file, run a script or move; draw it in the file itself"
    if name == "style" and (problem := _css_problem(element.text or "")):
        return f"has a <style> that {problem}"
    for attribute, value in element.attrib.items():
        problem = _attribute_problem(_local(attribute), value)
        if problem:
            return f"has a <{name}> that {problem}"
    return None


def _attribute_problem(attribute: str, value: str) -> str | None:
    if attribute.lower().startswith("on"):
        return f"has an event handler ({attribute}); a drawing may not run scripts"
    if attribute == "href" and not value.strip().startswith("#"):
        return f"refers to another file or address (href=\"{_short(value)}\"); only #id within the drawing is allowed"
    if attribute == "style":
        return _css_problem(value)
    return _urls_problem(value)


def _css_problem(css: str) -> str | None:
    if "@import" in css.lower():
        return "imports a stylesheet (@import); a drawing must be self-contained"
    if "\\" in css:
        return "uses a CSS escape (\\); write the style plainly"
    return _urls_problem(css)


def _urls_problem(value: str) -> str | None:
    for target in _URL.findall(value):
        if not target.strip().startswith("#"):
            return f"refers to another file or address (url({_short(target)})); only url(#id) within the drawing is allowed"
    return None


def _size_problem(root: Element) -> str | None:
    sides = [_px(root.get(name)) for name in ("width", "height")]
    box = (root.get("viewBox") or "").replace(",", " ").split()
    if box:
        try:
            numbers = [float(n) for n in box]
        except ValueError:
            numbers = []
        if len(numbers) != 4 or numbers[2] <= 0 or numbers[3] <= 0:
            return f"has a viewBox that is not four numbers with a positive width and height ({_short(' '.join(box))})"
        if any(abs(n) > MAX_SVG_SIDE for n in numbers):
            return f"has a viewBox larger than {MAX_SVG_SIDE:,} units a side; scale the drawing down"
        sides = [side if side is not None else number for side, number in zip(sides, numbers[2:], strict=True)]
    for side in sides:
        if side is not None and side > MAX_SVG_SIDE:
            return f"is more than {MAX_SVG_SIDE:,} px wide or high; scale the drawing down"
        if side is not None and side <= 0:
            return "has no width or no height"
    width, height = sides
    if width and height and max(width / height, height / width) > MAX_ASPECT:
        return f"is more than {MAX_ASPECT} times as long as it is wide; a leaflet cannot print it legibly"
    return None


def _px(value: str | None) -> float | None:
    """A length in CSS px; None when absent or relative (a percentage)."""
    if value is None:
        return None
    match = _LENGTH.fullmatch(value)
    if match is None:
        return -1.0  # not a length: reported as no width
    number, unit = float(match[1]), match[2] or ""
    return None if unit == "%" else number * _UNITS_IN_PX[unit]


def raster_problem(data: bytes, expected_format: str) -> str | None:
    """Why ``data`` is not a PNG or JPEG picture (``expected_format``) of a size a leaflet may print, or None."""
    from PIL import Image

    if len(data) > MAX_RASTER_BYTES:
        return f"is {len(data) // 1000:,} KB; a picture may have at most {MAX_RASTER_BYTES // 1000:,} KB"
    try:
        with Image.open(io.BytesIO(data)) as picture:
            if picture.format != expected_format:
                return f"is not a {expected_format} picture, as its name says (it is {picture.format or 'unknown'})"
            if max(picture.size) > MAX_RASTER_SIDE:
                width, height = picture.size
                return f"is {width} x {height} pixels; a picture may have at most {MAX_RASTER_SIDE} a side"
            picture.verify()  # checks a PNG's chunks whole: WeasyPrint lets Pillow load truncated pictures
        with Image.open(io.BytesIO(data)) as picture:
            picture.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        return f"cannot be decoded as a picture ({_short(str(exc))})"
    if expected_format == "JPEG" and not data.rstrip(b"\0\r\n ").endswith(b"\xff\xd9"):
        return "cannot be decoded as a picture (it is cut short: no end-of-image marker)"
    return None


def _local(name: Any) -> str:
    text = str(name)
    return text.rsplit("}", 1)[-1]


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."
