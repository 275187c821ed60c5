"""One pass over the HTML a template made, before anything is put into it: where it placed the tokens
(``render.tokens``) and the release slot (``render.release``), and every style it writes (checked by
``checks.styles``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from leaflets.render.tokens import OPEN, VALUE_ATTRIBUTES

SLOT_COMMENT = "leaflets:release"
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})


@dataclass
class Scanned:
    """What ``scan`` found."""

    token_problems: list[str] = field(default_factory=list)
    slots: list[list[tuple[str, frozenset[str]]]] = field(default_factory=list)  # the open elements at each slot
    sheets: list[str] = field(default_factory=list)  # the text of each <style>
    style_attributes: list[str] = field(default_factory=list)


def scan(html: str) -> Scanned:
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return scanner.found


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found = Scanned()
        self._open: list[tuple[str, frozenset[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if OPEN in tag:
            self.found.token_problems.append("puts a clinic or patient value in a tag's name")
        for name, value in attrs:
            if OPEN in name or (value and OPEN in value and name.lower() not in VALUE_ATTRIBUTES):
                self.found.token_problems.append(f"puts a clinic or patient value in the attribute '{name}'")
            if name == "style" and value:
                self.found.style_attributes.append(value)
        if tag not in _VOID:
            self._open.append((tag, frozenset(name for name, _ in attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self._open.pop()

    def handle_endtag(self, tag: str) -> None:
        if any(open_tag == tag for open_tag, _ in self._open):
            while self._open and self._open.pop()[0] != tag:
                pass

    def handle_data(self, data: str) -> None:
        raw = self._open[-1][0] if self._open else ""
        if raw in ("style", "script") and OPEN in data:
            self.found.token_problems.append(f"puts a clinic or patient value inside <{raw}>")
        if raw == "style":
            self.found.sheets.append(data)

    def handle_comment(self, data: str) -> None:
        if OPEN in data:
            self.found.token_problems.append("puts a clinic or patient value in a comment")
        if data.strip() == SLOT_COMMENT:
            self.found.slots.append(list(self._open))

    def unknown_decl(self, data: str) -> None:
        if OPEN in data:
            self.found.token_problems.append("puts a clinic or patient value in a declaration")

    def handle_decl(self, decl: str) -> None:
        self.unknown_decl(decl)

    def handle_pi(self, data: str) -> None:
        self.unknown_decl(data)
