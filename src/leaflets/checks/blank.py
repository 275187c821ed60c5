"""Pages that print blank, or nearly, where the leaflet goes on after them (issue 26): a picture too
tall for its page, or one that draws nothing, can push the rest of a page away.

What a page prints is read from its content: text shown and shapes painted outside ``/Artifact``
marked content (the running header and footer are artifacts, see ``render.pdf``), and inside the
forms and images it draws there. A page is nearly blank when it shows only a few characters and
draws nothing. The last page of a leaflet (of each part of a packet) may be short.
"""

from __future__ import annotations

from typing import Any

NEARLY_BLANK_GLYPHS = 40  # fewer than a short line of text
_SHOW_TEXT = frozenset({"Tj", "TJ", "'", '"'})
_PAINT = frozenset({"f", "F", "f*", "B", "B*", "b", "b*", "S", "s", "sh"})
_MAX_FORM_DEPTH = 8


def blank_pages(pdf: Any) -> list[str]:
    """One line for each page that prints (nearly) nothing while the leaflet continues after it."""
    ends = _part_ends(pdf)
    problems = []
    for number, page in enumerate(pdf.pages, 1):
        if number in ends:
            continue
        glyphs, drawn = _printed(page.obj, 0)
        if not drawn and glyphs == 0:
            problems.append(f"page {number} prints blank, and the leaflet continues after it")
        elif not drawn and glyphs < NEARLY_BLANK_GLYPHS:
            problems.append(f"page {number} prints almost nothing ({glyphs} characters), and the leaflet continues "
                            "after it")
    return problems


def _printed(holder: Any, depth: int) -> tuple[int, bool]:
    """The characters shown and whether anything is painted, outside artifacts, by a page or form."""
    import pikepdf

    glyphs, drawn, artifact_depth, nesting = 0, False, 0, 0
    try:
        operations = pikepdf.parse_content_stream(holder)
    except pikepdf.PdfError:
        return 0, False
    for instruction in operations:
        operands, name = instruction.operands, str(instruction.operator)
        if name in ("BDC", "BMC"):
            nesting += 1
            if artifact_depth == 0 and operands and str(operands[0]) == "/Artifact":
                artifact_depth = nesting
        elif name == "EMC":
            if nesting == artifact_depth:
                artifact_depth = 0
            nesting = max(0, nesting - 1)
        elif artifact_depth:
            continue
        elif name in _SHOW_TEXT:
            glyphs += _glyphs(operands)
        elif name in _PAINT:
            drawn = True
        elif name == "Do" and depth < _MAX_FORM_DEPTH:
            more, painted = _drawn_object(holder, operands[0], depth)
            glyphs, drawn = glyphs + more, drawn or painted
    return glyphs, drawn


def _drawn_object(holder: Any, name: Any, depth: int) -> tuple[int, bool]:
    xobject = holder.get("/Resources", {}).get("/XObject", {}).get(str(name))
    if xobject is None:
        return 0, False
    if xobject.get("/Subtype") == "/Image":
        return 0, True
    return _printed(xobject, depth + 1)


def _glyphs(operands: Any) -> int:
    """About how many characters a text operator shows (two-byte codes, as WeasyPrint writes them)."""
    import pikepdf

    strings = operands[0] if operands and isinstance(operands[0], pikepdf.Array) else operands
    return sum(len(bytes(item)) // 2 for item in strings if isinstance(item, pikepdf.String))


def _part_ends(pdf: Any) -> set[int]:
    """The last page (from 1) of the document and of each part of a packet, which may be short."""
    import pikepdf

    from leaflets.render.tagged import first_page_of

    pages = {page.objgen: number for number, page in enumerate(pdf.pages, 1)}
    starts = set()
    tree = pdf.Root.get("/StructTreeRoot")
    todo = [tree.get("/K")] if tree is not None else []
    while todo:
        item = todo.pop()
        if isinstance(item, pikepdf.Array):
            todo.extend(item)
        elif isinstance(item, pikepdf.Dictionary) and "/S" in item and str(item.S) != "/Part":
            todo.append(item.get("/K"))
        elif isinstance(item, pikepdf.Dictionary) and str(item.get("/S")) == "/Part":
            first = first_page_of(item)
            if first is not None and first.objgen in pages:
                starts.add(pages[first.objgen])
    return {start - 1 for start in starts if start > 1} | {len(pdf.pages)}
