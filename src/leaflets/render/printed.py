"""The printed content of a leaflet: what an approval is bound to, and its fingerprints.

The content of a leaflet is the text of the very HTML that is printed, as its template made it
(``render.html.render_html``): every word of its body, pictures by their alt text and the text of
attributes a reader is given (title, aria-label), with tokens in place of the clinic's and patient's
details and of the web address (``render.tokens``), so it is the same for every clinic and patient.
Nothing a template writes is left out; the release marks are not in it, as they are put in after
(``render.release``). ``laid_out_text`` is the other side: the text WeasyPrint laid out, which must be
the text of the HTML (``shown_text``), or the leaflet prints as a draft.
"""

from __future__ import annotations

import hashlib
import unicodedata
from html.parser import HTMLParser
from typing import Any

from leaflets.model.characters import BIDI_CONTROLS
from leaflets.render.tokens import readable


def printed_content(html: str) -> str:
    """The text of a leaflet's HTML body as a patient reads it, one line per block (heading,
    paragraph, list item), pictures by their alt text, tokens as ``[clinic.name]``."""
    reader = _TextReader()
    reader.feed(html)
    reader.close()
    return readable("\n".join(reader.lines) + "\n")


def shown_text(html: str) -> str:
    """What of ``html`` is laid out as text (no alt text, no drawing's words), compared without spaces."""
    reader = _TextReader(shown_only=True)
    reader.feed(html)
    reader.close()
    return comparable("".join(reader.lines))


def laid_out_text(document: Any) -> str:
    """The text WeasyPrint laid out in the pages' content (not their margins, not generated ::before,
    ::after or marker text), compared without spaces."""
    from weasyprint.formatting_structure.boxes import MarginBox, TextBox

    def walk(box: Any) -> Any:
        if isinstance(box, MarginBox) or "::" in (getattr(box, "element_tag", None) or ""):
            return
        if isinstance(box, TextBox):
            yield box.text
        for child in getattr(box, "children", ()):
            yield from walk(child)

    return comparable("".join(text for page in document.pages for text in walk(page._page_box)))


def comparable(text: str) -> str:
    """``text`` without spaces, invisible format characters or case (``text-transform`` is allowed)."""
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf").casefold()


def content_fingerprint(english: str) -> str:
    """The fingerprint of English printed content (``printed_content`` of its ``content_leaflet``)."""
    return hashlib.sha256(english.encode("utf-8")).hexdigest()


def translation_fingerprint(english_fingerprint: str, translated: str) -> str:
    """A translation's fingerprint: its own printed content and the English content it translates."""
    return hashlib.sha256(f"{english_fingerprint}\n{translated}".encode()).hexdigest()


_BLOCKS = frozenset({"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "div", "section", "header",
                     "footer", "ul", "ol", "dl", "table", "tr", "td", "th", "caption", "figure", "figcaption",
                     "blockquote", "aside", "main", "article", "br"})
_READ_ATTRIBUTES = ("alt", "title", "aria-label", "aria-description")  # text a reader is given
_INVISIBLE = dict.fromkeys(map(ord, BIDI_CONTROLS))


class _TextReader(HTMLParser):
    """Collects the text of ``<body>``, skipping ``<style>`` and ``<script>``; ``shown_only``: also
    skipping what is not laid out as text (alt and title text, drawings)."""

    _VOID = frozenset({"img", "br", "hr", "meta", "link", "input", "wbr", "col", "area", "source"})

    def __init__(self, shown_only: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.shown_only = shown_only
        self.lines: list[str] = []
        self._line: list[str] = []
        self._skipping: list[str] = []  # the open elements whose text is left out
        self._in_body = False
        self._drawing_title = False  # an <svg>'s <title>: its alternative text, not printed as text
        self._in_svg = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self._in_body = True
            return
        if self._skipping and tag not in self._VOID:
            self._skipping.append(tag)
            return
        if tag in ("style", "script", "head", "template") or (self.shown_only and tag == "svg"):
            if tag not in self._VOID:
                self._skipping.append(tag)
            return
        if tag in _BLOCKS:
            self._end_line()
        self._in_svg += tag == "svg"
        self._drawing_title = self._drawing_title or (tag == "title" and self._in_svg > 0)
        if self._in_body and not self.shown_only:
            self._line += [f" [{value}] " for name, value in attrs if name in _READ_ATTRIBUTES and value is not None]

    def handle_endtag(self, tag: str) -> None:
        if self._skipping:
            if tag in self._skipping:
                while self._skipping and self._skipping.pop() != tag:
                    pass
            return
        if tag in _BLOCKS:
            self._end_line()
        self._in_svg -= tag == "svg" and self._in_svg > 0
        self._drawing_title = self._drawing_title and tag != "title"

    def handle_data(self, data: str) -> None:
        if self._in_body and not self._skipping:
            self._line.append(f" [{data}] " if self._drawing_title else data)

    def close(self) -> None:
        super().close()
        self._end_line()

    def _end_line(self) -> None:
        line = " ".join("".join(self._line).translate(_INVISIBLE).split())
        if line:
            self.lines.append(line)
        self._line = []
