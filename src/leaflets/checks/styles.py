"""Styles and templates that could hide or disguise what a clinician approved.

Every stylesheet a leaflet is printed with (ours, a clinic's ``leaflet.css``, the ``<style>`` elements
and ``style`` attributes of a template's HTML) is held to one allow-list of properties and values:
nothing that hides text (``display: none``, ``visibility``, ``opacity``, clipping, overflow, tiny or
transparent type, colour too light to read, dark backgrounds, transforms, text pushed off the page),
nothing that adds words (``content`` with letters or digits, margin-box content, running elements,
strings), and no font or picture but ours. A rule not on the list is refused: a clinic's override is
refused by ``check`` and by the build, in one line naming its file and line.

A template may not name release state (``release``, ``draft``, ``approval`` ...): it is given none
(``render.release`` makes every release mark), and one that tries is refused the same way.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path

import jinja2
import tinycss2
import tinycss2.color3
from jinja2 import nodes
from tinycss2.ast import Node

from leaflets.render.scan import Scanned

RELEASE_NAMES = frozenset({"release", "draft", "signed_off", "signoff", "fingerprint", "approval", "approved",
                           "approved_by", "approved_on", "out_of_date", "standing", "status", "released", "review"})
RELEASE_PHRASES = ("approved by", "not yet approved", "this is a draft", "draft translation", "translation checked",
                   "out of date")
_LENGTH = re.compile(r"^(-?\d*\.?\d+)(pt|px|mm|cm|in|em|rem|ex|ch|%)?$")
_MIN_FONT = {"pt": 7.0, "px": 9.0, "mm": 2.5, "em": 0.6, "rem": 0.6, "%": 60.0}
_BASE: ContextVar[str] = ContextVar("stylesheet_folder", default="")
_OUR_PICTURES = frozenset({"images/bullet.png"})
_KEYWORDS = {
    "display": {"block", "inline", "inline-block", "flex", "grid", "list-item", "table", "table-row", "table-cell",
                "inline-flex", "flow-root"},
    "position": {"static", "relative"},
    "text-transform": {"none", "uppercase", "capitalize"},
    "white-space": {"normal", "pre-line", "pre-wrap", "nowrap", "pre"},
    "hyphens": {"manual", "none"},
    "word-break": {"normal"},
    "line-break": {"auto", "strict", "normal", "loose"},
    "overflow-wrap": {"normal", "anywhere", "break-word"},
    "float": {"left", "right", "none"},
    "clear": {"left", "right", "both", "none"},
    "list-style": {"none"},
    "text-decoration": {"none", "underline"},
    "font-style": {"normal", "italic"},
    "object-fit": {"contain", "fill"},
}
_FREE = {  # properties that cannot hide or add text, with any value (colours and lengths still checked)
    "font-weight", "text-align", "vertical-align", "orphans", "widows", "break-before", "break-after", "break-inside",
    "page-break-before", "page-break-after", "page-break-inside", "gap", "column-gap", "row-gap", "align-items",
    "justify-content", "flex", "flex-direction", "flex-wrap", "grid-template-columns", "counter-reset",
    "counter-increment", "border", "border-top", "border-bottom", "border-left", "border-right", "border-width",
    "border-left-width", "border-right-width", "border-top-width", "border-bottom-width", "border-color",
    "border-style", "border-radius", "width", "height", "min-width", "min-height", "max-width", "max-height",
    "background-repeat", "background-position", "background-size", "size", "margin-inline-end",
    "margin-inline-start", "padding-inline-start", "padding-inline-end",
}
_NON_NEGATIVE = {"margin", "margin-top", "margin-bottom", "margin-left", "margin-right", "padding", "padding-top",
                 "padding-bottom", "padding-left", "padding-right", "letter-spacing", "word-spacing", "text-indent"}
_PSEUDO_ONLY = {"content", "left", "right", "top", "bottom"}  # and position: absolute, for ::before and ::after


def stylesheet_problems(css: str, base: str = "") -> list[tuple[int, str]]:
    """Each rule of ``css`` that could hide, add or disguise text: (line, why). ``base``: the folder of the
    stylesheet under templates/ ("clinics/x/"), which its addresses are relative to."""
    rules = tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True)
    token = _BASE.set(base)
    try:
        return list(_rules_problems(rules, in_page=False))
    finally:
        _BASE.reset(token)


def declarations_problems(css: str) -> list[tuple[int, str]]:
    """``stylesheet_problems`` of a ``style`` attribute's declarations."""
    return list(_declarations(tinycss2.parse_blocks_contents(css, skip_whitespace=True, skip_comments=True), "", False))


def html_style_problems(scanned: Scanned) -> list[str]:
    """``stylesheet_problems`` of every ``<style>`` and ``style`` attribute of a template's HTML (``render.scan``)."""
    found = [why for css in scanned.sheets for _, why in stylesheet_problems(css)]
    return found + [why for css in scanned.style_attributes for _, why in declarations_problems(css)]


def template_problems(source: str, environment: jinja2.Environment) -> list[tuple[int, str]]:
    """Where a template's source names release state (it is given none, so this is an attempt)."""
    try:
        tree = environment.parse(source)
    except jinja2.TemplateSyntaxError:
        return []  # reported, with its line, when the template is rendered
    found = []
    for data in tree.find_all((nodes.TemplateData, nodes.Const)):
        text = " ".join(str(getattr(data, "data", getattr(data, "value", ""))).lower().split())
        if any(phrase in text for phrase in RELEASE_PHRASES):
            found.append((data.lineno, "writes words of a release line (approval, draft, out of date): only our own "
                                       "release lines say them"))
    for node in tree.find_all((nodes.Name, nodes.Getattr, nodes.Const, nodes.Keyword)):
        name = {nodes.Name: "name", nodes.Getattr: "attr", nodes.Const: "value", nodes.Keyword: "key"}[type(node)]
        value = getattr(node, name)
        if isinstance(value, str) and value.strip().lower() in RELEASE_NAMES:
            found.append((node.lineno, f"names '{value}': a template is given no release state and may not "
                                       "branch on it (the release lines are ours)"))
    return found


def file_problems(path: Path, environment: jinja2.Environment, templates: Path) -> list[tuple[int, str]]:
    """``template_problems`` of a template file, or ``stylesheet_problems`` of a stylesheet, in ``templates``."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix != ".css":
        return template_problems(text, environment)
    folder = path.parent.resolve().relative_to(templates.resolve()).as_posix()
    return stylesheet_problems(text, "" if folder == "." else folder + "/")


def _ours(url: str) -> str:
    """``url`` as a path under templates/ (``..`` resolved)."""
    return posixpath.normpath(posixpath.join(_BASE.get(), url))


def _rules_problems(rules: list[Node], in_page: bool) -> Iterator[tuple[int, str]]:
    for rule in rules:
        if rule.type == "error":
            yield rule.source_line, f"cannot be read as CSS ({rule.message})"
        elif rule.type == "at-rule":
            yield from _at_rule(rule, in_page)
        elif rule.type == "qualified-rule":
            selector = tinycss2.serialize(rule.prelude).strip()
            yield from _declarations(tinycss2.parse_blocks_contents(rule.content, skip_whitespace=True,
                                                                   skip_comments=True), selector, in_page)


def _at_rule(rule: Node, in_page: bool) -> Iterator[tuple[int, str]]:
    keyword = rule.lower_at_keyword
    if keyword == "font-face":
        yield from _font_face(rule)
    elif keyword == "page" or (in_page and keyword.startswith(("top-", "bottom-", "left-", "right-"))):
        contents = tinycss2.parse_blocks_contents(rule.content or [], skip_whitespace=True, skip_comments=True)
        yield from _declarations([c for c in contents if c.type == "declaration"], f"@{keyword}", True)
        yield from _rules_problems([c for c in contents if c.type != "declaration"], True)
    else:
        yield rule.source_line, f"@{rule.at_keyword} is not allowed in a leaflet's style"


def _font_face(rule: Node) -> Iterator[tuple[int, str]]:
    for declaration in tinycss2.parse_blocks_contents(rule.content or [], skip_whitespace=True, skip_comments=True):
        if declaration.type == "declaration" and declaration.lower_name == "src":
            urls = [token.value for token in declaration.value if token.type == "url"]
            if not urls or any(not re.fullmatch(r"fonts/[A-Za-z0-9._-]+\.(ttf|otf)", _ours(url)) for url in urls):
                yield declaration.source_line, "@font-face may use only the fonts shipped in templates/fonts/"


def _declarations(items: list[Node], selector: str, in_page: bool) -> Iterator[tuple[int, str]]:
    pseudo = bool(selector) and all(part.strip().endswith(("::before", "::after")) for part in selector.split(","))
    for item in items:
        if item.type != "declaration":
            if item.type != "error" or item.message != "EOF reached before {} block for a qualified rule.":
                yield item.source_line, f"'{tinycss2.serialize([item]).strip()[:60]}' is not a declaration allowed here"
            continue
        if why := declaration_problem(item.lower_name, item.value, item.important, pseudo, selector if in_page else ""):
            shown = tinycss2.serialize(item.value).strip()[:60]
            yield item.source_line, f"{selector or 'style'} {{ {item.name}: {shown} }}: {why}"


def declaration_problem(name: str, value: list[Node], important: bool, pseudo: bool, selector: str) -> str | None:
    """Why one declaration is not allowed, or None."""
    if important:
        return "!important is not allowed"
    tokens = [token for token in value if token.type not in ("whitespace", "comment")]
    words = [token.lower_value for token in tokens if token.type == "ident"]
    if name in _PSEUDO_ONLY or (name == "position" and words == ["absolute"]):
        return None if pseudo and _generated_only(name, tokens) else "may add or move text; not allowed here"
    if name == "--accent":
        return None if len(tokens) == 1 and tokens[0].type == "hash" else "must be a colour such as #1f4e79"
    margin = name in ("margin", "margin-top", "margin-bottom")
    if selector == "@page" and margin and not all(_length_at_least(t, 10, "mm") for t in tokens):
        return "a page margin under 10 mm leaves no room for the release lines"
    checker = _CHECKS.get(name)
    if checker is not None:
        return checker(tokens)
    if name in _KEYWORDS:
        return None if words and all(word in _KEYWORDS[name] for word in words) and len(words) == len(tokens) else \
            f"allowed values: {', '.join(sorted(_KEYWORDS[name]))}"
    if name.startswith("border") and "radius" not in name and not all(_length_at_most(t, 8.5) for t in tokens):
        return "a border wider than 8.5pt could cover text"
    if name in _FREE or name in _NON_NEGATIVE:
        return _shapes_only(tokens, negative_ok=name not in _NON_NEGATIVE)
    return "not a property a leaflet's style may set (it could hide or disguise text)"


def _generated_only(name: str, tokens: list[Node]) -> bool:
    """``content`` of punctuation, spaces and counters only; positions of generated boxes."""
    if name != "content":
        return True
    for token in tokens:
        if token.type == "string" and any(ch.isalnum() for ch in token.value):
            return False
        if token.type == "function" and token.lower_name not in ("counter",):
            return False
        if token.type not in ("string", "function"):
            return False
    return True


def _shapes_only(tokens: list[Node], negative_ok: bool = True) -> str | None:
    for token in tokens:
        if token.type in ("number", "percentage", "dimension") and not negative_ok and token.value < 0:
            return "may not be negative (it would move text out of sight)"
        if token.type == "url" or (token.type == "function" and token.lower_name not in ("var", "minmax", "calc")):
            return "may not use pictures or functions here"
        if token.type == "function" and token.lower_name == "var" and tinycss2.serialize(token.arguments).strip() != "--accent":
            return "may use only var(--accent)"
    return None


def _colour(dark: bool) -> Callable[[list[Node]], str | None]:
    """A text colour dark enough to read on white, or a background light enough to read dark text on."""
    def check(tokens: list[Node]) -> str | None:
        for token in tokens:
            if token.type == "url":
                if _ours(token.value) not in _OUR_PICTURES:
                    return "may use only our own pictures (images/bullet.png)"
                continue
            colour = tinycss2.color3.parse_color(token)
            if token.type in ("function", "hash") or (token.type == "ident" and colour is not None):
                if colour is None or isinstance(colour, str):
                    return "must be a colour written as #rrggbb"
                if colour.alpha < 1 or (_contrast_on_white(colour) < 4.5 if dark else _contrast_on_white(colour) > 1.6):
                    return "too light to read" if dark else "a background too dark to read text on"
        return None
    return check


def _contrast_on_white(colour: tinycss2.color3.RGBA) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    luminance = 0.2126 * linear(colour.red) + 0.7152 * linear(colour.green) + 0.0722 * linear(colour.blue)
    return 1.05 / (luminance + 0.05)


def _font_size(tokens: list[Node]) -> str | None:
    if len(tokens) == 1 and tokens[0].type == "ident" and tokens[0].lower_value in ("small", "medium", "large", "inherit"):
        return None
    if len(tokens) != 1 or not any(_length_at_least(tokens[0], low, unit) for unit, low in _MIN_FONT.items()):
        return "too small to read (at least 7pt, 0.6em or 60%)"
    return None


def _line_height(tokens: list[Node]) -> str | None:
    if len(tokens) == 1 and ((tokens[0].type == "number" and tokens[0].value >= 1) or
                             (tokens[0].type == "ident" and tokens[0].lower_value == "normal")):
        return None
    return "must be a number of at least 1 (lines would overlap)"


def _font_family(tokens: list[Node]) -> str | None:
    names = [token.value for token in tokens if token.type == "string"]
    idents = [token.lower_value for token in tokens if token.type == "ident"]
    if any(not name.startswith("Leaflet ") for name in names) or any(i not in ("sans-serif", "serif") for i in idents):
        return "may name only the fonts shipped with leaflets (\"Leaflet Sans\" ...)"
    return None


def _length_at_least(token: Node, low: float, unit: str) -> bool:
    if token.type == "dimension":
        return bool(token.lower_unit == unit and token.value >= low)
    if token.type == "percentage":
        return bool(unit == "%" and token.value >= low)
    return bool(token.type == "number" and token.value == 0 and low == 0)


_PT = {"pt": 1.0, "mm": 2.835, "px": 0.75, "em": 12.0, "rem": 12.0, "cm": 28.35}


def _length_at_most(token: Node, points: float) -> bool:
    """A token that is not a length, or one of at most ``points`` (an em taken as 12pt)."""
    if token.type != "dimension":
        return bool(token.type != "percentage")
    return bool(token.lower_unit in _PT and token.value * _PT[token.lower_unit] <= points)


_CHECKS: dict[str, Callable[[list[Node]], str | None]] = {
    "color": _colour(dark=True), "background": _colour(dark=False), "background-color": _colour(dark=False),
    "background-image": _colour(dark=False), "font-size": _font_size, "line-height": _line_height,
    "font-family": _font_family, "font": lambda tokens: "set font-size and font-family on their own",
}
