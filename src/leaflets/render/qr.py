"""A leaflet's web version: its address under the clinic's ``published_at``, and that address as a QR
code, drawn as vector paths (segno) that the PDF prints beside the short address.

The web version of ``<lang>/<id>.pdf`` is ``<lang>/<id>.html`` in the same ``dist/<clinic>/``, so
its address is ``<published_at><clinic>/<lang>/<id>.html``.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import segno

from leaflets.model.clinic import Clinic
from leaflets.render.tokens import token

ERROR_CORRECTION = "m"  # 15 % of the code may be smudged or folded and it still reads
QUIET_ZONE = 4  # modules of white around the code, as the standard asks


@dataclass(frozen=True)
class QrCode:
    """A QR code's drawing; the template makes it an <svg> with its (translated) title."""

    view_box: str
    path: str  # one path of horizontal strokes, one module wide


def page_name(lang: str, procedure_id: str, release: str | None = None) -> str:
    """A leaflet's web version under ``dist/<clinic>/``: ``<lang>/<id>.html``, always its newest build;
    with ``release`` (the 8 characters an approved release prints), that release's own page,
    ``<lang>/<id>-<release>.html``, kept when newer releases come and marked as older."""
    return f"{lang}/{procedure_id}{'-' + release if release else ''}.html"


def web_address(clinic: Clinic, lang: str, procedure_id: str, release: str | None = None) -> str | None:
    """Where the web version of a leaflet (or of one of its releases) is published, or None if the
    clinic does not say."""
    if clinic.published_at is None:
        return None
    return f"{clinic.published_at}{clinic.id}/{page_name(lang, procedure_id, release)}"


def short_address(address: str) -> str:
    """The address as printed for typing: without ``https://``."""
    return address.removeprefix("https://")


@lru_cache(maxsize=512)
def qr_code(text: str) -> QrCode:
    """``text`` as a QR code (the smallest version that holds it)."""
    code = segno.make(text, error=ERROR_CORRECTION, micro=False, boost_error=False)
    svg = io.BytesIO()
    code.save(svg, kind="svg", scale=1, border=QUIET_ZONE, xmldecl=False, svgns=False, omitsize=True)
    drawing = svg.getvalue().decode("ascii")
    view_box = re.search(r'viewBox="([^"]+)"', drawing)
    path = re.search(r' d="([^"]+)"', drawing)
    assert view_box is not None and path is not None, "segno's SVG changed its shape"
    return QrCode(view_box.group(1), path.group(1))


def web_version(clinic: Clinic, lang: str, procedure_id: str, release: str | None = None) -> dict[str, Any]:
    """What a leaflet's template is given about its web version: the address, short and in full,
    and its QR code; all None when the clinic does not say where ``dist/`` is published. An approved
    release (``release``: its code) points to its own page, which says so once a newer one exists."""
    address = web_address(clinic, lang, procedure_id, release)
    if address is None:
        return {"web_address": None, "short_address": None, "web_qr": None}
    return {"web_address": address, "short_address": short_address(address), "web_qr": qr_code(address)}


def web_version_tokens(clinic: Clinic) -> dict[str, Any]:
    """``web_version`` as a printed leaflet's template is given it: tokens, whose values (``web_version_values``)
    depend on the release and are put in after the leaflet is fingerprinted."""
    if clinic.published_at is None:
        return {"web_address": None, "short_address": None, "web_qr": None}
    return {"web_address": token("web.address"), "short_address": token("web.short_address"),
            "web_qr": QrCode(token("web.qr.view_box"), token("web.qr.path"))}


def web_version_values(clinic: Clinic, lang: str, procedure_id: str, release: str | None) -> dict[str, str]:
    """The values of ``web_version_tokens``: the address of the leaflet (or of its approved ``release``)."""
    version = web_version(clinic, lang, procedure_id, release)
    if version["web_address"] is None:
        return {}
    return {"web.address": version["web_address"], "web.short_address": version["short_address"],
            "web.qr.view_box": version["web_qr"].view_box, "web.qr.path": version["web_qr"].path}
