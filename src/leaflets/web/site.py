"""What the clinicians' page serves, made once when the server starts and again when the files
it comes from change: the clinic, its records and languages, the page templates, search entries
and the page fonts' cuts."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from flask import current_app

from leaflets.build.leaflet import Builder, pdf_name
from leaflets.build.manifest import MANIFEST, ManifestReader, approvals_digest, leaflet_input_key, shared_inputs
from leaflets.build.manifest_states import RecordedState, StatesReader
from leaflets.build.ondemand import content_stamp, current_pdf
from leaflets.build.workers import WorkerPool
from leaflets.errors import LeafletError
from leaflets.language.i18n import Language, parse_locale
from leaflets.model.approvals import Standing
from leaflets.model.cache import JsonStore
from leaflets.model.clinic import Clinic
from leaflets.model.digests import bytes_digest, identity
from leaflets.model.project import Project, RecordSummary
from leaflets.model.record import Procedure
from leaflets.render import webfonts
from leaflets.render.html import LeafletSandbox, make_environment
from leaflets.web.pagecount import page_count
from leaflets.web.search import Entry, fold, search_entries

LOGGER = logging.getLogger("leaflets.web")
T = TypeVar("T")
Listed = Procedure | RecordSummary  # a record, whole or as its summary: what a page lists it by


class Records(Mapping[str, Procedure]):
    """The site's records by id, each read whole (from the cache, ``Project``) only when first asked for:
    a search page needs only their summaries."""

    def __init__(self, project: Project, summaries: dict[str, RecordSummary]):
        self.project = project
        self.summaries = summaries
        self._read: dict[str, Procedure] = {}

    def __getitem__(self, procedure_id: str) -> Procedure:
        if procedure_id not in self.summaries:
            raise KeyError(procedure_id)
        if procedure_id not in self._read:
            self._read[procedure_id] = self.project.load_procedure(procedure_id)
        return self._read[procedure_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self.summaries)

    def __len__(self) -> int:
        return len(self.summaries)


@dataclass(frozen=True)
class Site:
    """What every request reads; built once when the server starts, never changed after."""

    project: Project
    clinic: Clinic
    summaries: dict[str, RecordSummary]  # each record's summary by id, in the order of their files
    procedures: Records
    languages: dict[str, Language]
    broken: dict[str, Language]  # the clinic's languages whose catalogs cannot be used: named, never built
    pages: dict[str, LeafletSandbox]  # one environment per page language: no shared mutable state
    search: Callable[[], list[Entry]]  # the search entries, made (or read from the cache) when first asked for
    shared_key: str
    stamp: str  # content_stamp of the files it was made from: when it changes, the site is made again
    fonts: FontCuts  # the page fonts' cuts: the characters each keeps, by language and by name
    manifest: ManifestReader  # the batch build's manifest, read again only when it changes
    states: StatesReader  # what the page needs of it, while it is of the manifest on disk (``manifest_states``)
    builder: Builder  # for the leaflets' states (approved, draft ...), worked out as they are asked for
    standings: dict[tuple[str, str, str | None], Standing | None] = field(default_factory=dict)
    web_versions: dict[tuple[str, str, str | None], tuple[str, Standing] | None] = field(default_factory=dict)  # fhir
    page_counts: dict[tuple[str, str, Any], tuple[int | None, int | None]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def font_cuts(self) -> dict[str, frozenset[str]]:
        """The page fonts' cuts by name: the characters each keeps."""
        return self.fonts.by_name()

    @property
    def search_entries(self) -> list[Entry]:
        """What a query is matched against (``search.py``); a page listing every leaflet needs none."""
        return self.search()

    def current_pdf(self, procedure: Listed, lang: str, large_print: bool) -> tuple[Path, dict[str, list[float]]] | None:
        """The batch build's PDF and its blank lines, if built from exactly today's files (see ``ondemand.current_pdf``)."""
        return current_pdf(self.manifest, self.project, self.shared_key, self.summaries[procedure.id], lang, large_print)


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
    loaded, problems = project.record_summaries()
    for problem in problems:
        LOGGER.error("record cannot be served: %s", problem)
    summaries = {summary.id: summary for summary in loaded}
    pages = {}
    for code, language in languages.items():
        environment = make_environment(project.templates, clinic.id, language)
        environment.filters["translate"] = language.gettext
        environment.filters["title_of"] = lambda leaflet_id, language=language: (
            language.gettext(summaries[leaflet_id].title) if leaflet_id in summaries else leaflet_id)
        pages[code] = environment
    entries = once(lambda: search_entries(summaries.values(), languages.values(), JsonStore(project.root, "search")))
    messages = web_messages(project.templates)
    fonts = FontCuts(list(languages), lambda code: page_characters(languages[code], languages, summaries.values(), clinic,
                                                                    messages))
    return Site(project, clinic, summaries, Records(project, summaries), languages, broken, pages, entries,
                shared_inputs(project, clinic), stamp, fonts,
                ManifestReader(project.dist_for(clinic.id)), StatesReader(project.dist_for(clinic.id)), builder)


class FontCuts:
    """The page fonts' cuts (``page_characters``): a language's worked out when a page in it is first
    made, every language's when a font is first asked for by its cut's name."""

    def __init__(self, codes: list[str], characters: Callable[[str], frozenset[str]]):
        self.codes = codes
        self._characters = characters
        self._of: dict[str, tuple[str, frozenset[str]]] = {}  # by language: the cut's name and its characters
        self._lock = threading.Lock()

    def _cut(self, code: str) -> tuple[str, frozenset[str]]:
        with self._lock:
            if code not in self._of:
                characters = self._characters(code)
                self._of[code] = bytes_digest("".join(sorted(characters)).encode())[:12], characters
            return self._of[code]

    def name_of(self, code: str) -> str:
        """The name of the cut a page in the language ``code`` uses."""
        return self._cut(code)[0]

    def by_name(self) -> dict[str, frozenset[str]]:
        """Every language's cut by its name: the characters each keeps."""
        return dict(self._cut(code) for code in self.codes)


def once(make: Callable[[], T]) -> Callable[[], T]:
    """``make``, called the first time the result is asked for (by one thread; the others wait for it)."""
    lock = threading.Lock()
    made: list[T] = []

    def result() -> T:
        with lock:
            if not made:
                made.append(make())
            return made[0]
    return result


def standing_of(site: Site, procedure: Listed, lang: str) -> Standing | None:
    """Whether the leaflet is approved (and its translation signed off) now; None if it cannot be made."""
    key = (procedure.id, lang, approvals_digest(site.project, procedure.id))
    with site.lock:
        if key not in site.standings:
            try:
                leaflet = site.builder.leaflet(site.procedures[procedure.id], site.clinic, lang)
                site.standings[key] = site.builder.rendered(leaflet)[1]
            except LeafletError:
                site.standings[key] = None
        return site.standings[key]


def state_of(site: Site, procedure: Listed, lang: str) -> Standing | RecordedState | None:
    """``standing_of``, read from the batch build's manifest while its PDF is current (made from exactly
    these inputs, so in the same state): a search page of thousands of leaflets renders none of them. The
    small ``states.json`` beside the manifest answers while it is of the manifest on disk."""
    name = pdf_name(lang, procedure.id, False)
    key = leaflet_input_key(site.project, site.shared_key, site.summaries[procedure.id], lang, False)
    states = site.states.current()
    if states is not None:
        recorded = states.lookup(name, key)
    else:
        entry = site.manifest.current().current(name, key)
        recorded = None if entry is None or entry.approval is None else (
            RecordedState(entry.approval, entry.translation, entry.version))
    return recorded if recorded is not None else standing_of(site, procedure, lang)


def printed_pages(site: Site, procedure: Listed, lang: str) -> tuple[int | None, int | None]:
    """The pages of the leaflet's current built PDF, regular and large print (None: not built); worked
    out again only when the batch build's manifest changes (the site is made again when content does)."""
    key = (procedure.id, lang, identity(site.project.dist_for(site.clinic.id) / MANIFEST))
    if key not in site.page_counts:
        counts = []
        for large in (False, True):
            current = site.current_pdf(procedure, lang, large) if lang in site.languages else None
            counts.append(page_count(current[0]) if current else None)
        site.page_counts[key] = (counts[0], counts[1])
    return site.page_counts[key]


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
    days = {p.review_due for p in procedures} | {date(2027, 1, 1)}  # each day written once: many records share one
    texts += [*months, *(language.date(day) for day in days)]
    return webfonts.TYPED | frozenset("".join(texts))


def language_label(language: Language, page: Language) -> str:
    """A language as a clinician reading ``page`` knows it: "español (Spanish)" on an English page."""
    own = language.own_name
    known = language.locale.get_display_name(page.locale) or own
    return own if fold(own) == fold(known) else f"{own} ({known})"


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
    pool: WorkerPool = current_app.extensions["leaflets"]["pool"]
    return pool
