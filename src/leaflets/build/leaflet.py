"""The pipeline for one leaflet, top to bottom (all of a clinic: batch.py); ``build_one`` first:

1. record, clinic, language, size and personal details (``Builder.leaflet`` → ``Leaflet``);
2. the translated record as HTML (``Builder.render``): its template rendered once (``render.html``),
   with tokens for the clinic's and patient's details (``render.tokens``); the fingerprint of that very
   HTML's text (``render.printed``) and so its approval; then the tokens' values and the release marks
   put in (``render.release``); a translation not ready is a ``Refused``, returned;
3. the PDF (``render.pdf``), laid out from exactly that HTML; if the text laid out is not the HTML's
   text (a style hid or added some), it is printed as a draft instead;
4. checks (an approved release: the archive is as it was built);
5. the written file (``files.write_atomically``), and an approved release kept in the archive.

The fingerprint comes before the release marks because they print it (its code, on every page).
``Builder`` holds what many leaflets share (catalogs, Jinja environments, WeasyPrint); the CLI,
the batch pool, the web workers and Dask all build through it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from leaflets.build.archive import archive_release, check_archive
from leaflets.build.files import check_target, write_atomically, write_if_changed
from leaflets.build.options import BUILD_OPTIONS as BUILD_OPTIONS
from leaflets.checks.pages import book_problem
from leaflets.checks.styles import file_problems, html_style_problems
from leaflets.errors import LeafletErrors, TemplateProblem, TooLong, UsageError
from leaflets.language.catalog_cache import CatalogCache
from leaflets.language.catalogs import load_language, refusal
from leaflets.language.i18n import SOURCE_LANGUAGE, Language, tracking_misses
from leaflets.model.approvals import Standing, read_approvals, standing
from leaflets.model.clinic import Clinic
from leaflets.model.day import build_day
from leaflets.model.project import Project
from leaflets.model.record import LARGE_PRINT_SUFFIX, Procedure
from leaflets.paths import is_inside
from leaflets.render.html import (
    NO_PATIENT,
    STYLESHEET,
    TEMPLATE,
    Leaflet,
    LeafletSandbox,
    PatientDetails,
    make_environment,
    render_html,
    template_file,
    template_folders,
)
from leaflets.render.printed import content_fingerprint, printed_content, translation_fingerprint
from leaflets.render.qr import web_version_values
from leaflets.render.release import as_draft, check_slot, insert_marks
from leaflets.render.scan import scan
from leaflets.render.tokens import substitute

if TYPE_CHECKING:
    from leaflets.render.pdf import PdfRenderer

LOGGER = logging.getLogger(__name__)




def build_one(
    project: Project,
    procedure_id: str,
    clinic: str = BUILD_OPTIONS["clinic"].default,
    lang: str = BUILD_OPTIONS["lang"].default,
    large_print: bool = BUILD_OPTIONS["large_print"].default,
    personal: PatientDetails = NO_PATIENT,
    output: str | None = None,
    builder: Builder | None = None,
) -> tuple[Path | None, bytes]:
    """Build one leaflet. Returns where it was written (None for ``-``) and its bytes.

    A translation not ready is refused (``LeafletErrors`` of ``TranslationRefused``) and nothing is written."""
    check_output(project, personal, output)
    check_target(output)
    builder = builder or Builder(project)
    # 1. What the PDF depends on: record, clinic, language, size and personal details.
    leaflet = builder.leaflet(project.load_procedure(procedure_id), project.load_clinic(clinic), lang, large_print,
                              personal)
    # 2. The translated record as HTML, with its fingerprint and approval; or a refusal.
    outcome = builder.render(leaflet)
    if isinstance(outcome, Refused):
        raise outcome.errors
    # 3. The PDF.
    data = builder.write_pdf(leaflet, outcome)
    # 4. Checks: an approved release goes into the archive, which must be as it was built.
    release = outcome.standing.released and not personal  # a personalised leaflet is never archived
    if release:
        check_archive(project, leaflet.clinic.id, procedure_id)  # a hand-edited archive: one line, nothing written
    # 5. The written file, then the archived release.
    target = None if output == "-" else Path(output) if output else dist_path(project, leaflet)
    if target is not None:
        write_atomically(target, data)
    if output is None and not large_print:  # into dist/: its web version beside it (a personalised one never)
        from leaflets.build.web_pages import page_path, web_files, web_page  # fontTools: only for a web version

        page = web_page(project, builder.environment(leaflet), leaflet, outcome.standing)
        for path, page_data in web_files(project, leaflet.clinic, page_path(project, clinic, lang, procedure_id), page).items():
            write_if_changed(path, page_data)
    if release:
        archive_release(project, leaflet.clinic.id, leaflet.procedure, large_print, outcome.standing, data)
    return target, data


def build_packet(
    project: Project,
    procedure_ids: list[str],
    output: str,
    clinic: str = BUILD_OPTIONS["clinic"].default,
    lang: str = BUILD_OPTIONS["lang"].default,
    large_print: bool = BUILD_OPTIONS["large_print"].default,
    personal: PatientDetails = NO_PATIENT,
    with_english: bool = False,
    builder: Builder | None = None,
) -> tuple[Path | None, bytes]:
    """Several leaflets (or one with its English leaflet) in one PDF, written only to ``output``."""
    if output is None:
        raise UsageError("a packet or a bilingual leaflet is written only where --output says (a file, or - for "
                         "standard output)")
    check_output(project, personal, output)
    check_target(output)
    builder = builder or Builder(project)
    procedures = [project.load_procedure(procedure_id) for procedure_id in procedure_ids]
    leaflets = packet_leaflets(builder, procedures, project.load_clinic(clinic), lang, large_print, personal, with_english)
    data = builder.combined_pdf(leaflets)
    if output == "-":
        return None, data
    write_atomically(Path(output), data)
    return Path(output), data


def packet_leaflets(
    builder: Builder, procedures: list[Procedure], clinic: Clinic, lang: str, large_print: bool = False,
    personal: PatientDetails = NO_PATIENT, with_english: bool = False,
) -> list[Leaflet]:
    """The leaflets of a packet, in order; with English, each followed by its English leaflet.
    The patient's details, given once, go into every leaflet's "For you" box."""
    languages = [lang, SOURCE_LANGUAGE] if with_english and lang != SOURCE_LANGUAGE else [lang]
    return [builder.leaflet(procedure, clinic, code, large_print, personal)
            for procedure in procedures for code in languages]


@dataclass(frozen=True)
class Rendered:
    """A leaflet's HTML, where what it prints stands (fingerprint, approval, sign-off), and the same
    HTML marked as a draft: what is printed if the text laid out is not the text fingerprinted."""

    html: str
    standing: Standing
    draft: str


@dataclass(frozen=True)
class Refused:
    """A translation not ready: one ``TranslationRefused`` per string its catalog lacks."""

    errors: LeafletErrors


class Builder:
    """Loads what leaflets need and renders them; keep one and reuse it for many leaflets."""

    def __init__(self, project: Project, today: date | None = None):
        self.project = project
        self.today = today or build_day()
        self._renderers: dict[str, PdfRenderer] = {}
        self._environments: dict[tuple[str, str], LeafletSandbox] = {}  # one per clinic and language
        self._languages: dict[str, Language] = {}
        self._checked: set[str] = set()  # clinics whose templates and stylesheet may print leaflets
        self._texts: dict[tuple[str, str, str], str] = {}  # printed content, by clinic, language and record

    def renderer(self, clinic_id: str) -> PdfRenderer:
        if clinic_id not in self._renderers:
            from leaflets.render.pdf import PdfRenderer  # WeasyPrint takes a second to import: only when a PDF is made

            self._renderers[clinic_id] = PdfRenderer(
                base_folder=self.project.templates,
                allowed_folders=[self.project.templates, self.project.content / "clinics"],
                stylesheet=template_file(self.project.templates, clinic_id, STYLESHEET),
            )
        return self._renderers[clinic_id]

    def language(self, code: str) -> Language:
        if code not in self._languages:
            self._languages[code] = load_language(self.project.locales, code, CatalogCache(self.project.root))
        return self._languages[code]

    def leaflet(
        self, procedure: Procedure, clinic: Clinic, lang: str, large_print: bool = False,
        personal: PatientDetails = NO_PATIENT,
    ) -> Leaflet:
        """Step 1: what one PDF depends on: record, clinic, language, size and personal details."""
        return Leaflet(procedure, clinic, self.language(lang), large_print, personal, self.today)

    def render(self, leaflet: Leaflet) -> Rendered | Refused:
        """Step 2: the translated record as HTML, with the standing of what it prints; or, for a
        translation not ready, its refusal. A record that would print a book is refused (``TooLong``).

        The template renders once; what it prints is fingerprinted from that HTML, tokens in place;
        then the tokens' values and the release marks are put in (``render.tokens``, ``render.release``)."""
        if problem := book_problem(leaflet.procedure.model_dump(mode="json")):  # before the minutes a layout takes
            raise TooLong(problem, self.project.record_path(leaflet.procedure.id))
        environment = self._environment(leaflet)
        self.check_clinic_files(leaflet.clinic.id)
        page = render_html(leaflet, environment)
        template = str(template_file(self.project.templates, leaflet.clinic.id, TEMPLATE))
        check_template_output(page.html, template)
        if page.untranslated:
            record = self.project.record_path(leaflet.procedure.id)
            return Refused(refusal(leaflet.language, list(page.untranslated), self.project.root, record))
        printed = printed_content(page.html)
        if not leaflet.large_print:
            self._keep_text(leaflet, printed)
        standing = self._standing(leaflet, printed)
        release = standing.code if standing.released else None
        values = page.values | web_version_values(leaflet.clinic, leaflet.language.code, leaflet.procedure.id, release)
        filled = substitute(page.html, values, template)
        with tracking_misses() as untranslated:
            html, draft = (insert_marks(filled, leaflet, environment, marked) for marked in (standing, as_draft(standing)))
        if untranslated:
            return Refused(refusal(leaflet.language, untranslated, self.project.root,
                                   self.project.record_path(leaflet.procedure.id)))
        return Rendered(html, standing, draft)

    def rendered(self, leaflet: Leaflet) -> tuple[str, Standing]:
        """``render`` for callers that stop at a refusal: it is raised (``LeafletErrors``)."""
        outcome = self.printable(leaflet)
        return outcome.html, outcome.standing

    def printable(self, leaflet: Leaflet) -> Rendered:
        """``render``, a refusal raised (``LeafletErrors``)."""
        outcome = self.render(leaflet)
        if isinstance(outcome, Refused):
            raise outcome.errors
        return outcome

    def html(self, leaflet: Leaflet) -> str:
        return self.rendered(leaflet)[0]

    def write_pdf(self, leaflet: Leaflet, outcome: Rendered) -> bytes:
        """Step 3: the PDF of ``outcome``: as a draft if the text laid out differs from what was fingerprinted."""
        return self.laid_out(leaflet, outcome)[0]

    def laid_out(self, leaflet: Leaflet, outcome: Rendered) -> tuple[bytes, dict[str, list[float]]]:
        """``write_pdf``, and where the blank "For you" lines are (``PdfRenderer.render``)."""
        renderer = self.renderer(leaflet.clinic.id)
        drafted = renderer.drafted
        printed = renderer.render(outcome.html, draft=outcome.draft)
        if renderer.drafted > drafted:
            LOGGER.warning("%s [%s]: printed as a DRAFT: its text as laid out is not the text fingerprinted (a style or "
                           "template hides or adds some)", leaflet.procedure.id, leaflet.language.code)
        return printed

    def pdf(self, leaflet: Leaflet) -> bytes:
        """Step 3: the leaflet as a PDF (a refused translation raises)."""
        return self.write_pdf(leaflet, self.printable(leaflet))

    def combined_pdf(self, leaflets: list[Leaflet]) -> bytes:
        """Several leaflets in one PDF, each from a new page with its own footer and page numbers."""
        if len(leaflets) == 1:
            return self.pdf(leaflets[0])
        parts: list[tuple[str, str, str | None]] = []
        for leaflet in leaflets:
            outcome = self.printable(leaflet)
            parts.append((outcome.html, leaflet.language.html_lang, outcome.draft))
        return self.renderer(leaflets[0].clinic.id).write_combined(parts)

    def printed(self, leaflet: Leaflet) -> str:
        """What the leaflet prints that an approval covers (``render.printed.printed_content``), in its
        language: the text of its regular-print render, the same with or without patient details."""
        key = self._text_key(leaflet)
        if key not in self._texts:
            regular = replace(leaflet, large_print=False, personal=NO_PATIENT)
            self._keep_text(leaflet, printed_content(render_html(regular, self._environment(leaflet)).html))
        return self._texts[key]

    def standing(self, leaflet: Leaflet) -> Standing:
        """Whether the leaflet's printed content is approved (and, for a translation, signed off)."""
        return self._standing(leaflet, self.printed(leaflet))

    def forget_languages(self) -> None:
        """Read catalogs and templates again on next use: they changed on disk."""
        self._languages.clear()
        self._environments.clear()
        self._texts.clear()

    def _text_key(self, leaflet: Leaflet) -> tuple[str, str, str]:
        return leaflet.clinic.model_dump_json(), leaflet.language.code, leaflet.procedure.model_dump_json()

    def _keep_text(self, leaflet: Leaflet, printed: str) -> None:
        if len(self._texts) > 64:
            self._texts.clear()
        self._texts[self._text_key(leaflet)] = printed

    def _standing(self, leaflet: Leaflet, printed: str) -> Standing:
        """From the leaflet's printed content. Large print is bound to its regular print's, whose lines it
        prints in another order; a translation's also covers its English, rendered once per clinic and record."""
        if leaflet.large_print:
            regular = self.printed(leaflet)
            printed = regular if sorted(regular.splitlines()) == sorted(printed.splitlines()) else printed
        if leaflet.language.is_source:
            english = fingerprint = content_fingerprint(printed)
        else:
            english = content_fingerprint(self.printed(replace(leaflet, language=self.language(SOURCE_LANGUAGE))))
            fingerprint = translation_fingerprint(english, printed)
        approvals = read_approvals(self.project, leaflet.procedure.id)
        return standing(approvals, leaflet.language.code, english, fingerprint, leaflet.procedure.review.version)

    def check_clinic_files(self, clinic_id: str) -> None:
        """The clinic's templates and stylesheet (its own, or ours) neither name release state nor hide
        or add text (``checks.styles``); the first that does is refused, by file and line."""
        if clinic_id in self._checked:
            return
        environment = make_environment(self.project.templates, clinic_id)
        for path in printed_files(self.project.templates, clinic_id):
            for line, why in file_problems(path, environment, self.project.templates):
                raise TemplateProblem(why, path, line)
        self._checked.add(clinic_id)

    def environment(self, leaflet: Leaflet) -> LeafletSandbox:
        """The Jinja environment of the leaflet's clinic and language (for its web version too)."""
        return self._environment(leaflet)

    def _environment(self, leaflet: Leaflet) -> LeafletSandbox:
        key = (leaflet.clinic.id, leaflet.language.code)
        if key not in self._environments:
            self._environments[key] = make_environment(self.project.templates, leaflet.clinic.id, leaflet.language)
        return self._environments[key]


def printed_files(templates: Path, clinic_id: str) -> list[Path]:
    """The templates and stylesheet a clinic's leaflets are printed with: its own folder's, then ours."""
    folders = template_folders(templates, clinic_id)
    own = sorted(folders[0].glob("*.html")) if len(folders) > 1 else []
    return own + [template_file(templates, clinic_id, name) for name in (TEMPLATE, "macros.html", STYLESHEET)]


def check_template_output(html: str, template: str) -> None:
    """What a template made, in one pass (``render.scan``): tokens only where values may go, one slot for
    the release marks where nothing can hide them, and styles that neither hide nor add text."""
    scanned = scan(html)
    if scanned.token_problems:
        raise TemplateProblem(f"template error: {scanned.token_problems[0]}", template)
    check_slot(html, scanned, template)
    if problems := html_style_problems(scanned):
        raise TemplateProblem(f"template error: a style it writes: {problems[0]}", template)


def pdf_name(lang: str, procedure_id: str, large_print: bool) -> str:
    """A leaflet's file under ``dist/<clinic>/``: ``<lang>/<procedure>[-large-print].pdf``."""
    return f"{lang}/{procedure_id}{LARGE_PRINT_SUFFIX if large_print else ''}.pdf"


def dist_path(project: Project, leaflet: Leaflet) -> Path:
    """Where an unpersonalised leaflet goes: ``dist/<clinic>/<lang>/<procedure>[-large-print].pdf``."""
    name = pdf_name(leaflet.language.code, leaflet.procedure.id, leaflet.large_print)
    return project.dist_for(leaflet.clinic.id) / name


def check_output(project: Project, personal: PatientDetails, output: str | None) -> None:
    """A personalised leaflet goes only where the clinician says, and never into ``dist/``."""
    if not personal:
        return
    if output is None:
        raise UsageError(
            "a leaflet with patient details is written only where --output says "
            "(a file, or - for standard output); it never goes into dist/"
        )
    if output != "-" and _publishes(project, Path(output)):
        raise UsageError("a leaflet with patient details must not be written into dist/; choose another --output")


def _publishes(project: Project, target: Path) -> bool:
    """Whether ``target`` lies in dist/, or in a clinic's folder of it that links elsewhere."""
    if is_inside(target, project.dist):
        return True
    try:
        clinics = [folder for folder in project.dist.iterdir() if folder.is_dir()]
    except OSError:
        return False
    return any(is_inside(target, folder) for folder in clinics)
