"""``leaflets upgrade``: rewrite content files of an earlier format in the current one, in place.

The file is read with a round-trip YAML parser (ruamel.yaml) for the position of every key and
item; only the lines that change are rewritten, so comments, key order, quoting and line layout
stay as the author left them. What the upgrade cannot know (a risk's number and source, a source's
publisher and address) it leaves for the author and lists, each at its line; the leaflet stays a
draft until a clinician approves it (an approval covers printed text, so any change voids it).
Upgrading an up-to-date file changes nothing.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from leaflets.errors import ContentError, LeafletError
from leaflets.model.formats import CURRENT_FORMAT, FIRST_FORMAT, FORMAT_KEY, FORMATS, RISK_EXAMPLE, RISK_GROUPS
from leaflets.paths import display_path

KINDS = {"procedures": "procedure", "blocks": "block", "clinics": "clinic"}
Lines = list[str]


@dataclass
class Upgraded:
    """One file's upgrade: the new text, what changed, and what a person must now supply."""

    path: Path
    written_in: int
    text: str
    changes: list[str] = field(default_factory=list)
    to_supply: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def report(self, written: bool = True) -> list[str]:
        """What the command prints for this file (``written``: the upgrade was written, not only checked)."""
        where = display_path(self.path)
        if not self.changed:
            return [f"{where}: already in format {CURRENT_FORMAT}"]
        if not written:
            lines = [f"{where}: format {self.written_in}; upgrading it to format {CURRENT_FORMAT} would change:"]
            lines += [f"  {change}" for change in self.changes]
            return lines + [f"  then, at line {need.replace(': to supply:', ', to supply:', 1)}" for need in self.to_supply]
        lines = [f"{where}: format {self.written_in} -> {CURRENT_FORMAT}"]
        lines += [f"  changed: {change}" for change in self.changes]
        return lines + [f"{where}:{need}" for need in self.to_supply]


def kind_of(path: Path) -> str:
    """A record, a block or a clinic file, by the folder it is in (a record elsewhere)."""
    return KINDS.get(path.parent.name, "procedure")


def upgrade_file(path: Path, write: bool = True) -> Upgraded:
    """Upgrade one file; with ``write``, rewrite it in place when anything changed."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"cannot read the file: {exc}", path) from None
    upgraded = upgrade_text(text, path, kind_of(path))
    if write and upgraded.changed:
        path.write_text(upgraded.text, encoding="utf-8")
    return upgraded


def upgrade_text(text: str, path: Path, kind: str = "procedure") -> Upgraded:
    """``text`` in the current format, with what changed and what is left to supply."""
    if "\r\n" in text or text.startswith("\ufeff"):  # Windows line ends, a byte-order mark: kept as they were
        upgraded = upgrade_text(text.removeprefix("\ufeff").replace("\r\n", "\n"), path, kind)
        newline, mark = "\r\n" if "\r\n" in text else "\n", "\ufeff" if text.startswith("\ufeff") else ""
        upgraded.text = mark + upgraded.text.replace("\n", newline) if upgraded.changed else text
        return upgraded
    data = _parse(text, path)
    written_in = data.get(FORMAT_KEY, FIRST_FORMAT)
    if written_in == CURRENT_FORMAT:
        return Upgraded(path, CURRENT_FORMAT, text)
    if written_in not in FORMATS:
        raise ContentError(f"format: '{written_in}' is not a format this version of leaflets knows "
                           f"(1 to {CURRENT_FORMAT})", path, _key_line(data, FORMAT_KEY))
    lines = text.splitlines(keepends=True)
    upgraded = Upgraded(path, written_in, text)
    edits: list[tuple[int, int, Lines]] = []  # (first line, line after the last, new lines), 0-based
    if kind == "procedure":
        edits += _risk_edits(data, lines, path, upgraded) + _source_edits(data, lines, upgraded)
    edits.append(_format_edit(data, lines, upgraded))
    for start, end, new in sorted(edits, key=lambda edit: edit[0], reverse=True):
        lines[start:end] = new
    upgraded.text = "".join(lines)
    upgraded.to_supply = _to_supply(_parse(upgraded.text, path))
    return upgraded


def _parse(text: str, path: Path) -> Any:
    try:
        data = YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ContentError(f"YAML syntax error: {getattr(exc, 'problem', None) or exc}", path,
                           mark.line + 1 if mark else 1) from None
    if not isinstance(data, CommentedMap):
        raise ContentError("expected keys and values (such as 'id: ...') at the top level", path, 1)
    return data


def _key_line(data: CommentedMap, key: str) -> int:
    return int(data.lc.key(key)[0]) + 1


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _format_edit(data: CommentedMap, lines: Lines, upgraded: Upgraded) -> tuple[int, int, Lines]:
    line = f"{FORMAT_KEY}: {CURRENT_FORMAT}\n"
    if FORMAT_KEY in data:
        at = data.lc.key(FORMAT_KEY)[0]
        comment = lines[at].partition("#")[2] if "#" in lines[at] else ""
        upgraded.changes.insert(0, f"format: {data[FORMAT_KEY]} is now {line.strip()}")
        return at, at + 1, [line.rstrip("\n") + (f"  #{comment}" if comment else "\n")]
    first = data.lc.key(next(iter(data)))[0] if data else 0
    upgraded.changes.insert(0, f"added '{line.strip()}' before the first key")
    return first, first, [line]


def _span_end(data: CommentedMap, key: str, lines: Lines) -> int:
    """The line after the last one of ``key``'s value (trailing blank lines and comments excluded)."""
    keys = list(data)
    index = keys.index(key)
    end = data.lc.key(keys[index + 1])[0] if index + 1 < len(keys) else len(lines)
    while end > data.lc.key(key)[0] + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return int(end)


def _scalar_text(value: Any) -> str:
    """A plain string as YAML text: as it is when safe, else in double quotes."""
    text = str(value)
    if re.fullmatch(r"[A-Za-z0-9(][^:#\n]*", text) and not text.endswith(" ") and text.strip() == text:
        return text
    return json.dumps(text, ensure_ascii=False)


# -- risks: common: and rare: become one list ------------------------------------------------------


def _risk_edits(data: CommentedMap, lines: Lines, path: Path, upgraded: Upgraded) -> list[tuple[int, int, Lines]]:
    risks = data.get("risks")
    if not isinstance(risks, CommentedMap):
        return []
    unknown = [str(key) for key in risks if key not in RISK_GROUPS]
    if unknown:
        raise ContentError(f"risks.{unknown[0]}: format 1 had only the groups common: and rare:, so this file "
                           f"cannot be upgraded safely; write its risks as one list by hand, like {RISK_EXAMPLE}",
                           path, int(risks.lc.key(unknown[0])[0]) + 1)
    start, end = data.lc.key("risks")[0], _span_end(data, "risks", lines)
    if risks.fa.flow_style():
        new = [lines[start].split(":", 1)[0] + ":\n"] + _risk_block(risks, 2)
    else:
        new = [lines[start]] + _block_groups(risks, lines, start, end)
    counts = ", ".join(f"{group}: ({len(risks[group] or [])})" for group in RISK_GROUPS if group in risks)
    upgraded.changes.append(f"risks: the groups {counts} are one list, in that order, each group's name kept in a "
                            "comment")
    return [(start, end, new)]


def _risk_block(risks: CommentedMap, indent: int) -> Lines:
    new: Lines = []
    for group in RISK_GROUPS:
        new.append(f"{' ' * indent}# {group} (format 1): give each risk below its number and source\n")
        new += [f"{' ' * indent}- {_scalar_text(item)}\n" for item in risks.get(group) or []]
    return new


def _block_groups(risks: CommentedMap, lines: Lines, start: int, end: int) -> Lines:
    """Each group's key line becomes a comment; its items keep their lines, moved to one indent."""
    keys = list(risks)
    rows = [int(risks.lc.key(key)[0]) for key in keys] + [end]
    target: int | None = None
    new: Lines = lines[start + 1 : rows[0]]
    for index, group in enumerate(keys):
        row, value = rows[index], risks[group]
        indent = _indent(lines[row])
        comment = lines[row].partition("#")[2].strip()
        new.append(f"{' ' * indent}# {group} (format 1): give each risk below its number and source"
                   f"{'; ' + comment if comment else ''}\n")
        if isinstance(value, CommentedSeq) and value and not value.fa.flow_style():
            body = lines[row + 1 : rows[index + 1]]
            first = int(value.lc.item(0)[0])
            dash = _indent(lines[first])
            target = dash if target is None else target
            new += [_shifted(line, target - dash) for line in body]
        else:
            target = target if target is not None else indent + 2
            new += [f"{' ' * target}- {_scalar_text(item)}\n" for item in value or []]
    return new


def _shifted(line: str, delta: int) -> str:
    if not line.strip() or delta == 0:
        return line
    return " " * delta + line if delta > 0 else line[min(-delta, _indent(line)) :]


# -- sources: lines of text become sources with an id and a title -----------------------------------


def _source_edits(data: CommentedMap, lines: Lines, upgraded: Upgraded) -> list[tuple[int, int, Lines]]:
    sources = data.get("sources")
    if not isinstance(sources, CommentedSeq) or not any(isinstance(item, str) for item in sources):
        return []
    start, end = data.lc.key("sources")[0], _span_end(data, "sources", lines)
    taken = {item.get("id") for item in sources if isinstance(item, CommentedMap)}
    ids = iter(f"source-{n}" for n in range(1, 10_000) if f"source-{n}" not in taken)
    if sources.fa.flow_style():
        new = [lines[start].split(":", 1)[0] + ":\n"]
        for item in sources:
            new += _source_lines(next(ids), _scalar_text(item), 2) if isinstance(item, str) else [
                f"  - {json.dumps(dict(item), ensure_ascii=False)}\n"]
    else:
        new = _block_sources(sources, lines, start, end, ids)
    upgraded.changes.append(f"sources: {sum(isinstance(i, str) for i in sources)} line(s) of text are sources with "
                            "an id and the line as their title")
    return [(start, end, new)]


def _block_sources(sources: CommentedSeq, lines: Lines, start: int, end: int, ids: Any) -> Lines:
    rows = [int(sources.lc.item(i)[0]) for i in range(len(sources))] + [end]
    new: Lines = lines[start : rows[0]]
    for index, item in enumerate(sources):
        row, after = rows[index], rows[index + 1]
        if not isinstance(item, str):
            new += lines[row:after]
            continue
        line = lines[row]
        written, _, comment = line.split("- ", 1)[1].partition(" #")
        if comment.strip():  # the author's note on the line stays, above the source it became
            new.append(f"{' ' * _indent(line)}#{comment.rstrip()}\n")
        title = written.strip() if after == row + 1 and written.strip() else _scalar_text(item)
        new += _source_lines(next(ids), title, _indent(line))
        new += [extra for extra in lines[row + 1 : after] if extra.lstrip().startswith("#") or not extra.strip()]
    return new


def _source_lines(source_id: str, title: str, indent: int) -> Lines:
    pad = " " * indent
    return [f"{pad}- id: {source_id}\n",
            f"{pad}  title: {title}   # format 1's line: make it the title as published\n",
            f"{pad}  publisher:   # to supply: who published it\n",
            f"{pad}  url:   # to supply: its address (https://...), or doi: 10.xxxx/...\n"]


# -- what a person must supply ---------------------------------------------------------------------


def _to_supply(data: CommentedMap) -> list[str]:
    needs: list[str] = []
    risks = data.get("risks")
    for index, risk in enumerate(risks if isinstance(risks, CommentedSeq) else []):
        if isinstance(risk, str) or (isinstance(risk, CommentedMap) and "about" not in risk):
            text = str(risk if isinstance(risk, str) else risk.get("text", ""))
            text = text if len(text) <= 50 else text[:50].rsplit(" ", 1)[0] + "..."
            needs.append(f"{risks.lc.item(index)[0] + 1}: to supply: risks[{index + 1}] \"{text}\": its "
                         "number (about: {count, per}) and its source, or about: unknown if no reliable number exists")
    sources = data.get("sources")
    for index, source in enumerate(sources if isinstance(sources, CommentedSeq) else []):
        if isinstance(source, CommentedMap) and (not source.get("publisher") or not (source.get("url") or source.get("doi"))):
            needs.append(f"{sources.lc.item(index)[0] + 1}: to supply: sources[{index + 1}] ({source.get('id')}): "
                         "its title as published, its publisher and its address (url or doi)")
    return needs


def upgrade_paths(paths: list[Path], check: bool = False, named: bool = True) -> tuple[list[str], bool, list[LeafletError]]:
    """Upgrade each file (or, with ``check``, only say what would change): the report's lines, whether
    any file needs (or needed) changes, and the files that could not be upgraded. Files already in the
    current format are listed when ``named`` (the user named them), else counted."""
    report: list[str] = []
    errors: list[LeafletError] = []
    changed = current = 0
    for path in paths:
        try:
            upgraded = upgrade_file(path, write=not check)
        except LeafletError as exc:
            errors.extend(exc.errors)
            continue
        changed, current = changed + upgraded.changed, current + (not upgraded.changed)
        if upgraded.changed or named:
            report += upgraded.report(written=not check)
    summary = f"{changed} file(s) {'to upgrade' if check else 'upgraded'}, {current} already in format {CURRENT_FORMAT}"
    if changed:
        summary += ("; run 'leaflets upgrade' without --check to make these changes" if check else
                    "; each leaflet stays a draft until a clinician approves what it prints (leaflets approve)")
    return [*report, summary], bool(changed), errors


def dump(data: Any) -> str:
    """``data`` as round-trip YAML text (for tests and the schema's examples)."""
    stream = io.StringIO()
    YAML(typ="rt").dump(data, stream)
    return stream.getvalue()
