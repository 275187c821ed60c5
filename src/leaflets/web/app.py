"""The clinicians' page: find a leaflet, personalise it, print it. This module: the Flask
application, its routes and guards, and ``serve``.

A thin door over ``build/``: what the page serves is made in ``site.py``, the form read in
``forms.py``, the answers written by ``pages.py``; leaflets come from the batch build's
output when it is current, else from warm worker processes (``build/ondemand.py``), which
never store what they make. Flask serves the pages; waitress (a production WSGI server in
pure Python) serves Flask. The workers are forked, so the page runs on Linux and macOS, not
on Windows. Patient details travel only in a POST body: never in a URL, a log line or a file.
"""

from __future__ import annotations

import _thread
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, abort, current_app, request, send_file, send_from_directory
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from leaflets.build.leaflet import Builder, pdf_name
from leaflets.build.ondemand import PoolStarting, in_worker, make_pool, render_leaflets
from leaflets.build.workers import WorkerPool
from leaflets.errors import UsageError
from leaflets.model.project import Project
from leaflets.model.record import LARGE_PRINT_SUFFIX
from leaflets.render import webfonts
from leaflets.web import fhir_pages, infobutton
from leaflets.web.forms import create, packet_or_404
from leaflets.web.pages import not_available, page, pdf_response, procedure_or_404, summary_or_404
from leaflets.web.search import did_you_mean, find
from leaflets.web.site import LOGGER, make_site, standing_of, the_pool, the_site

MAX_REQUEST_BYTES = 16 * 1024
MAX_HEADER_BYTES = 32 * 1024
THREADS, MAX_CONNECTIONS, READ_TIMEOUT_SECONDS = 8, 500, 10


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
    app.register_blueprint(fhir_pages.routes)  # /fhir/... and the web version its DocumentReferences point to
    return app


def _loggable(path: str) -> str:
    """A path that cannot forge a log line: control characters and line breaks written as escapes."""
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}"
                   for ch in path[:300])


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
    if query:
        found = [site.summaries[leaflet_id] for leaflet_id in find(query, site.search_entries)]
    else:  # every leaflet, by id
        found = sorted(site.summaries.values(), key=lambda p: p.id)
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
def create_leaflet(procedure_id: str) -> BaseResponse:
    site = the_site()
    return create(site, [procedure_or_404(site, procedure_id)])


@pages.get("/packet")
def packet_form() -> Response:
    site = the_site()
    procedures, title = packet_or_404(site)
    return page(site, "web/leaflet.html", 200, procedures=procedures, packet_title=title, values={}, errors={})


@pages.post("/packet")
def create_packet() -> BaseResponse:
    site = the_site()
    procedures, title = packet_or_404(site)
    return create(site, procedures, title)


@pages.get("/infobutton")
def knowledge_request() -> Response:
    """HL7 Infobutton (URL-based knowledge request): an EHR links from an order to the leaflet."""
    site = the_site()
    try:
        asked = infobutton.parse_request(request.args)
    except infobutton.BadRequest as problem:
        return Response(f"{problem}\n", status=400, mimetype="text/plain")
    entries = infobutton.find_entries(
        asked, site.procedures, {leaflet_id: record.codes for leaflet_id, record in site.summaries.items()}, site.languages,
        ready=lambda procedure, lang: standing_of(site, procedure, lang) is not None,
        links=lambda leaflet_id, lang: (f"{request.host_url}leaflet/{leaflet_id}?lang={lang}",
                                        f"{request.host_url}pdf/{pdf_name(lang, leaflet_id, False)}"),
        by_name=lambda text: find(text, site.search_entries))
    body, mimetype = infobutton.respond(asked, entries, site.clinic.name, request.url)
    return Response(body, mimetype=mimetype)


@pages.get("/pdf/<lang>/<name>.pdf")
def prebuilt(lang: str, name: str) -> Response:
    site = the_site()
    large_print = name.endswith(LARGE_PRINT_SUFFIX)
    procedure = summary_or_404(site, name.removesuffix(LARGE_PRINT_SUFFIX))
    if lang in site.broken:
        return not_available(site, procedure, lang, "broken", [])
    if lang not in site.languages:
        abort(404)
    current = site.current_pdf(procedure, lang, large_print)
    if current is not None:
        return send_file(current[0], mimetype="application/pdf", max_age=60, etag=True, conditional=True)
    state, result = in_worker(the_pool(), render_leaflets, [procedure.id], lang, large_print, {}, False, site.stamp)
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


@pages.get("/form.js")
def form_script() -> Response:
    """The form's check in place (a mistake or a translation not ready shown on the same page); the form works without it."""
    return send_from_directory(the_site().project.templates / "web", "form.js", mimetype="text/javascript", max_age=3600)


SEARCH_AFTER_SECONDS = 5.0  # or sooner, once the page has answered its first request


def _search_ready(app: Flask, answered: threading.Event) -> None:
    """The search entries made, the batch build's whole manifest read and every language's font cut worked
    out once the page has answered its first request (which needs none of them), so the first query, PDF
    or page in another language does not wait for them."""
    answered.wait(SEARCH_AFTER_SECONDS)
    site = app.extensions["leaflets"]["site"]
    site.search_entries  # noqa: B018  (made when first asked for)
    site.manifest.current()
    site.font_cuts  # noqa: B018


def _then(response: Response, call: Callable[[], Any]) -> Response:
    """``response``, with ``call`` called once the server has sent it."""
    response.call_on_close(call)
    return response


def own_names(host: str, port: int) -> set[str]:
    """The Host headers a page on this computer is reached by; any other is a DNS-rebinding attempt."""
    names = {host.lower(), "localhost", "127.0.0.1", "[::1]"}
    return {f"{name}:{port}" for name in names} | (names if port == 80 else set())


WORKER_WAIT_SECONDS = 0.9  # a worker warms in about 0.8 s on two cores beside the page's own start


def _first_worker_started(pool: PoolStarting, began: float) -> bool:
    """Wait, before listening, for a render worker warm for the clinic's languages, so the first
    personalised print is as quick as the next; but no later than WORKER_WAIT_SECONDS after ``began``
    (a worker takes longer to warm on a big library, whose first answer must not wait for it). False if
    stopped meanwhile: Ctrl-C, SIGTERM, workers that cannot start."""
    try:
        pool.wait_started(began + WORKER_WAIT_SECONDS - time.monotonic())
    except (KeyboardInterrupt, SystemExit):
        return False
    return True


def serve(project: Project, clinic_id: str, host: str, port: int, allow_network: bool = False) -> None:
    """Run the page with waitress until interrupted."""
    import waitress

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False
    began = time.monotonic()
    try:
        project.load_clinic(clinic_id)  # a wrong clinic is one clear line, before any worker starts
        Builder(project).check_clinic_files(clinic_id)  # so is a template or stylesheet that may not print
        # The page listens once a render worker has started warm (see _first_worker_started); if none can start,
        # the server stops (as by Ctrl-C) and says why in one line. Search entries are made once it has
        # answered its first request.
        answered = threading.Event()
        pool = PoolStarting(project, clinic_id, failed=_thread.interrupt_main,
                            ready=lambda: LOGGER.info("serving %s on http://%s:%d/", clinic_id, host, port))
        try:
            app = create_app(project, clinic_id, pool, hosts=None if allow_network else own_names(host, port))
            app.after_request(lambda response: _then(response, answered.set))
            threading.Thread(target=_search_ready, args=(app, answered), name="leaflets-search", daemon=True).start()
            # waitress stops its loop on SystemExit and KeyboardInterrupt, lets the requests under way finish,
            # then returns; the workers go last. Exit status 0 either way: stopping is how a server ends.
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            if allow_network:
                LOGGER.warning("the page has no login: anyone who can reach http://%s:%d/ can print leaflets", host, port)
            # Our own limits answer with our translated 413 and 431 pages; waitress's, far above them,
            # only stop what no browser sends before it is read. Slow clients hold no thread (waitress
            # reads requests in one event loop and hands only whole ones to the 8 threads); each
            # connection silent for 10 s is dropped (looked for every 2 s), and up to 500 are open at
            # once, so a hundred clients that trickle their headers cannot starve a clinician's request.
            if _first_worker_started(pool, began):
                waitress.serve(app, host=host, port=port, threads=THREADS, max_request_body_size=64 * MAX_REQUEST_BYTES,
                               max_request_header_size=8 * MAX_HEADER_BYTES, channel_timeout=READ_TIMEOUT_SECONDS,
                               cleanup_interval=2, connection_limit=MAX_CONNECTIONS, ident="leaflets",
                               clear_untrusted_proxy_headers=True)
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
