"""The one place that calls WeasyPrint: options, fonts, and a URL fetcher that
reads nothing but the project's own templates, fonts and clinic files."""

from __future__ import annotations

import gc
import io
import logging
import os
import re
import shutil
import weakref
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pikepdf
import pydyf
from markupsafe import escape

from leaflets.errors import TooLong, UnsafeResourceError
from leaflets.model.pictures import RASTER_FORMATS, picture_problem
from leaflets.model.record import MAX_PAGES
from leaflets.paths import is_inside
from leaflets.render.printed import laid_out_text, shown_text
from leaflets.render.tagged import first_page_of, is_element
from leaflets.render.weasy import FatalURLFetchingError, FontConfiguration, URLFetcher, URLFetcherResponse, weasyprint

LOGGER = logging.getLogger(__name__)

# The WeasyPrint options every leaflet is rendered with.
PDF_OPTIONS: dict[str, Any] = {
    "pdf_variant": "pdf/ua-1",  # tagged, with the PDF/UA identification in its XMP metadata
    "pdf_tags": True,  # headings, lists and reading order for screen readers
    "pdf_version": "1.7",
    "optimize_images": True,
    "presentational_hints": False,
}


# A layout makes hundreds of thousands of short-lived objects. Python collects the young ones every 700 new
# objects, and its collections took a warm render a tenth of its CPU time (a twentieth in a batch worker,
# whose inherited heap is frozen). Every 5,000: 5 collections a leaflet, not 42, and half that time, for
# some 30 MB more held between collections.
YOUNG_OBJECTS_PER_COLLECTION = 5000

PICTURES = (".svg", *RASTER_FORMATS)  # checked as they are fetched, whatever asks for them

# WeasyPrint's default stylesheet gives every element five pseudo-elements for footnotes and notes, which
# no leaflet has: five computed styles an element, 1,550 of a leaflet's 2,200 (a whole build: about 2 % less
# CPU). Without those rules the same PDF, byte for byte.
UNUSED_DEFAULT_RULES = re.compile(r"(?m)^::(?:footnote-call|footnote-marker|note-call|note-marker|note-callback) \{[^}]*\}\n")
DEFAULT_STYLESHEET = weasyprint.CSS(
    string=UNUSED_DEFAULT_RULES.sub("", weasyprint.html.UA), counter_style=weasyprint.html.UA_COUNTER_STYLE
)


class LeafletHTML(weasyprint.HTML):  # type: ignore[misc]  # WeasyPrint is untyped
    """A leaflet's HTML for WeasyPrint, styled by DEFAULT_STYLESHEET before the leaflet's own."""

    def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
        return [DEFAULT_STYLESHEET]


class RefusedURL(FatalURLFetchingError):  # type: ignore[misc]  # WeasyPrint is untyped
    """Raised inside WeasyPrint to stop a render that asked for a forbidden resource."""


class SafeFetcher(URLFetcher):  # type: ignore[misc]
    """Serves ``file:`` URLs inside the allowed folders; refuses everything else.

    No network access at all, and no ``data:`` URLs: every resource a leaflet
    uses is a file we ship or a clinic's own logo, so anything else is a mistake
    or an attack. Every picture is checked as it is read (``model/pictures.py``).
    """

    def __init__(self, allowed_folders: list[Path]):
        super().__init__(allowed_protocols={"file"})
        self.allowed_folders = [folder.resolve() for folder in allowed_folders]

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise RefusedURL(f"refused to fetch '{_short(url)}': leaflets may only use the project's own files")
        path = Path(unquote(parts.path)).resolve()
        if not any(is_inside(path, folder) for folder in self.allowed_folders):
            raise RefusedURL(f"refused to read '{path}': it is outside the templates, content and fonts folders")
        if not path.is_file():
            raise RefusedURL(f"missing file '{path}'")
        if path.suffix.lower() in PICTURES and (problem := picture_problem(path)):
            raise RefusedURL(f"refused picture '{path}': it {problem}")
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": _content_type(path)})


def _short(url: str) -> str:
    return url if len(url) <= 80 else url[:77] + "..."


def _content_type(path: Path) -> str:
    return {
        ".css": "text/css",
        ".svg": "image/svg+xml",
        ".png": "image/png",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".ttf": "font/ttf",
        ".otf": "font/otf",
        ".woff2": "font/woff2",
    }.get(path.suffix.lower(), "application/octet-stream")


class PdfRenderer:
    """Renders leaflet HTML to PDF bytes. Keep one per process and reuse it: the
    stylesheet is parsed, the fonts are loaded and the pictures are decoded once."""

    def __init__(self, base_folder: Path, allowed_folders: list[Path], stylesheet: Path):
        self.base_url = base_folder.resolve().as_uri() + "/"
        self.fetcher = SafeFetcher(allowed_folders)
        self.font_config = FontConfiguration()
        self.image_cache: dict[str, Any] = {}
        self.drafted = 0  # leaflets printed as drafts because their text laid out differed from their HTML's
        self.font_faces = "".join(re.findall(r"@font-face\s*\{[^}]*\}", stylesheet.read_text(encoding="utf-8")))
        families = dict.fromkeys(re.findall(r'font-family:\s*"([^"]+)"', self.font_faces))  # in the stylesheet's order
        self.font_families = ", ".join(f'"{family}"' for family in families)
        try:
            self.stylesheet = weasyprint.CSS(
                filename=str(stylesheet), url_fetcher=self.fetcher, font_config=self.font_config
            )
        except RefusedURL as exc:
            raise UnsafeResourceError(str(exc), stylesheet) from None
        remove_font_copies_at_exit(self.font_config)
        collect_young_objects_less_often()

    def write_pdf(self, html: str, draft: str | None = None) -> bytes:
        return self.render(html, draft)[0]

    def render(self, html: str, draft: str | None = None) -> tuple[bytes, dict[str, list[float]]]:
        """The PDF, and where on page 1 the blank "For you" lines are (left, top, width, height in pt).

        ``draft``: the same leaflet marked as a draft, printed instead if the text laid out is not the
        text of ``html`` (a style hid some, or added some): what was approved is not what would print."""
        try:
            rendered = self._checked_layout(html, draft)
            data = rendered.write_pdf(finisher=running_content_as_artifacts, **PDF_OPTIONS)
        except RefusedURL as exc:
            raise UnsafeResourceError(str(exc)) from None
        return data, _blank_fields(rendered)

    def write_combined(self, parts: list[tuple[str, str, str | None]]) -> bytes:
        """Several leaflets in one PDF: ``parts`` is (html, language tag) for each, in order.

        Each is laid out on its own, so it starts on a new page and keeps its own footer and
        "page X of Y"; their pages are then joined. Every part's structure elements carry its
        language (/Lang), so a screen reader speaks each half of a bilingual leaflet in its own.
        Each part is (html, language tag, its draft: see ``render``).
        """
        try:
            documents = [self._checked_layout(html, draft) for html, _, draft in parts]
            pages = [page for document in documents for page in document.pages]
            data = documents[0].copy(pages).write_pdf(finisher=running_content_as_artifacts, **PDF_OPTIONS)
        except RefusedURL as exc:
            raise UnsafeResourceError(str(exc)) from None
        first_pages, start = [], 0
        for document in documents:
            first_pages.append(start)
            start += len(document.pages)
        return tag_parts_with_language(data, first_pages, [lang for _, lang, _ in parts])

    def _checked_layout(self, html: str, draft: str | None) -> Any:
        rendered = self._layout(html)
        if draft is None or draft == html:
            return rendered
        difference = text_difference(shown_text(html), laid_out_text(rendered))
        if difference is None:
            return rendered
        LOGGER.info("the text laid out differs from the text of the HTML (%s)", difference)
        self.drafted += 1
        return self._layout(draft)

    def _layout(self, html: str) -> Any:
        document = LeafletHTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher)
        rendered = document.render(
            stylesheets=[self.stylesheet], font_config=self.font_config, cache=self.image_cache, **PDF_OPTIONS
        )
        if len(rendered.pages) > MAX_PAGES:
            raise TooLong(f"this leaflet would print {len(rendered.pages)} pages; a leaflet may have at most "
                          f"{MAX_PAGES}: shorten the record or split it in two")
        return rendered

    def personalise(
        self, prebuilt: bytes, fields: dict[str, list[float]], values: dict[str, str], lang: str, direction: str,
        large_print: bool,
    ) -> bytes | None:
        """Write the patient's details onto the blank lines of a prebuilt leaflet.

        Much faster than laying out the whole leaflet again. The text is drawn
        in the leaflet's fonts and tagged in the "For you" section, so the PDF
        stays accessible. Returns None when a value would not fit its line (the
        caller then renders the whole leaflet with the details in it).
        """
        if not values or any(name not in fields or "\n" in text for name, text in values.items()):
            return None  # a value on several lines is laid out with the whole leaflet
        on_pages = {_page_of(fields[name]) for name in values}
        if len(on_pages) != 1:
            return None  # a "For you" box split across pages is laid out with the whole leaflet
        with pikepdf.open(io.BytesIO(prebuilt)) as pdf:
            page = pdf.pages[on_pages.pop()]
            width, height = float(page.mediabox[2]), float(page.mediabox[3])
            overlay = self._overlay(values, fields, lang, direction, large_print, width, height)
            if overlay is None:
                return None
            with pikepdf.open(io.BytesIO(overlay)) as drawn:
                form = pdf.copy_foreign(drawn.pages[0].as_form_xobject())
            _add_tagged_form(pdf, page, form)
            out = io.BytesIO()
            pdf.save(out)
            return out.getvalue()

    def _overlay(
        self, values: dict[str, str], fields: dict[str, list[float]], lang: str, direction: str, large_print: bool,
        width: float, height: float,
    ) -> bytes | None:
        size = 16 if large_print else 12
        boxes = "".join(
            f'<div class="value" style="left:{x}pt; top:{y}pt; width:{w}pt; height:{h}pt">{escape(text)}</div>'
            for name, text in values.items()
            for x, y, w, h in [fields[name][:4]]
        )
        html = (
            f'<html lang="{escape(lang)}" dir="{direction}"><head><style>{self.font_faces}'
            f"@page {{ size: {width}pt {height}pt; margin: 0 }}"
            f'.value {{ position: absolute; font-family: {self.font_families};'
            f" font-size: {size}pt; font-weight: bold; line-height: 1.2; white-space: nowrap; overflow: hidden;"
            f' color: #1a1a1a; text-align: {"right" if direction == "rtl" else "left"} }}'
            f"</style></head><body>{boxes}</body></html>"
        )
        document = LeafletHTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher)
        rendered = document.render(font_config=self.font_config)
        if _overflows(rendered):
            return None
        pdf: bytes = rendered.write_pdf()
        return pdf


def collect_young_objects_less_often() -> None:
    """For the rest of this process, which renders leaflets: see YOUNG_OBJECTS_PER_COLLECTION."""
    young, *older = gc.get_threshold()
    if 0 < young < YOUNG_OBJECTS_PER_COLLECTION:
        gc.set_threshold(YOUNG_OBJECTS_PER_COLLECTION, *older)


def remove_font_copies_at_exit(font_config: FontConfiguration) -> None:
    """Remove the folder where WeasyPrint copied the @font-face fonts (8 MB for ours) when this process exits.

    WeasyPrint removes it only when the FontConfiguration is collected. An object in a frozen heap
    (see batch.frozen_heap) is collected only as the interpreter shuts down, when WeasyPrint's
    ``rmtree`` is already gone: the folder stayed behind. Forked workers leave it to their parent.
    """
    folder = getattr(font_config, "_folder", None)
    if folder is None:
        return
    owner, config = os.getpid(), weakref.ref(font_config)

    def remove() -> None:
        if os.getpid() == owner:
            shutil.rmtree(folder, ignore_errors=True)
            if (alive := config()) is not None:
                alive._folder = None  # nothing left for its own clean-up at exit, which would fail

    weakref.finalize(font_config, remove)


def _blank_fields(rendered: Any) -> dict[str, list[float]]:
    """Content boxes of the empty "For you" values, in pt from their page's top left corner, and that
    page's index (page 1 in regular print; after the help box in large print)."""
    fields = {}
    for index, page in enumerate(rendered.pages):
        for box in page._page_box.descendants():
            element = getattr(box, "element", None)
            if (element is not None and getattr(box, "element_tag", None) == "dd" and element.get("data-field")
                    and "write-here" in (element.get("class") or "")):
                box_pt = [round(value * 0.75, 2) for value in (box.content_box_x(), box.content_box_y(), box.width, box.height)]
                fields[element.get("data-field")] = [*box_pt, float(index)]
    return fields


def _page_of(field: list[float]) -> int:
    """The page a blank line is on (entries written before pages were recorded are on page 1)."""
    return int(field[4]) if len(field) > 4 else 0


def _overflows(rendered: Any) -> bool:
    """Whether a value does not fit its blank line: wider or taller than it, or on more than one line."""
    from weasyprint.formatting_structure.boxes import LineBox

    for box in rendered.pages[0]._page_box.descendants():
        lines = [child for child in getattr(box, "children", []) if isinstance(child, LineBox)]
        if len(lines) > 1 or any(line.width > box.width + 0.5 or line.height > box.height + 0.5 for line in lines):
            return True
    return False


def _add_tagged_form(pdf: pikepdf.Pdf, page: pikepdf.Page, form: pikepdf.Object) -> None:
    """Draw ``form`` on ``page`` as marked content of a new paragraph in the "For you" section."""
    tree = pdf.Root.StructTreeRoot
    parents = _parent_tree_entry(tree.ParentTree.Nums, int(page.obj.StructParents))
    mcid = len(parents)
    section = _for_you_section(tree)
    element = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.StructElem, S=pikepdf.Name.P, P=section, Pg=page.obj, K=mcid,
    ))
    kids = section.get("/K")
    section.K = kids if isinstance(kids, pikepdf.Array) else pikepdf.Array([kids] if kids is not None else [])
    section.K.append(element)
    parents.append(element)
    name = page.add_resource(form, pikepdf.Name.XObject, prefix="ForYou")
    # The page's own drawing leaves its coordinate system changed: save and restore around it.
    page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
    drawing = f"Q\n/P <</MCID {mcid}>> BDC q {name} Do Q EMC\n".encode()
    page.contents_add(pdf.make_stream(drawing), prepend=False)


def _for_you_section(tree: Any) -> Any:
    """The leaflet's second section (after the main message): where the "For you" box is."""
    sections: list[Any] = []
    todo = [tree.K]
    while todo and len(sections) < 2:
        item = todo.pop(0)
        if isinstance(item, pikepdf.Array):
            todo[0:0] = list(item)
        elif is_element(item):
            if str(item.S) == "/Sect":
                sections.append(item)
            todo.insert(0, item.get("/K", pikepdf.Array()))
    return sections[-1] if sections else tree.K if is_element(tree.K) else tree.K[0]


def running_content_as_artifacts(document: Any, pdf: pydyf.PDF) -> None:
    """Mark the page's running header and footer as artifacts (PDF/UA-1, ISO 14289-1 7.8): a WeasyPrint
    finisher, run on the PDF's objects before they are written once (reading the written PDF back with
    pikepdf and writing it again took a twentieth of a render).

    WeasyPrint tags what it draws in page margins (the footer, the draft
    banner) as marked content whose structure elements are never linked into
    the structure tree: content that is neither real content nor an artifact.
    Screen readers should skip it, so it becomes ``/Artifact`` marked content.
    """
    objects = {item.reference: item for item in pdf.objects}
    tree = objects.get(pdf.catalog.get("StructTreeRoot"))
    if tree is None:
        return
    linked = _linked_elements(tree["K"], objects)
    nums = objects[tree["ParentTree"]]["Nums"]
    marked_by_page = dict(zip(nums[::2], nums[1::2], strict=True))
    for reference in pdf.page_references:
        page = objects[reference]
        marked = marked_by_page.get(page.get("StructParents"))
        if not isinstance(marked, pydyf.Array):
            continue
        unlinked = {mcid for mcid, element in enumerate(marked) if element not in linked}
        if unlinked:
            _mark_as_artifacts(objects[page["Contents"]].stream, unlinked)
            for mcid in unlinked:
                marked[mcid] = b"null"


def tag_parts_with_language(data: bytes, first_pages: list[int], languages: list[str]) -> bytes:
    """Group the top-level structure elements of each joined leaflet into a /Part carrying its
    language (/Lang), so each half of a bilingual PDF is read in its own language, and each
    leaflet keeps its own heading outline."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        page_part = {}
        for number, page in enumerate(pdf.pages):
            page_part[page.obj.objgen] = max(i for i, first in enumerate(first_pages) if first <= number)
        tree = pdf.Root.StructTreeRoot
        document = tree.K if is_element(tree.K) else tree.K[0]
        kids = list(document.K) if isinstance(document.K, pikepdf.Array) else [document.K]
        parts = [pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Part, P=document,
                                                      Lang=pikepdf.String(lang), K=pikepdf.Array()))
                 for lang in languages]
        current = 0
        for element in kids:
            page = first_page_of(element)
            if page is not None and page.objgen in page_part:
                current = page_part[page.objgen]
            if is_element(element):
                element.P = parts[current]
            parts[current].K.append(element)
        document.K = pikepdf.Array([part for part in parts if len(part.K)])
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
        return out.getvalue()


def _linked_elements(kids: pydyf.Array, objects: dict[bytes, Any]) -> set[bytes]:
    """The references of the structure elements reachable from ``kids``."""
    linked: set[bytes] = set()
    todo = list(kids)
    while todo:
        reference = todo.pop()
        element = objects.get(reference) if isinstance(reference, bytes) else None
        if isinstance(element, pydyf.Dictionary) and element.get("Type") == "/StructElem" and reference not in linked:
            linked.add(reference)
            if isinstance(element.get("K"), pydyf.Array):
                todo.extend(element["K"])
    return linked


def _parent_tree_entry(nums: Any, key: int) -> Any:
    for index in range(0, len(nums), 2):
        if int(nums[index]) == key:
            return nums[index + 1]
    return pikepdf.Array()


def _mark_as_artifacts(operations: list[Any], mcids: set[int]) -> None:
    """Turn ``/Tag <</MCID n>> BDC`` into ``/Artifact <</Type /Pagination>> BDC`` for the given n."""
    for index, operation in enumerate(operations):
        if operation == b"BDC" and isinstance(properties := operations[index - 1], dict) and properties.get("MCID") in mcids:
            operations[index - 2:index] = ["/Artifact", pydyf.Dictionary({"Type": "/Pagination"})]


def text_difference(expected: str, laid_out: str) -> str | None:
    """Where the text laid out first differs from the text expected (both ``printed.comparable``), or None."""
    if expected == laid_out:
        return None
    at = next((i for i, (a, b) in enumerate(zip(expected, laid_out, strict=False)) if a != b), min(len(expected), len(laid_out)))
    return f"at character {at:,}: {len(expected) - len(laid_out):+,} characters"
