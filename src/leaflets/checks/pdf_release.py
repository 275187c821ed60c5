"""``check --pdf``: does a built PDF print what was approved, and only claim an approval it has?

The PDF's text is read back from its content streams (each font's ToUnicode map): its content, and
apart from it its running header and footer (the artifacts ``render.pdf`` marks), where the release
marks are: the code of what it prints, and for an approved leaflet the approver's name. A PDF whose
code is no approval's, but which names an approver, claims an approval it does not have; one whose
code is an approval's must print every line of the text approved (``content/approvals/<id>/``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from leaflets.checks.findings import Finding, Severity
from leaflets.model.approvals import Approval, approved_text, read_approvals
from leaflets.model.project import Project
from leaflets.render.printed import comparable

_CODE = re.compile(r"·\s*([0-9a-f]{8})\b|\b([0-9a-f]{8})\s*·")  # the latter drawn right to left
_RIGHT_TO_LEFT = ("ar", "he", "fa", "ur")  # drawn in visual order: its lines cannot be matched as written
_BRACKETED = re.compile(r"\[(?:[^\[\]]|\[[^\]]*\])*\]")  # a token ([clinic.name]) or a picture's alt text: not printed as it is


def release_findings(pdf: Any, path: Path, project: Project) -> list[Finding]:
    """What a leaflet PDF (``pdf``, opened by ``checks.pdf.check_pdf``) claims about its approval that its
    text does not bear out."""
    content, margins = pdf_texts(pdf)
    right_to_left = str(pdf.Root.get("/Lang", "")).split("-")[0] in _RIGHT_TO_LEFT
    code, procedure_id = _code(margins), _procedure_id(margins)
    if code is None or procedure_id is None or not project.record_path(procedure_id).is_file():
        return []
    approvals = read_approvals(project, procedure_id)
    approval = next((a for a in reversed(approvals) if a.code == code), None)
    if approval is None:
        names = [a.by for a in approvals if comparable(a.by) in comparable(margins)]
        return [_finding(path, f"prints an approval by {names[0]}, but no approval of {procedure_id} has its code {code}")
                ] if names else []
    if right_to_left:
        return []
    return [_finding(path, f"prints code {code} ({procedure_id}, approved {approval.date.isoformat()}), but not this "
                           f"line it approved: {line}") for line in missing_lines(project, procedure_id, approval, content)[:1]]


def missing_lines(project: Project, procedure_id: str, approval: Approval, content: str) -> list[str]:
    """The lines of the text ``approval`` approved that ``content`` (a PDF's) does not print, in order."""
    text = approved_text(project, procedure_id, approval) or ""
    printed = comparable(content)
    missing = []
    for line in text.splitlines():
        pieces = [comparable(piece) for piece in _BRACKETED.split(line)]
        at = 0
        for piece in filter(None, pieces):
            at = printed.find(piece, at)
            if at < 0:
                missing.append(line)
                break
            at += len(piece)
    return missing


def pdf_texts(pdf: Any) -> tuple[str, str]:
    """The text of a PDF's content, and that of its running header and footer, in drawing order."""
    content: list[str] = []
    margins: list[str] = []
    for page in pdf.pages:
        _page_text(page, content, margins)
    return "".join(content), " ".join(margins)


def _page_text(page: Any, content: list[str], margins: list[str]) -> None:
    import pikepdf

    fonts = {name: _unicode_map(font) for name, font in page.get("/Resources", {}).get("/Font", {}).items()}
    marks: list[str] = []  # the kind of each open marked-content sequence
    font: dict[int, str] = {}
    for instruction in pikepdf.parse_content_stream(page):
        operands, op = list(instruction.operands), str(instruction.operator)
        if op in ("BMC", "BDC"):
            kind = str(operands[0])
            paginated = op == "BDC" and isinstance(operands[1], pikepdf.Dictionary) and "/Type" in operands[1]
            marks.append("margin" if kind == "/Artifact" and paginated else "artifact" if kind == "/Artifact" else "")
        elif op == "EMC" and marks:
            marks.pop()
        elif op == "Tf":
            font = fonts.get(str(operands[0]), {})
        elif op in ("Tj", "TJ", "'", '"'):
            text = _decode(operands[-1], font)
            if "margin" in marks:
                margins.append(text)
            elif "artifact" not in marks:
                content.append(text)


def _decode(operand: Any, font: dict[int, str]) -> str:
    import pikepdf

    strings = [item for item in operand if isinstance(item, pikepdf.String)] if isinstance(operand, pikepdf.Array) else [operand]
    out = []
    for string in strings:
        data = bytes(string)
        out += [font.get(int.from_bytes(data[i:i + 2], "big"), "") for i in range(0, len(data) - 1, 2)]
    return "".join(out)


def _unicode_map(font: Any) -> dict[int, str]:
    """A Type0 font's ToUnicode map: glyph code to text."""
    stream = font.get("/ToUnicode")
    if stream is None:
        return {}
    cmap, data = {}, stream.read_bytes().decode("latin-1")
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for code, text in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            cmap[int(code, 16)] = bytes.fromhex(text).decode("utf-16-be", "replace")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for low, high, text in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = int(text, 16)
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                cmap[code] = chr(start + offset)
    return cmap


def _code(margins: str) -> str | None:
    found = _CODE.search("".join(ch for ch in margins if ch.isprintable()))
    return (found.group(1) or found.group(2)) if found else None


def _procedure_id(margins: str) -> str | None:
    found = re.search(r"\b([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\b", "".join(ch for ch in margins if ch.isprintable()))
    return found.group(1) if found else None


def _finding(path: Path, message: str) -> Finding:
    return Finding(path.name, message, Severity.ERROR, path)
