"""The clinicians' page: find a leaflet, personalise it, print it.

A thin door over the same functions as the command line. Flask serves the
pages; waitress (a production WSGI server in pure Python) serves Flask. The
render workers are forked (``workers.py``), so the page runs on Linux and
macOS, not on Windows. Unpersonalised PDFs come
from the batch build's output when it is current; personalised ones are
rendered on demand by warm worker processes and never stored. Patient details
travel only in a POST body: never in a URL, a log line or a file.
"""

from __future__ import annotations

import _thread
import hashlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
from flask import Blueprint, Flask, Response, abort, current_app, redirect, request, send_file, send_from_directory
from werkzeug.exceptions import HTTPException

from leaflets.build.leaflet import LARGE_PRINT_SUFFIX, Builder, packet_leaflets, pdf_name
from leaflets.build.manifest import ManifestReader, approvals_digest, leaflet_input_key, shared_inputs
from leaflets.build.workers import WorkerLost, WorkerPool, keep_warm, warm
from leaflets.errors import LeafletError, UsageError, refused_or_failed
from leaflets.language.i18n import Language, parse_locale
from leaflets.model.approvals import Standing
from leaflets.model.characters import isolated
from leaflets.model.content import Clinic, Procedure, Project
from leaflets.render import webfonts
from leaflets.render.html import PatientDetails, PersonalError, make_environment, parse_personal, render_template
from leaflets.render.qr import web_address
from leaflets.web import infobutton
from leaflets.web.search import Entry, did_you_mean, find, fold, make_entry

LOGGER = logging.getLogger("leaflets.web")
MAX_REQUEST_BYTES = 16 * 1024
MAX_HEADER_BYTES = 32 * 1024
# The form asks for the appointment as a date and a time, each with the browser's own picker.
FORM_FIELDS = tuple(name for detail in PatientDetails.helps() for name in
                    (("date", "time") if detail == "appointment" else (detail,)))


@dataclass(frozen=True)
class Site:
    """What every request reads; built once when the server starts, never changed after."""

    project: Project
    clinic: Clinic
    procedures: dict[str, Procedure]
    languages: dict[str, Language]
    broken: dict[str, Language]  # the clinic's languages whose catalogs cannot be used: named, never built
    pages: dict[str, jinja2.Environment]  # one environment per page language: no shared mutable state
    search_entries: list[Entry]
    shared_key: str
    stamp: tuple[int, int]  # of the files it was made from: when it changes, the site is made again
    font_cuts: dict[str, frozenset[str]]  # the page fonts' cuts by name: the characters each keeps
    font_cut_of: dict[str, str]  # the cut a page in each language uses
    manifest: ManifestReader  # the batch build's manifest, read again only when it changes
    builder: Builder  # for the leaflets' states (approved, draft ...), worked out as they are asked for
    standings: dict[tuple[str, str, str | None], Standing | None] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def content_stamp(project: Project) -> tuple[int, int]:
    """The newest change time and the number of the files the page is made from: records, clinic
    files, catalogs and templates. A few dozen stat calls: cheap enough for every request."""
    newest, count = 0, 0
    for folder, pattern in ((project.content, "*.yaml"), (project.locales, "*.po"), (project.templates, "*.html"),
                            (project.templates, "*.css")):
        for path in folder.rglob(pattern):
            try:
                newest = max(newest, path.stat().st_mtime_ns)
            except OSError:
                continue  # removed while we looked: the next request sees the folder as it is
            count += 1
    return newest, count


def make_site(project: Project, clinic_id: str) -> Site:
    """Everything the page serves. A broken catalog or record is logged and stops only its own leaflets."""
    stamp = content_stamp(project)
    clinic = project.load_clinic(clinic_id)
    builder = Builder(project)
    languages, broken = {}, {}
    for code in clinic.languages:
        try:
            languages[code] = builder.language(code)
        except LeafletError as exc:
            for line in exc.errors:
                LOGGER.error("language %s cannot be served: %s", code, line)
            broken[code] = Language(code, parse_locale(code))
    loaded, problems = project.load_each_procedure()
    for problem in problems:
        LOGGER.error("record cannot be served: %s", problem)
    procedures = {p.id: p for p in loaded}
    pages = {}
    for code, language in languages.items():
        environment = make_environment(project.templates, clinic.id, language)
        environment.filters["translate"] = language.gettext
        environment.filters["title_of"] = lambda leaflet_id, language=language: (
            language.gettext(procedures[leaflet_id].title) if leaflet_id in procedures else leaflet_id)
        pages[code] = environment
    entries = [
        make_entry(p.id, [language.gettext(text) for language in languages.values()
                          for text in (p.title, *p.also_called, *p.search_terms)], p.codes.values())
        for p in procedures.values()
    ]
    messages = web_messages(project.templates)
    cut_of = {code: page_characters(language, languages, procedures.values(), clinic, messages)
              for code, language in languages.items()}
    cuts = {hashlib.sha256("".join(sorted(chars)).encode()).hexdigest()[:12]: chars for chars in cut_of.values()}
    by_chars = {chars: name for name, chars in cuts.items()}
    return Site(project, clinic, procedures, languages, broken, pages, entries, shared_inputs(project, clinic), stamp,
                cuts, {code: by_chars[chars] for code, chars in cut_of.items()}, ManifestReader(project.dist_for(clinic.id)),
                builder)


def standing_of(site: Site, procedure: Procedure, lang: str) -> Standing | None:
    """Whether the leaflet is approved (and its translation signed off) now; None if it cannot be made."""
    key = (procedure.id, lang, approvals_digest(site.project, procedure.id))
    with site.lock:
        if key not in site.standings:
            try:
                site.standings[key] = site.builder.rendered(site.builder.leaflet(procedure, site.clinic, lang))[1]
            except LeafletError:
                site.standings[key] = None
        return site.standings[key]


def web_messages(templates: Path) -> list[str]:
    """The words of the page's own templates (templates/web/), as Babel extracts them."""
    from babel.messages.extract import extract_from_file

    options = {"extensions": "jinja2.ext.i18n", "trimmed": "true", "newstyle_gettext": "true"}
    messages: list[str] = []
    for path in sorted((templates / "web").glob("*.html")):
        for _, message, _, _ in extract_from_file("jinja2.ext.babel_extract", str(path), options=options):
            messages.append(message if isinstance(message, str) else message[1])  # a plural: its "many" form
    return messages


def page_characters(language: Language, languages: dict[str, Language], procedures: Any, clinic: Clinic,
                    messages: list[str]) -> frozenset[str]:
    """Every character a page in ``language`` may show: its catalog, every language's name, the
    leaflets' titles, other names and summaries, the clinic's words, and the Latin letters names are typed in."""
    texts = [language.gettext(message) for message in messages]
    texts += [language_label(other, language) for other in languages.values()]
    texts += [language.gettext(text) for p in procedures for text in (p.title, p.summary, *p.also_called, *p.search_terms)]
    texts += [clinic.name, *(packet.title for packet in clinic.packets.values())]
    months = language.locale.months["format"]["wide"].values()
    texts += [*months, *(language.date(p.review.review_due) for p in procedures), language.date(date(2027, 1, 1))]
    return webfonts.TYPED | frozenset("".join(texts))


# -- rendering in warm worker processes --------------------------------------------------------------


def _start_renderer(builder: Builder, clinic_id: str) -> None:
    project = builder.project
    clinic = project.load_clinic(clinic_id)
    keep_warm(builder=builder, clinic=clinic, stamp=content_stamp(project))
    for procedure_id in project.procedure_ids()[:3]:  # one render warms the fonts and the text shaper
        try:
            builder.pdf(builder.leaflet(project.load_procedure(procedure_id), clinic, "en"))
            return
        except LeafletError:
            continue  # a broken record: logged when the server started


def _fresh_builder(stamp: tuple[int, int]) -> Builder:
    """The worker's builder, its catalogs and clinic read again if the files changed since its last job."""
    builder: Builder = warm("builder")
    if warm("stamp") != stamp:
        builder.forget_languages()
        keep_warm(builder=builder, clinic=builder.project.load_clinic(warm("clinic").id), stamp=stamp)
    return builder


def _render(procedure_ids: list[str], lang: str, large_print: bool, fields: dict[str, str | None],
            with_english: bool = False, stamp: tuple[int, int] = (0, 0)) -> tuple[str, Any]:
    """In a worker: ("pdf", bytes), ("refused", lines) or ("failed", lines). Never raises to the pool.
    Several procedures, or ``with_english``, make one PDF of several leaflets."""
    builder = _fresh_builder(stamp)
    try:
        procedures = [builder.project.load_procedure(procedure_id) for procedure_id in procedure_ids]
        personal = parse_personal(fields, builder.project.fonts)
        leaflets = packet_leaflets(builder, procedures, warm("clinic"), lang, large_print, personal, with_english)
        return "pdf", builder.combined_pdf(leaflets)
    except LeafletError as exc:
        return refused_or_failed(exc), [str(e) for e in exc.errors]


def _personalise(prebuilt: str, blank_fields: dict[str, list[float]], lang: str, large_print: bool,
                 fields: dict[str, str | None], stamp: tuple[int, int] = (0, 0)) -> bytes | None:
    """In a worker: the patient's details written onto a prebuilt leaflet, or None if they do not fit."""
    builder = _fresh_builder(stamp)
    language = builder.language(lang)
    personal = parse_personal(fields, builder.project.fonts)
    values = {name: isolated(text) for name, text in personal.texts().items()}
    if personal.appointment is not None:
        appointment = language.datetime(personal.appointment)
        values["appointment"] = f"\u2068{appointment}\u2069" if language.direction == "rtl" else appointment
    renderer = builder.renderer(warm("clinic").id)
    data = Path(prebuilt).read_bytes()
    return renderer.personalise(data, blank_fields, values, language.html_lang, language.direction, large_print)


def make_pool(project: Project, clinic_id: str, workers: int | None = None) -> WorkerPool:
    """Warm renderer processes (see ``workers.py``). They share the parent's renderer, so the fonts'
    temporary copies are the parent's, removed when it stops; a worker cleans up nothing."""
    builder = Builder(project)
    builder.renderer(clinic_id)
    # a request is tried on up to three workers: one killed just before it arrived costs it a try
    return WorkerPool(workers or os.cpu_count() or 1, start=_start_renderer, start_args=(builder, clinic_id), retries=2)


class PoolStarting:
    """The render workers, started in the background so the page answers at once (search pages and
    prebuilt PDFs need no worker); a request that needs one waits until they are warm.

    ``ready`` is called once they are; ``failed`` if they cannot start (a clinic's stylesheet that
    reaches outside the project, say), after which ``failure`` holds why."""

    def __init__(self, project: Project, clinic_id: str, ready: Callable[[], None], failed: Callable[[], None]):
        self._ready = threading.Event()
        self._pool: WorkerPool | None = None
        self.failure: BaseException | None = None
        threading.Thread(target=self._start, args=(project, clinic_id, ready, failed), name="leaflets-pool",
                         daemon=True).start()

    def _start(self, project: Project, clinic_id: str, ready: Callable[[], None], failed: Callable[[], None]) -> None:
        try:
            self._pool = make_pool(project, clinic_id)
        except BaseException as exc:
            self.failure = exc
        finally:
            self._ready.set()
        (ready if self._pool is not None else failed)()

    def apply(self, function: Any, *args: Any) -> Any:
        self._ready.wait()
        if self._pool is None:
            raise WorkerLost(f"the render workers could not start: {self.failure}")
        return self._pool.apply(function, *args)

    def close(self) -> None:
        self._ready.wait()
        if self._pool is not None:
            self._pool.close()


# -- the application -----------------------------------------------------------------------------


pages = Blueprint("leaflets", __name__)


def create_app(
    project: Project, clinic_id: str, pool: WorkerPool | PoolStarting | None = None, hosts: set[str] | None = None
) -> Flask:
    """The page. ``hosts``: the Host names it answers to (all when None, as for Flask's test client)."""
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.config["LEAFLETS_HOSTS"] = hosts
    app.extensions["leaflets"] = {"site": make_site(project, clinic_id), "pool": pool or make_pool(project, clinic_id),
                                  "lock": threading.Lock(), "clinic_id": clinic_id}
    app.register_blueprint(pages)
    return app


def _loggable(path: str) -> str:
    """A path that cannot forge a log line: control characters and line breaks written as escapes."""
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}"
                   for ch in path[:300])


def the_site() -> Site:
    """The site as the files are now: made again after a record, catalog, template or clinic file changed."""
    state = current_app.extensions["leaflets"]
    site: Site = state["site"]
    stamp = content_stamp(site.project)
    if stamp not in (site.stamp, state.get("unusable")):
        with state["lock"]:
            if stamp != state["site"].stamp:
                try:
                    state["site"] = make_site(site.project, state["clinic_id"])
                except LeafletError as exc:  # a clinic file half-edited: keep serving what we had
                    state["unusable"] = stamp  # said once, not on every request
                    LOGGER.error("content changed but cannot be served: %s", exc.errors[0])
        site = state["site"]
    return site


def the_pool() -> WorkerPool:
    return current_app.extensions["leaflets"]["pool"]


@pages.before_app_request
def start_timer_and_refuse_strangers() -> Response | None:
    """Only this page may make it print (no cross-site form posts), and only under its own name
    (no DNS rebinding)."""
    request.environ["leaflets.started"] = time.perf_counter()
    if sum(len(name) + len(value) for name, value in request.headers.items()) > MAX_HEADER_BYTES:
        abort(431)
    hosts = current_app.config["LEAFLETS_HOSTS"]
    if hosts is not None and request.host.lower() not in hosts:
        abort(400)
    if request.method == "POST" and _cross_site():
        abort(403)
    return None


def _cross_site() -> bool:
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return True
    origin = request.headers.get("Origin")
    return origin is not None and urlsplit(origin).netloc.lower() != request.host.lower()


@pages.after_app_request
def headers_and_log(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self'; "
                                "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" even on our own
    # form posts, and the cross-site check could no longer tell them from a stranger's
    response.headers["Referrer-Policy"] = "same-origin"
    if request.method == "POST" or request.path.startswith(("/leaflet/", "/packet")):
        # what answers a POST may show what was typed; a form is never kept (nor in the back-forward
        # cache) with what was typed into it
        response.headers["Cache-Control"] = "no-store"
    started = request.environ.get("leaflets.started", time.perf_counter())
    # The path only: never the query string or the body, where patient details could be.
    LOGGER.info("%s %s %s %.0f ms", request.method, _loggable(request.path), response.status_code,
                (time.perf_counter() - started) * 1000)
    return response


@pages.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    return page(the_site(), "web/error.html", error.code or 500, status_code=error.code or 500)


@pages.get("/")
def search() -> Response:
    site = the_site()
    query = request.args.get("q", "").strip()[:100]
    found = [site.procedures[leaflet_id] for leaflet_id in find(query, site.search_entries)]
    if not query:
        found.sort(key=lambda p: p.id)
    suggestions = did_you_mean(query, site.search_entries) if query and not found else []
    return page(site, "web/search.html", 200, query=query, found=found, suggestions=suggestions)


@pages.get("/leaflet/<procedure_id>")
def leaflet_form(procedure_id: str) -> Response:
    site = the_site()
    procedure = procedure_or_404(site, procedure_id)
    chosen = request.args.get("lang")  # an EHR's link (the Infobutton) may choose the leaflet's language
    return page(site, "web/leaflet.html", 200, procedures=[procedure], values={}, errors={},
                **({"chosen_lang": chosen} if chosen in site.languages else {}))


@pages.post("/leaflet/<procedure_id>")
def create_leaflet(procedure_id: str) -> Response:
    site = the_site()
    return create(site, [procedure_or_404(site, procedure_id)])


@pages.get("/packet")
def packet_form() -> Response:
    site = the_site()
    procedures, title = packet_or_404(site)
    return page(site, "web/leaflet.html", 200, procedures=procedures, packet_title=title, values={}, errors={})


@pages.post("/packet")
def create_packet() -> Response:
    site = the_site()
    procedures, title = packet_or_404(site)
    return create(site, procedures, title)


def packet_or_404(site: Site) -> tuple[list[Procedure], str | None]:
    """The leaflets a packet address names: ``?name=`` a clinic's packet, or ``?leaflet=`` several times."""
    name = request.args.get("name")
    if name is not None:
        packet = site.clinic.packets.get(name)
        if packet is None:
            abort(404)
        ids, title = packet.leaflets, packet.title
    else:
        ids, title = list(dict.fromkeys(request.args.getlist("leaflet")))[:20], None
    if not ids:
        abort(404)
    return [procedure_or_404(site, procedure_id) for procedure_id in ids], title


def create(site: Site, procedures: list[Procedure], packet_title: str | None = None) -> Response:
    """The PDF the form asks for: one leaflet, a packet, either with the English leaflets, with or
    without the patient's details. What was typed is shown again if it cannot be made."""
    pool = the_pool()
    instead = request.form.get("instead")  # a refused translation's form offers English instead
    lang = "en" if instead == "en" else request.form.get("lang", "en")
    large_print = request.form.get("print") == "large"
    with_english = request.form.get("with_english") == "yes" and lang != "en" and instead != "en"
    values = {name: request.form.get(name, "") for name in FORM_FIELDS}
    again = {"procedures": procedures, "packet_title": packet_title, "values": values, "chosen_lang": lang,
             "large_print": large_print, "with_english": with_english}
    if lang in site.broken:
        return page(site, "web/leaflet.html", 503, errors={}, refused_lang=lang, broken=True, **again)
    if lang not in site.languages:
        abort(404)
    errors, fields = personal_fields(values, site.project.fonts)
    if errors:
        return page(site, "web/leaflet.html", 400, errors=errors, **again)
    ids = [procedure.id for procedure in procedures]
    if len(procedures) == 1 and not with_english:
        procedure = procedures[0]
        if not any(fields.values()):
            return redirect(pdf_url(procedure.id, lang, large_print), code=303)
        prebuilt = current_pdf(site, procedure, lang, large_print)
        if prebuilt is not None and prebuilt[1]:
            quick = in_worker(pool, _personalise, str(prebuilt[0]), prebuilt[1], lang, large_print, fields, site.stamp)
            if isinstance(quick, bytes):
                return pdf_response(quick, procedure.id, lang, personal=True, made="prebuilt-with-details")
    state, result = in_worker(pool, _render, ids, lang, large_print, fields, with_english, site.stamp)
    name = ids[0] if len(ids) == 1 else "packet"
    if state == "pdf":
        return pdf_response(result, name + ("-with-english" if with_english else ""), lang,
                            personal=any(fields.values()), made="rendered")
    if state == "refused":
        LOGGER.warning("translation refused: %s [%s]", " ".join(ids), lang)
        return page(site, "web/leaflet.html", 409, errors={}, refused_lang=lang, **again)
    LOGGER.error("could not build %s [%s]: %s", " ".join(ids), lang, result[0] if result else "?")
    return page(site, "web/error.html", 500, status_code=500)


@pages.get("/infobutton")
def knowledge_request() -> Response:
    """HL7 Infobutton (URL-based knowledge request): an EHR links from an order to the leaflet."""
    site = the_site()
    try:
        asked = infobutton.parse_request(request.args)
    except infobutton.BadRequest as problem:
        return Response(f"{problem}\n", status=400, mimetype="text/plain")
    entries = []
    lang = infobutton.served_language(asked, site.languages)
    for procedure in site.procedures.values() if lang else ():
        if infobutton.matches(asked, procedure.codes):
            language = site.languages[lang]
            entries.append(infobutton.FeedEntry(
                id=procedure.id, title=language.gettext(procedure.title), summary=language.gettext(procedure.summary),
                lang=language.html_lang, updated=procedure.review.written_on,
                form=f"{request.host_url}leaflet/{procedure.id}?lang={lang}",
                pdf=f"{request.host_url}pdf/{pdf_name(lang, procedure.id, False)}"))
    body, mimetype = infobutton.respond(asked, entries, site.clinic.name, request.url)
    return Response(body, mimetype=mimetype)


@pages.get("/pdf/<lang>/<name>.pdf")
def prebuilt(lang: str, name: str) -> Response:
    site = the_site()
    large_print = name.endswith(LARGE_PRINT_SUFFIX)
    procedure = procedure_or_404(site, name.removesuffix(LARGE_PRINT_SUFFIX))
    if lang in site.broken:
        return not_available(site, procedure, lang, "broken", [])
    if lang not in site.languages:
        abort(404)
    current = current_pdf(site, procedure, lang, large_print)
    if current is not None:
        return send_file(current[0], mimetype="application/pdf", max_age=60, etag=True, conditional=True)
    state, result = in_worker(the_pool(), _render, [procedure.id], lang, large_print, {}, False, site.stamp)
    if state == "pdf":
        return pdf_response(result, procedure.id, lang, personal=False)
    return not_available(site, procedure, lang, state, result)


@pages.get("/fonts/web/<cut>/faces.css")
def font_faces(cut: str) -> Response:
    if cut not in the_site().font_cuts:
        abort(404)
    response = Response(webfonts.font_faces(the_site().font_cuts[cut], cut), mimetype="text/css")
    response.cache_control.max_age = 86400
    return response


@pages.get("/fonts/web/<cut>/<stem>.woff2")
def web_font(cut: str, stem: str) -> Response:
    """A page font cut to the characters of the pages that use it (see ``webfonts.py``)."""
    site = the_site()
    name = webfonts.file_for(stem)
    if cut not in site.font_cuts or name is None:
        abort(404)
    response = Response(webfonts.cut(site.project.fonts, name, site.font_cuts[cut]), mimetype="font/woff2")
    response.cache_control.max_age = 86400 * 30  # the cut's name changes when its characters do
    response.cache_control.public = True
    return response


@pages.get("/page.css")
def stylesheet() -> Response:
    return send_from_directory(the_site().project.templates / "web", "page.css", mimetype="text/css", max_age=3600)


def in_worker(pool: WorkerPool, function: Any, *args: Any) -> Any:
    """``function(*args)`` in a warm worker; ("failed", [why]) if the worker died on both tries."""
    try:
        return pool.apply(function, *args)
    except WorkerLost as lost:
        return "failed", [str(lost)]


def procedure_or_404(site: Site, procedure_id: str) -> Procedure:
    procedure = site.procedures.get(procedure_id)
    if procedure is None:
        abort(404)
    return procedure


def personal_fields(values: dict[str, str], fonts: Path) -> tuple[dict[str, str], dict[str, str | None]]:
    """Errors by field (as problem codes the page translates), and the fields for parse_personal."""
    errors: dict[str, str] = {}
    date, clock = values["date"].strip(), values["time"].strip()
    if bool(date) != bool(clock):
        errors["date" if not date else "time"] = "both"
    fields: dict[str, str | None] = {name: values[name] for name in PatientDetails.text_limits()}
    fields["appointment"] = f"{date} {clock}" if date and clock else None
    for name, value in fields.items():  # one at a time, so every field's problem is shown at once
        try:
            parse_personal({name: value}, fonts)
        except PersonalError as exc:
            errors.setdefault({"appointment": "date"}.get(exc.field, exc.field), exc.problem)
    return errors, fields


def pdf_url(procedure_id: str, lang: str, large_print: bool) -> str:
    return f"/pdf/{pdf_name(lang, procedure_id, large_print)}"


def current_pdf(
    site: Site, procedure: Procedure, lang: str, large_print: bool
) -> tuple[Path, dict[str, list[float]]] | None:
    """The batch build's PDF, if built from exactly today's record, catalog and templates, with its blank lines."""
    manifest = site.manifest.current()
    name = pdf_name(lang, procedure.id, large_print)
    entry = manifest.current(name, leaflet_input_key(site.project, site.shared_key, procedure, lang, large_print))
    if entry is None:
        return None
    return manifest.out / name, entry.blank_fields or {}


def pdf_response(data: bytes, procedure_id: str, lang: str, personal: bool, made: str = "rendered") -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["X-Leaflets-Made"] = made  # how: from the batch build's PDF, or laid out anew
    response.headers["Content-Disposition"] = f'inline; filename="{procedure_id}-{lang}.pdf"'
    response.headers["Cache-Control"] = "no-store" if personal else "public, max-age=60"
    return response


def not_available(site: Site, procedure: Procedure, lang: str, state: str, lines: list[str]) -> Response:
    if state == "broken":  # its catalog could not be loaded; the log said why when the server started
        return page(site, "web/refused.html", 503, procedure=procedure, refused_lang=lang, broken=True)
    if state == "refused":
        LOGGER.warning("translation refused: %s [%s]: %d string(s)", procedure.id, lang, len(lines))
        return page(site, "web/refused.html", 409, procedure=procedure, refused_lang=lang)
    LOGGER.error("could not build %s [%s]: %s", procedure.id, lang, lines[0] if lines else "?")
    return page(site, "web/error.html", 500, status_code=500)


def page_language(site: Site) -> str:
    """The page's own language: ?ui=, else the browser's preference among the clinic's languages."""
    chosen = request.args.get("ui")  # forms carry it in their action URL, never read from a body here
    if chosen in site.languages:
        return chosen
    best = request.accept_languages.best_match([code.replace("_", "-") for code in site.languages])
    return best.replace("-", "_") if best else "en"


def language_label(language: Language, page: Language) -> str:
    """A language as a clinician reading ``page`` knows it: "español (Spanish)" on an English page."""
    own = language.own_name
    known = language.locale.get_display_name(page.locale) or own
    return own if fold(own) == fold(known) else f"{own} ({known})"


def form_action(ui: str) -> str:
    """Where the form posts: this address, with the page language, and nothing typed in it."""
    kept = [(key, value) for key, value in request.args.items(multi=True) if key in ("leaflet", "name")]
    return f"{request.path}?{urlencode(kept + [('ui', ui)])}"


def page(site: Site, template: str, status: int, **context: Any) -> Response:
    ui = page_language(site)
    language = site.languages[ui]
    html = render_template(
        site.pages[ui], template, clinic=site.clinic, language=language, ui=ui, languages=site.languages,
        label=lambda other: language_label(other, language), action=form_action(ui), packets=site.clinic.packets,
        font_cut=site.font_cut_of[ui],
        translate=language.gettext, chosen_lang=context.pop("chosen_lang", ui),
        standing=lambda procedure, lang="en": standing_of(site, procedure, lang),
        web_address=lambda procedure, lang: web_address(site.clinic, lang, procedure.id),  # issue 29
        leaflet_languages={code: site.languages.get(code) or site.broken[code] for code in site.clinic.languages
                           if code in site.languages or code in site.broken},
        large_print=context.pop("large_print", False), with_english=context.pop("with_english", False),
        packet_title=context.pop("packet_title", None), **context,
    )
    return Response(html, status=status, mimetype="text/html")


def own_names(host: str, port: int) -> set[str]:
    """The Host headers a page on this computer is reached by; any other is a DNS-rebinding attempt."""
    names = {host.lower(), "localhost", "127.0.0.1", "[::1]"}
    return {f"{name}:{port}" for name in names} | (names if port == 80 else set())


def serve(project: Project, clinic_id: str, host: str, port: int, allow_network: bool = False) -> None:
    """Run the page with waitress until interrupted."""
    import waitress

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False
    try:
        project.load_clinic(clinic_id)  # a wrong clinic is one clear line, before any worker starts
        # The page answers while the workers warm up; if they cannot start, the server stops (as by Ctrl-C)
        # and says why in one line.
        pool = PoolStarting(project, clinic_id, failed=_thread.interrupt_main,
                            ready=lambda: LOGGER.info("serving %s on http://%s:%d/", clinic_id, host, port))
        try:
            app = create_app(project, clinic_id, pool, hosts=None if allow_network else own_names(host, port))
            # waitress stops its loop on SystemExit and KeyboardInterrupt, lets the requests under way finish,
            # then returns; the workers go last. Exit status 0 either way: stopping is how a server ends.
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            if allow_network:
                LOGGER.warning("the page has no login: anyone who can reach http://%s:%d/ can print leaflets", host, port)
            # Our own limits answer with our translated 413 and 431 pages; waitress's, far above them,
            # only stop what no browser sends before it is read. A stalled client is dropped after 30 s.
            waitress.serve(app, host=host, port=port, threads=8, max_request_body_size=64 * MAX_REQUEST_BYTES,
                           max_request_header_size=8 * MAX_HEADER_BYTES, channel_timeout=30,
                           ident="leaflets", clear_untrusted_proxy_headers=True)
        except OSError as exc:
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        except KeyboardInterrupt:
            if pool.failure is None:
                raise
        finally:
            pool.close()
        if pool.failure is not None:
            raise pool.failure
        LOGGER.info("stopped")
    finally:
        LOGGER.removeHandler(handler)  # the stream it writes to may be closed once serve returns
