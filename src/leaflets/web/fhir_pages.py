"""The FHIR R4 routes (read-only, ``fhir.py`` makes the resources) and the leaflet's web version
that each DocumentReference points to, as a Flask blueprint the application registers.

The web version's address comes from one function, ``web_version_url``: today the page serves it
itself (``/web/LANG/ID.html``, the HTML its PDF is made from); once the batch build publishes web
versions at the clinic's own address, that function is the one place to point elsewhere.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, request

from leaflets.build.manifest import approvals_digest
from leaflets.errors import LeafletError
from leaflets.model.approvals import Standing
from leaflets.model.cache import code_version
from leaflets.model.record import Procedure
from leaflets.web import fhir
from leaflets.web.infobutton import json_text
from leaflets.web.pagecount import size_and_sha1
from leaflets.web.pages import pdf_url, procedure_or_404
from leaflets.web.site import Site, the_site

routes = Blueprint("fhir", __name__)

# The web version serves the leaflet's own HTML: inline styles, its pictures from this page, nothing else.
WEB_VERSION_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
                   "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def web_version_url(site: Site, procedure_id: str, lang: str) -> str:
    """Where a leaflet's web version is read: the one address FHIR's attachment names. Served by
    this page for now (``web_page`` below); a published copy (dist/<clinic>/<lang>/<id>.html at the
    clinic's address) may take its place here."""
    return f"{request.host_url.rstrip('/')}/web/{lang}/{procedure_id}.html"


def web_version(site: Site, procedure: Procedure, lang: str) -> tuple[str, Standing] | None:
    """The leaflet's HTML in ``lang`` and its standing; None if that translation cannot be printed."""
    key = (procedure.id, lang, approvals_digest(site.project, procedure.id))
    with site.lock:
        if key not in site.web_versions:
            try:
                html, standing = site.builder.rendered(site.builder.leaflet(procedure, site.clinic, lang))
                site.web_versions[key] = fhir.public_html(html), standing
            except LeafletError:
                site.web_versions[key] = None
        return site.web_versions[key]


def fhir_document(site: Site, procedure: Procedure, lang: str) -> fhir.Document | None:
    made = web_version(site, procedure, lang)
    if made is None:
        return None
    html, standing = made
    language, base = site.languages[lang], request.host_url.rstrip("/")
    title = language.gettext(procedure.title)
    web = fhir.File.of(web_version_url(site, procedure.id, lang), "text/html", f"{title} (web version)", html.encode())
    files = []
    for large, what in ((False, "PDF"), (True, "PDF, large print")):
        current = site.current_pdf(procedure, lang, large)
        digest = size_and_sha1(current[0]) if current else None
        files.append(fhir.File(f"{base}{pdf_url(procedure.id, lang, large)}", "application/pdf", f"{title} ({what})",
                               *(digest or (None, None))))
    return fhir.Document(procedure.id, language.html_lang, title, language.gettext(procedure.summary), standing.version,
                         standing.released, procedure.review.written_on, procedure.codes, site.clinic.name,
                         (files[0], files[1], web))


def fhir_response(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json_text(body), status=status, mimetype=fhir.FHIR_JSON)


@routes.before_request
def fhir_format() -> Response | None:
    if request.path.startswith("/fhir/"):
        try:
            fhir.check_format(request.args.get("_format"))
        except fhir.FhirError as error:
            return fhir_response(fhir.outcome(error.code, error.diagnostics), error.status)
    return None


@routes.get("/fhir/metadata")
def fhir_metadata() -> Response:
    site = the_site()
    return fhir_response(fhir.capability_statement(request.host_url.rstrip("/"), site.clinic.name, code_version()))


@routes.get("/fhir/DocumentReference")
def fhir_search() -> Response:
    site = the_site()
    try:
        search = fhir.parse_search(request.args.items(multi=True))
    except fhir.FhirError as error:
        return fhir_response(fhir.outcome(error.code, error.diagnostics), error.status)
    tags = {code: language.html_lang for code, language in site.languages.items()}
    found = fhir.documents(site.summaries.values(), tags, search,  # a record is read whole only once its codes match
                           lambda record, lang: fhir_document(site, site.procedures[record.id], lang))
    return fhir_response(fhir.bundle(found, request.host_url.rstrip("/"), search))


@routes.get("/fhir/DocumentReference/<resource_id>")
def fhir_read(resource_id: str) -> Response:
    site = the_site()
    leaflet, tag = fhir.parse_id(resource_id) if "." in resource_id else ("", "")
    lang = tag.replace("-", "_")
    procedure = site.procedures.get(leaflet)
    document = fhir_document(site, procedure, lang) if procedure and lang in site.languages else None
    if document is None:
        return fhir_response(fhir.outcome("not-found", f"DocumentReference/{resource_id} is not known"), 404)
    return fhir_response(fhir.resource(document, request.host_url.rstrip("/")))


@routes.get("/fhir/<path:rest>")
def fhir_unknown(rest: str) -> Response:
    return fhir_response(fhir.outcome("not-supported", "only DocumentReference (read, search) and metadata are served"), 404)


@routes.get("/web/<lang>/<procedure_id>.html")
def web_page(lang: str, procedure_id: str) -> Response:
    """The leaflet as a web page: the HTML its PDF is made from (what FHIR's web-version attachment hashes)."""
    site = the_site()
    procedure = procedure_or_404(site, procedure_id)
    made = web_version(site, procedure, lang) if lang in site.languages else None
    if made is None:
        abort(404)
    response = Response(made[0], mimetype="text/html")
    response.headers["Content-Security-Policy"] = WEB_VERSION_CSP
    return response
