"""Accessibility of built PDFs (PDF/UA-1, ISO 14289-1).

veraPDF cannot be installed here, so these are the machine-checkable rules a leaflet relies on,
written from the standard; each names its clause. `pdfua` is used in the tests as a second opinion.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from leaflets.checks.blank import blank_pages
from leaflets.checks.findings import Finding, Severity
from leaflets.checks.pages import help_box_problems
from leaflets.checks.pdf_release import release_findings
from leaflets.errors import LeafletError
from leaflets.model.project import Project
from leaflets.model.yamlfile import read_regular_file

MAX_PDF_BYTES = 200 * 1024 * 1024  # a leaflet is well under 1 MB; a packet of every leaflet under 50 MB


def check_pdf(path: Path, project: Project | None = None) -> list[Finding]:
    """Read a built PDF back and check it against the PDF/UA-1 rules below; with ``project``, also
    what it claims about its approval (``checks.pdf_release``)."""
    import pikepdf

    try:
        data = read_regular_file(path, MAX_PDF_BYTES, "a PDF")  # a pipe, /dev/zero or a folder is never read
    except LeafletError as exc:
        return [Finding(path.name, exc.message, Severity.ERROR, path)]
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            found = [Finding(path.name, message, Severity.ERROR, path) for rule in PDF_RULES for message in rule(pdf)]
            return found + (release_findings(pdf, path, project) if project is not None else [])
    except pikepdf.PdfError as exc:
        return [Finding(path.name, f"not a readable PDF: {exc}", Severity.ERROR, path)]
    except OSError as exc:
        return [Finding(path.name, f"cannot read the file: {exc.strerror}", Severity.ERROR, path)]


def _marked(pdf: Any) -> list[str]:
    # ISO 14289-1 7.1: a conforming file is a Tagged PDF, /MarkInfo << /Marked true >>.
    mark_info = pdf.Root.get("/MarkInfo")
    return [] if mark_info is not None and bool(mark_info.get("/Marked", False)) else ["7.1: /MarkInfo /Marked is not true"]


def _structure_tree(pdf: Any) -> list[str]:
    # ISO 14289-1 7.1: all real content is tagged in a structure tree (/StructTreeRoot).
    tree = pdf.Root.get("/StructTreeRoot")
    return [] if tree is not None and "/K" in tree else ["7.1: the document has no structure tree"]


def _language(pdf: Any) -> list[str]:
    # ISO 14289-1 7.2: the natural language is declared (/Lang in the catalog).
    return [] if str(pdf.Root.get("/Lang", "")).strip() else ["7.2: the document declares no language (/Lang)"]


def _title(pdf: Any) -> list[str]:
    # ISO 14289-1 7.1 (item 10): dc:title in the metadata and /DisplayDocTitle true.
    problems = []
    preferences = pdf.Root.get("/ViewerPreferences")
    if preferences is None or not bool(preferences.get("/DisplayDocTitle", False)):
        problems.append("7.1: /ViewerPreferences /DisplayDocTitle is not true")
    with pdf.open_metadata() as metadata:
        if not str(metadata.get("dc:title", "")).strip():
            problems.append("7.1: the XMP metadata has no dc:title")
        if str(metadata.get("pdfuaid:part", "")) != "1":
            problems.append("5: the XMP metadata does not identify the file as PDF/UA-1 (pdfuaid:part)")
    return problems


def _fonts_embedded(pdf: Any) -> list[str]:
    # ISO 14289-1 7.21.4.1: every font used for rendering is embedded.
    missing = set()
    for page in pdf.pages:
        for font in page.get("/Resources", {}).get("/Font", {}).values():
            fonts = list(font.get("/DescendantFonts", [])) or [font]
            for actual in fonts:
                descriptor = actual.get("/FontDescriptor")
                if descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    missing.add(str(actual.get("/BaseFont", "?")))
    return [f"7.21.4.1: font {name} is not embedded" for name in sorted(missing)]


def _elements(pdf: Any) -> list[Any]:
    """Structure elements in reading order."""
    import pikepdf

    found, todo = [], [pdf.Root.StructTreeRoot.get("/K", pikepdf.Array())]
    while todo:
        item = todo.pop(0)
        if isinstance(item, pikepdf.Array):
            todo[0:0] = list(item)
        elif isinstance(item, pikepdf.Dictionary) and "/S" in item:
            found.append(item)
            todo.insert(0, item.get("/K", pikepdf.Array()))
    return found


def _figures_have_alt(pdf: Any) -> list[str]:
    # ISO 14289-1 7.3: every Figure has alternative text (/Alt).
    if "/StructTreeRoot" not in pdf.Root:
        return []
    bare = [e for e in _elements(pdf) if str(e.S) == "/Figure" and not str(e.get("/Alt", "")).strip()]
    return [f"7.3: {len(bare)} figure(s) without alternative text (/Alt)"] if bare else []


def _headings(pdf: Any) -> list[str]:
    # ISO 14289-1 7.4.2: numbered headings do not skip levels; a leaflet has exactly one H1.
    if "/StructTreeRoot" not in pdf.Root:
        return []
    # A packet or bilingual PDF holds one leaflet in each /Part: each is checked as a leaflet.
    elements = _elements(pdf)
    parts = [e for e in elements if str(e.S) == "/Part"] or [None]
    problems = []
    for part in parts:
        inside = elements if part is None else [e for e in elements if _is_within(e, part)]
        levels = [int(str(e.S)[2:]) for e in inside if re.fullmatch(r"/H[1-6]", str(e.S))]
        if not (levels.count(1) == 1 and levels[:1] == [1]):
            problems.append(f"7.4.2: expected one H1 first, found levels {levels[:5]}...")
        skips = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
        problems += [f"7.4.2: heading level jumps from H{a} to H{b}" for a, b in skips]
    return problems


def _is_within(element: Any, ancestor: Any) -> bool:
    while element is not None and "/P" in element:
        if element.objgen == ancestor.objgen:
            return True
        element = element.P
    return False


def _lists(pdf: Any) -> list[str]:
    # ISO 14289-1 7.6: a list (L) holds list items (LI).
    if "/StructTreeRoot" not in pdf.Root:
        return []
    import pikepdf

    empty = 0
    for element in _elements(pdf):
        if str(element.S) == "/L":
            kids = element.get("/K", pikepdf.Array())
            kids = kids if isinstance(kids, pikepdf.Array) else [kids]
            if not any(isinstance(k, pikepdf.Dictionary) and str(k.get("/S")) == "/LI" for k in kids):
                empty += 1
    return [f"7.6: {empty} list(s) without list items (LI)"] if empty else []


def _no_empty_boxes(pdf: Any) -> list[str]:
    """ISO 14289-1 7.21.7: every character shown maps to a real glyph. WeasyPrint maps a character
    no font has to CID 0, the .notdef glyph, which prints as an empty box."""
    found = []
    for number, page in enumerate(pdf.pages, 1):
        resources = [page.obj.get("/Resources", {})]
        resources += [x.get("/Resources", {}) for x in resources[0].get("/XObject", {}).values() if x.get("/Subtype") == "/Form"]
        for fonts in (r.get("/Font", {}) for r in resources):
            for font in fonts.values():
                if _maps_to_notdef(font):
                    found.append(f"page {number}: some text has no glyph in {font.get('/BaseFont')}: it prints as empty boxes")
    return list(dict.fromkeys(found))


_NOTDEF = re.compile(rb"^<[0-9a-fA-F]+>(?:\s+<[0-9a-fA-F]+>)?\s+0\s*$", re.MULTILINE)


def _maps_to_notdef(font: Any) -> bool:
    """Whether a composite font's encoding sends some character code to CID 0."""
    import pikepdf

    encoding = font.get("/Encoding")
    if font.get("/Subtype") != "/Type0" or not isinstance(encoding, pikepdf.Stream):
        return False
    return bool(_NOTDEF.search(encoding.read_bytes()))


def _help_box(pdf: Any) -> list[str]:
    # Not PDF/UA: the "when to get help" box on page 1 or 2 and never split (issue 24).
    return help_box_problems(pdf)


def _blank_pages(pdf: Any) -> list[str]:
    # Not PDF/UA: a page that prints blank, or nearly, where the leaflet continues (issue 26).
    return blank_pages(pdf)


PDF_RULES = [_marked, _structure_tree, _language, _title, _fonts_embedded, _figures_have_alt, _headings, _lists,
             _no_empty_boxes, _help_box, _blank_pages]
