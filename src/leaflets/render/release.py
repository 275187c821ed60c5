"""The release marks of a printed leaflet, made by our code and our own template, never by a clinic's.

A leaflet's template is given no release state at all (approval, sign-off, version, code, draft, out
of date): it cannot show a word only once approved. It marks, once, where the marks go: ``SLOT``, a
comment directly in ``<body>`` or in a ``<footer>`` of it. After the template has run and its text has
been fingerprinted, ``insert_marks`` puts there ``base/release.html`` (always ours): the page-margin
"about" line (code, version, review date, approval), the page numbers, the DRAFT or out-of-date
banner, and the end-of-leaflet status, approval, translation and version lines, with their ``@page``
rules in a ``<style>`` that comes after every other.
"""

from __future__ import annotations

from dataclasses import replace

from leaflets.errors import TemplateProblem
from leaflets.model.approvals import Standing
from leaflets.render.html import BASE_PREFIX, Leaflet, LeafletSandbox, render_template
from leaflets.render.scan import Scanned

SLOT = "<!--leaflets:release-->"
RELEASE_TEMPLATE = f"{BASE_PREFIX}/release.html"
_PLAIN_ATTRIBUTES = frozenset({"class", "id", "dir", "lang"})  # not hidden, aria-hidden, style ...
_SLOT_PARENTS = (["html", "body"], ["html", "body", "footer"])


def slot_problem(html: str, scanned: Scanned) -> str | None:
    """Why the marks could not go where the template put the slot: missing, twice, or inside
    something that could hide them (``scanned``: ``render.scan`` of ``html``)."""
    count = html.count(SLOT)
    if count != 1 or len(scanned.slots) != 1:
        return f"must mark once where the release lines go, with {SLOT} ({'twice' if count > 1 else 'missing'})"
    chain = scanned.slots[0]
    if [tag for tag, _ in chain] not in _SLOT_PARENTS or any(names - _PLAIN_ATTRIBUTES for _, names in chain[1:]):
        return f"must put {SLOT} directly in <body> or in a <footer> of it, with no attribute but class, id, dir or lang"
    return None


def check_slot(html: str, scanned: Scanned, template: str) -> None:
    if problem := slot_problem(html, scanned):
        raise TemplateProblem(f"template error: {problem}", template)


def as_draft(standing: Standing) -> Standing:
    """``standing`` with no approval and no sign-off: how a leaflet prints when what it prints differs."""
    return replace(standing, approval=None, signoff=None)


def insert_marks(html: str, leaflet: Leaflet, environment: LeafletSandbox, standing: Standing) -> str:
    """``html`` with the release marks of ``leaflet`` at ``standing`` at its slot (untranslated messages
    are noted by the caller's ``tracking_misses``)."""
    marks = render_template(environment, RELEASE_TEMPLATE, procedure=leaflet.procedure, language=leaflet.language,
                            release=standing, large_print=leaflet.large_print, out_of_date=leaflet.out_of_date)
    return html.replace(SLOT, marks, 1)
