"""The answers of the clinicians' page: its pages in the reader's language, PDFs, and the
pages that say why a leaflet cannot be had."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Response, abort, request

from leaflets.build.leaflet import pdf_name
from leaflets.model.project import RecordSummary
from leaflets.model.record import Procedure
from leaflets.render.html import render_template
from leaflets.render.qr import web_address
from leaflets.web.site import LOGGER, Listed, Site, language_label, printed_pages, state_of


def page(site: Site, template: str, status: int, **context: Any) -> Response:
    ui = page_language(site)
    language = site.languages[ui]
    html = render_template(
        site.pages[ui], template, clinic=site.clinic, language=language, ui=ui, languages=site.languages,
        label=lambda other: language_label(other, language), action=form_action(ui), packets=site.clinic.packets,
        font_cut=site.fonts.name_of(ui),
        translate=language.gettext, chosen_lang=context.pop("chosen_lang", ui),
        standing=lambda procedure, lang="en": state_of(site, procedure, lang),
        pages_of=lambda procedure, lang="en": printed_pages(site, procedure, lang),
        web_address=lambda procedure, lang: web_address(site.clinic, lang, procedure.id),  # issue 29
        leaflet_languages={code: site.languages.get(code) or site.broken[code] for code in site.clinic.languages
                           if code in site.languages or code in site.broken},
        large_print=context.pop("large_print", False), with_english=context.pop("with_english", False),
        packet_title=context.pop("packet_title", None), **context,
    )
    return Response(html, status=status, mimetype="text/html")


def page_language(site: Site) -> str:
    """The page's own language: ?ui=, else the browser's preference among the clinic's languages."""
    chosen = request.args.get("ui")  # forms carry it in their action URL, never read from a body here
    if chosen in site.languages:
        return chosen
    best = request.accept_languages.best_match([code.replace("_", "-") for code in site.languages])
    return best.replace("-", "_") if best else "en"


def form_action(ui: str) -> str:
    """Where the form posts: this address, with the page language, and nothing typed in it."""
    kept = [(key, value) for key, value in request.args.items(multi=True) if key in ("leaflet", "name")]
    return f"{request.path}?{urlencode(kept + [('ui', ui)])}"


def pdf_response(data: bytes, procedure_id: str, lang: str, personal: bool, made: str = "rendered") -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["X-Leaflets-Made"] = made  # how: from the batch build's PDF, or laid out anew
    response.headers["Content-Disposition"] = f'inline; filename="{procedure_id}-{lang}.pdf"'
    response.headers["Cache-Control"] = "no-store" if personal else "public, max-age=60"
    return response


def not_available(site: Site, procedure: Listed, lang: str, state: str, lines: list[str]) -> Response:
    if state == "broken":  # its catalog could not be loaded; the log said why when the server started
        return page(site, "web/refused.html", 503, procedure=procedure, refused_lang=lang, broken=True)
    if state == "refused":
        LOGGER.warning("translation refused: %s [%s]: %d string(s)", procedure.id, lang, len(lines))
        return page(site, "web/refused.html", 409, procedure=procedure, refused_lang=lang)
    LOGGER.error("could not build %s [%s]: %s", procedure.id, lang, lines[0] if lines else "?")
    return page(site, "web/error.html", 500, status_code=500)


def summary_or_404(site: Site, procedure_id: str) -> RecordSummary:
    """The record's summary, for an answer that needs no more (a prebuilt PDF): no whole record is read."""
    summary = site.summaries.get(procedure_id)
    if summary is None:
        abort(404)
    return summary


def procedure_or_404(site: Site, procedure_id: str) -> Procedure:
    procedure = site.procedures.get(procedure_id)
    if procedure is None:
        abort(404)
    return procedure


def pdf_url(procedure_id: str, lang: str, large_print: bool) -> str:
    return f"/pdf/{pdf_name(lang, procedure_id, large_print)}"
