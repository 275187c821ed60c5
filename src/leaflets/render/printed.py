"""The printed content of a leaflet: what an approval is bound to, and its fingerprints.

The content of a leaflet is the text of its HTML as a patient reads it, rendered with the
clinic's details replaced by placeholders, without patient details and without its release
lines (elements marked ``data-release``: version, approval, review dates, draft notes). So the
record, whatever it includes, and every template word count; phones, names, logo, dates and
the approval itself do not.
"""

from __future__ import annotations

import hashlib
from datetime import date
from html.parser import HTMLParser

from leaflets.model.characters import BIDI_CONTROLS
from leaflets.model.clinic import Phones
from leaflets.render.html import Leaflet

_PLACEHOLDER_REVIEW = {"version": "0", "status": "draft", "written_on": date(2000, 1, 1),
                       "review_due": date(9999, 1, 1), "approved_by": None, "approved_on": None}


def content_leaflet(leaflet: Leaflet) -> Leaflet:
    """``leaflet`` with the clinic's details as placeholders, no patient details and no review dates."""
    clinic = leaflet.clinic.model_copy(update={
        "name": "[clinic name]", "address": ["[clinic address]"], "website": "[clinic website]",
        "phones": Phones(daytime="[daytime phone]", out_of_hours="[out-of-hours phone]"),
        "emergency": "[emergency number]", "feedback": "[feedback contact]", "logo": None, "logo_path": None,
    })
    review = leaflet.procedure.review.model_copy(update=_PLACEHOLDER_REVIEW)
    procedure = leaflet.procedure.model_copy(update={"review": review})
    return Leaflet(procedure, clinic, leaflet.language, large_print=False, today=date(2000, 1, 1))


def printed_content(html: str) -> str:
    """The text of a leaflet's HTML body as a patient reads it, one line per block (heading,
    paragraph, list item), pictures by their alt text; without ``data-release`` elements."""
    reader = _TextReader()
    reader.feed(html)
    reader.close()
    return "\n".join(reader.lines) + "\n"


def content_fingerprint(english: str) -> str:
    """The fingerprint of English printed content (``printed_content`` of its ``content_leaflet``)."""
    return hashlib.sha256(english.encode("utf-8")).hexdigest()


def translation_fingerprint(english_fingerprint: str, translated: str) -> str:
    """A translation's fingerprint: its own printed content and the English content it translates."""
    return hashlib.sha256(f"{english_fingerprint}\n{translated}".encode()).hexdigest()


_BLOCKS = frozenset({"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "div", "section", "header",
                     "footer", "ul", "ol", "dl", "table", "tr", "td", "th", "caption", "figure", "figcaption",
                     "blockquote", "aside", "main", "article", "br"})
_INVISIBLE = dict.fromkeys(map(ord, BIDI_CONTROLS))


class _TextReader(HTMLParser):
    """Collects the text of ``<body>``, skipping ``<head>``, ``<style>`` and ``data-release`` elements."""

    _VOID = frozenset({"img", "br", "hr", "meta", "link", "input", "wbr", "col", "area", "source"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._skipping: list[str] = []  # the open elements whose text is left out
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self._in_body = True
            return
        if self._skipping and tag not in self._VOID:
            self._skipping.append(tag)
            return
        if tag in ("style", "script", "head", "title") or any(name == "data-release" for name, _ in attrs):
            if tag not in self._VOID:
                self._skipping.append(tag)
            return
        if tag in _BLOCKS:
            self._end_line()
        if tag == "img" and self._in_body:
            alt = dict(attrs).get("alt") or ""
            self._line.append(f" [{alt}] ")

    def handle_endtag(self, tag: str) -> None:
        if self._skipping:
            if tag in self._skipping:
                while self._skipping and self._skipping.pop() != tag:
                    pass
            return
        if tag in _BLOCKS:
            self._end_line()

    def handle_data(self, data: str) -> None:
        if self._in_body and not self._skipping:
            self._line.append(data)

    def close(self) -> None:
        super().close()
        self._end_line()

    def _end_line(self) -> None:
        line = " ".join("".join(self._line).translate(_INVISIBLE).split())
        if line:
            self.lines.append(line)
        self._line = []
