"""What a reviewer reads and signs: a leaflet's printed text with what changed since it was last
approved marked word by word (``review``), and the approval itself (``approve``).

The text is the leaflet's own HTML as a patient reads it (``render.printed.printed_content``): the words
the PDF is made from, in print order, with the clinic's details as placeholders. It is the very
text the approval's fingerprint is taken of, so what the reviewer reads is what they approve.
"""

from __future__ import annotations

import difflib
import json
import re
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from html import escape
from pathlib import Path

from leaflets.build.archive import check_archive
from leaflets.build.files import write_atomically
from leaflets.build.leaflet import Builder
from leaflets.build.locks import held
from leaflets.errors import ContentError, LeafletErrors, NotFoundError, UsageError
from leaflets.governance.checking import leaflet_errors
from leaflets.language.i18n import SOURCE_LANGUAGE
from leaflets.model.approvals import (
    APPROVALS,
    Approval,
    Standing,
    approvals_path,
    approved_text,
    approved_text_path,
    check_signer,
    find_version,
    parse_approvals,
    read_approvals,
)
from leaflets.model.day import build_day
from leaflets.model.project import Project
from leaflets.model.record import Procedure, Source, is_version
from leaflets.model.yamlfile import parse_yaml

# A word, a run of spaces, or one CJK character (Chinese has no spaces between words).
_WIDE = r"\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"  # CJK ideographs, punctuation and full-width forms
_TOKENS = re.compile(rf"\s+|[{_WIDE}]|[^\s{_WIDE}]+")


@dataclass(frozen=True)
class Piece:
    kind: str  # "=" unchanged, "-" removed, "+" added
    text: str


@dataclass(frozen=True)
class Line:
    """One line of the printed text: unchanged, changed (word by word), added or removed."""

    kind: str  # "same", "changed", "added", "removed"
    pieces: tuple[Piece, ...]
    english: str | None = None  # a translation's changed line: the English it translates

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.pieces if p.kind != "-")


@dataclass
class Review:
    procedure_id: str
    lang: str
    standing: Standing
    since: Approval | None  # what it is compared with; None when never approved
    lines: list[Line] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)  # every source of the record and its blocks (paper prints a few)

    @property
    def changed(self) -> int:
        return sum(line.kind != "same" for line in self.lines)


def word_diff(old: str, new: str) -> tuple[Piece, ...]:
    """``old`` to ``new``, word by word."""
    before, after = _TOKENS.findall(old), _TOKENS.findall(new)
    pieces: list[Piece] = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(Piece("=", "".join(before[a1:a2])))
            continue
        if a2 > a1:
            pieces.append(Piece("-", "".join(before[a1:a2])))
        if b2 > b1:
            pieces.append(Piece("+", "".join(after[b1:b2])))
    return tuple(pieces)


def line_diff(old: list[str], new: list[str]) -> list[Line]:
    """Every line of ``new`` (and each removed line of ``old``), changed lines marked word by word."""
    lines: list[Line] = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            lines += [Line("same", (Piece("=", text),)) for text in new[b1:b2]]
            continue
        paired = min(a2 - a1, b2 - b1) if op == "replace" else 0
        for index in range(paired):
            lines.append(Line("changed", word_diff(old[a1 + index], new[b1 + index])))
        lines += [Line("removed", (Piece("-", text),)) for text in old[a1 + paired:a2]]
        lines += [Line("added", (Piece("+", text),)) for text in new[b1 + paired:b2]]
    return lines


def make_review(project: Project, procedure_id: str, lang: str = SOURCE_LANGUAGE, clinic_id: str = "example",
                since: str | None = None) -> Review:
    """The leaflet's printed text now, against the newest approval of its language (or version ``since``)."""
    if since is not None and not is_version(since):
        raise UsageError("--since must be a version such as 1.0 or 2.1.3: ASCII digits and dots, at most 4 digits a part")
    builder, procedure, clinic = Builder(project), project.load_procedure(procedure_id), project.load_clinic(clinic_id)
    _known_language(clinic.languages, lang, clinic.id)
    leaflet = builder.leaflet(procedure, clinic, lang)
    _, standing = builder.rendered(leaflet)  # a translation not ready is refused here, string by string
    approvals = read_approvals(project, procedure_id)
    if since is not None:
        baseline = find_version(approvals, lang, since)
        if baseline is None:
            known = sorted({a.version for a in approvals if a.lang == lang})
            approved = ", ".join(known) or "none"
            raise NotFoundError(f"{procedure_id} [{lang}] has no approved version {since}; approved: {approved}")
    else:
        baseline = standing.signoff if standing.translated else standing.approval
    old = approved_text(project, procedure_id, baseline) if baseline else None
    if baseline is not None and old is None:
        raise NotFoundError(f"the text approved as version {baseline.version} [{lang}] is not kept in "
                            f"content/approvals/{procedure_id}/; "
                            "restore it from git")
    now = builder.printed(leaflet).splitlines()
    lines = line_diff(old.splitlines() if old is not None else [], now) if old is not None else [
        Line("same", (Piece("=", text),)) for text in now]
    if standing.translated:
        english = builder.printed(replace(leaflet, language=builder.language(SOURCE_LANGUAGE))).splitlines()
        lines = _beside_english(lines, english, now)
    return Review(procedure_id, lang, standing, baseline, lines, procedure.cited_sources)


def source_line(source: Source) -> str:
    """A source as cited in full: title, publisher, year, address."""
    year = f", {source.year}" if source.year else ""
    where = " ".join(part for part in (source.url, f"doi:{source.doi}" if source.doi else None) if part)
    if source.publisher is None:  # a format 1 source: its line, printed as written (model/formats.py)
        return f"{source.title}. {where}"
    return f"{source.title}. {source.publisher}{year}. {where}"


SOURCES_HEADING = "Sources (all of them; the leaflet prints only those behind its numbers, in short form):"


def _beside_english(lines: list[Line], english: list[str], now: list[str]) -> list[Line]:
    """Each changed line of a translation with its English source (the English leaflet's line in the same place)."""
    if len(english) != len(now):
        return lines
    result, position = [], 0
    for line in lines:
        if line.kind == "removed":
            result.append(line)
            continue
        result.append(replace(line, english=english[position]) if line.kind != "same" else line)
        position += 1
    return result


def approval_state(project: Project, procedure: Procedure, clinic_id: str = "example") -> str:
    """The record's English state in words (``approved v1.1``, ``changed since v1.0 was approved``,
    ``draft``) for ``list``; the record's own ``review.status`` when it has no approvals."""
    if not read_approvals(project, procedure.id):
        return procedure.review.status
    builder = Builder(project)
    leaflet = builder.leaflet(procedure, project.load_clinic(clinic_id), SOURCE_LANGUAGE)
    return builder.standing(leaflet).state


def _known_language(languages: list[str], lang: str, clinic_id: str) -> None:
    if lang not in languages:
        raise NotFoundError(f"'{lang}' is not a language of clinic {clinic_id} ({', '.join(languages)})")


# -- what the reviewer reads -------------------------------------------------------------------------

_COLOURS = {"-": "\033[9;31m", "+": "\033[4;32m"}
_PLAIN = {"-": ("[-", "-]"), "+": ("{+", "+}")}


def heading(review: Review) -> str:
    standing, since = review.standing, review.since
    verb = "approved" if since is None or since.lang == SOURCE_LANGUAGE else "signed off"
    compared = (f"changes since version {since.version}, {verb} by {since.by} ({since.role}) on {since.date.isoformat()}"
                if since else f"never {verb}: all of it is new")
    state = f"{standing.state}, code {standing.code}"
    return f"{review.procedure_id} [{review.lang}]: {state}; {compared}; {review.changed} line(s) changed"


def as_terminal(review: Review, colour: bool = False) -> str:
    """The text, one line each; changes marked [-removed-] {+added+} (in colour on a terminal)."""
    out = [heading(review), "marks: [-removed-] {+added+}; lines: '~' changed, '+' added, '-' removed", ""]
    signs = {"same": " ", "changed": "~", "added": "+", "removed": "-"}
    for line in review.lines:
        out.append(f"{signs[line.kind]} {''.join(_mark(piece, colour) for piece in line.pieces)}")
        if line.english is not None:
            out.append(f"    en: {line.english}")
    if review.sources:
        out += ["", SOURCES_HEADING] + [f"  {index}. {source_line(source)}" for index, source in enumerate(review.sources, 1)]
    return "\n".join(out) + "\n"


def _mark(piece: Piece, colour: bool) -> str:
    if piece.kind == "=":
        return piece.text
    if colour:
        return f"{_COLOURS[piece.kind]}{piece.text}\033[0m"
    start, end = _PLAIN[piece.kind]
    return f"{start}{piece.text}{end}"


_REVIEW_CSS = (
    'body { font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; line-height: 1.5; max-width: '
    '60rem; margin: 1.5rem auto; padding: 0 1rem; color: #1a1a1a; }\n'
    'table { border-collapse: collapse; width: 100%; } td, th { padding: 0.2rem 0.4rem; '
    'vertical-align: top; text-align: start; }\n'
    'tr.changed, tr.added, tr.removed { border-left: 4px solid #5c4200; }\n'
    'del { color: #8a1c1c; text-decoration: line-through; } ins { color: #1d5e20; text-decoration: '
    'underline; font-weight: bold; }\n'
    'del::before { content: "[-"; } del::after { content: "-]"; } ins::before { content: "{+"; } '
    'ins::after { content: "+}"; }\n'
    '@media print { tr { break-inside: avoid; } }\n'
)


def as_html(review: Review) -> str:
    """A page a reviewer can read and print: changes as <del> and <ins>, a translation's beside its English."""
    rows, language = [], escape(review.lang.replace("_", "-"))
    for line in review.lines:
        text = "".join(_html_piece(piece) for piece in line.pieces)
        english = f'<td lang="en">{escape(line.english or "")}</td>' if review.standing.translated else ""
        rows.append(f'<tr class="{line.kind}">{english}<td lang="{language}" dir="auto">{text}</td></tr>')
    head = "<tr><th scope=\"col\">English</th><th scope=\"col\">Translation</th></tr>" if review.standing.translated else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Review: {escape(review.procedure_id)} [{escape(review.lang)}]</title>
<style>
{_REVIEW_CSS}</style></head><body><main>
<h1>Review: {escape(review.procedure_id)} [{escape(review.lang)}]</h1>
<p>{escape(heading(review))}</p>
<p>Removed words are <del>struck through</del>, added words <ins>underlined</ins>; changed lines have a bar at the left.</p>
<table>{head}{''.join(rows)}</table>
<h2>{escape(SOURCES_HEADING)}</h2>
<ol>{''.join(f"<li>{escape(source_line(source))}</li>" for source in review.sources)}</ol>
</main></body></html>
"""


def _html_piece(piece: Piece) -> str:
    text = escape(piece.text)
    return {"=": text, "-": f"<del>{text}</del>", "+": f"<ins>{text}</ins>"}[piece.kind]


# -- approving ----------------------------------------------------------------------------------

LOCK = ".approve.lock"


def approvals_lock(project: Project) -> AbstractContextManager[int]:
    """One approval at a time: a second one, while the first is being recorded, stops with a clear line."""
    return held(project.content / APPROVALS / LOCK, "the approvals lock", lambda holder: (
        f"another approval is being recorded (pid {holder}); nothing was written: try again"))


HEADER = ("# Approvals of content/procedures/{id}.yaml, written by `leaflets approve`.\n"
          "# Append-only, newest last: an entry counts while it is its language's newest and its\n"
          "# fingerprint is that of what the leaflet prints (see README: what invalidates an approval).\n"
          "procedure: {id}\napprovals:\n")


def entry_yaml(approval: Approval) -> str:
    """One entry of the approvals file, as appended to it."""
    def quoted(text: str | None) -> str:
        return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML string

    return (f"  - lang: {approval.lang}\n    version: \"{approval.version}\"\n    fingerprint: {approval.fingerprint}\n"
            f"    by: {quoted(approval.by)}\n    role: {quoted(approval.role)}\n    date: {approval.date.isoformat()}\n"
            + (f"    english: {approval.english}\n" if approval.english else ""))


def append_approval(project: Project, procedure_id: str, approval: Approval, printed: str) -> Path:
    """Add ``approval`` to the record's approvals file (and keep the text approved); call under ``approvals_lock``.

    Both files are written to a temporary file and renamed, so a reader sees the old file or the
    new one, never half of one; the earlier entries are kept byte for byte.
    """
    path = approvals_path(project, procedure_id)
    before = path.read_text(encoding="utf-8") if path.exists() else HEADER.format(id=procedure_id)
    if before and not before.endswith("\n"):
        before += "\n"
    after = before + entry_yaml(approval)
    if parse_approvals(parse_yaml(after, path))[-1:] != [approval]:  # reads back as written
        raise LeafletErrors([ContentError("the approvals file would not read back as written; check it by hand", path, 1)])
    text_path = approved_text_path(project, procedure_id, approval)
    if not text_path.exists():
        write_atomically(text_path, printed.encode("utf-8"))
    write_atomically(path, after.encode("utf-8"))
    return path




def approve(project: Project, procedure_id: str, by: str | None, role: str | None, lang: str = SOURCE_LANGUAGE,
            clinic_id: str = "example") -> tuple[Approval, Standing]:
    """Record that ``by`` (``role``) approves what the leaflet prints now in ``lang`` (a translator's
    sign-off for a translation). Returns the approval and the leaflet's standing before it."""
    by, role = check_signer(by, role, project.fonts)
    procedure, clinic = project.load_procedure(procedure_id), project.load_clinic(clinic_id)
    _known_language(clinic.languages, lang, clinic.id)
    errors = leaflet_errors(project, clinic, procedure, lang)
    if errors:
        raise UsageError(f"{procedure_id} [{lang}] fails check ({len(errors)} error(s); first: {errors[0]}); "
                         "fix it before approving it: nothing was written")
    check_archive(project, clinic.id, procedure_id)
    builder = Builder(project)
    leaflet = builder.leaflet(procedure, clinic, lang)
    printed = builder.printed(leaflet)
    with approvals_lock(project):
        standing = builder.standing(leaflet)  # read again under the lock: another approval may just have landed
        approval = Approval(lang=lang, version=standing.version, fingerprint=standing.fingerprint, by=by, role=role,
                            date=build_day(), english=standing.english if standing.translated else None)
        append_approval(project, procedure_id, approval, printed)
    return approval, standing
