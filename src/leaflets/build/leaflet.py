"""Building one leaflet: load, translate, render, write atomically. (All of a clinic: batch.py.)"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leaflets.build.web_pages import page_path, web_files, web_page
from leaflets.errors import OutputError, TooLong, UsageError
from leaflets.language.catalogs import load_language, refusal
from leaflets.language.i18n import SOURCE_LANGUAGE, Language, prose_strings, tracking_misses
from leaflets.model.approvals import Standing, read_approvals, standing
from leaflets.model.content import LARGE_PRINT_SUFFIX, MAX_PAGES, UNPRINTED_FIELDS, Clinic, Procedure, Project, build_day
from leaflets.paths import display_path, is_inside
from leaflets.render.html import (
    STYLESHEET,
    Leaflet,
    PatientDetails,
    content_fingerprint,
    content_leaflet,
    make_environment,
    printed_content,
    render_html,
    template_file,
    translation_fingerprint,
)

if TYPE_CHECKING:
    from leaflets.render.pdf import PdfRenderer

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Option:
    default: Any
    help: str


# Build options, shared by the command line and the Python API so the two cannot drift.
BUILD_OPTIONS: dict[str, Option] = {
    "clinic": Option("example", "the clinic whose name, phone numbers, paper size and languages are used"),
    "lang": Option("en", "the leaflet's language, as a code such as en, es, fr, ar, zh_Hans or vi"),
    "large_print": Option(False, "large print: body text of at least 16 pt"),
}


class Builder:
    """Loads what leaflets need and renders them; keep one and reuse it for many leaflets."""

    def __init__(self, project: Project, today: date | None = None):
        self.project = project
        self.today = today or build_day()
        self._renderers: dict[str, PdfRenderer] = {}
        self._environments: dict[tuple[str, str], Any] = {}  # one per clinic and language
        self._languages: dict[str, Language] = {}
        self._printed: dict[tuple[str, str, str], str] = {}  # printed content by clinic, language and record

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
            self._languages[code] = load_language(self.project.locales, code)
        return self._languages[code]

    def leaflet(
        self, procedure: Procedure, clinic: Clinic, lang: str, large_print: bool = False,
        personal: PatientDetails = PatientDetails(),
    ) -> Leaflet:
        return Leaflet(procedure, clinic, self.language(lang), large_print, personal, self.today)

    def html(self, leaflet: Leaflet) -> str:
        return self.rendered(leaflet)[0]

    def rendered(self, leaflet: Leaflet) -> tuple[str, Standing]:
        """The leaflet's HTML, and whether what it prints is approved; a translation not ready is refused."""
        _refuse_a_book(leaflet, self.project.record_path(leaflet.procedure.id))
        with tracking_misses() as untranslated:
            standing = self.standing(leaflet)
            html = render_html(leaflet, self._environment(leaflet), standing)
        if untranslated:
            record = self.project.record_path(leaflet.procedure.id)
            raise refusal(leaflet.language, untranslated, self.project.root, record)
        return html, standing

    def printed(self, leaflet: Leaflet) -> str:
        """What the leaflet prints that an approval covers (``render.printed_content``), in its language."""
        key = (leaflet.clinic.id, leaflet.language.code, leaflet.procedure.model_dump_json())
        if key not in self._printed:
            if len(self._printed) > 64:
                self._printed.clear()
            html = render_html(content_leaflet(leaflet), self._environment(leaflet))
            self._printed[key] = printed_content(html)
        return self._printed[key]

    def standing(self, leaflet: Leaflet) -> Standing:
        """Whether the leaflet's printed content is approved (and, for a translation, signed off)."""
        text = self.printed(leaflet)
        if leaflet.language.is_source:
            english = fingerprint = content_fingerprint(text)
        else:
            english = content_fingerprint(self.printed(replace(leaflet, language=self.language(SOURCE_LANGUAGE))))
            fingerprint = translation_fingerprint(english, text)
        approvals = read_approvals(self.project, leaflet.procedure.id)
        return standing(approvals, leaflet.language.code, english, fingerprint, leaflet.procedure.review.version)

    def environment(self, leaflet: Leaflet) -> Any:
        """The Jinja environment of the leaflet's clinic and language (for its web version too)."""
        return self._environment(leaflet)

    def _environment(self, leaflet: Leaflet) -> Any:
        key = (leaflet.clinic.id, leaflet.language.code)
        if key not in self._environments:
            self._environments[key] = make_environment(self.project.templates, leaflet.clinic.id, leaflet.language)
        return self._environments[key]

    def pdf(self, leaflet: Leaflet) -> bytes:
        return self.renderer(leaflet.clinic.id).write_pdf(self.html(leaflet))

    def release_pdf(self, leaflet: Leaflet) -> tuple[bytes, Standing]:
        html, standing = self.rendered(leaflet)
        return self.renderer(leaflet.clinic.id).write_pdf(html), standing
    def combined_pdf(self, leaflets: list[Leaflet]) -> bytes:
        """Several leaflets in one PDF, each from a new page with its own footer and page numbers."""
        if len(leaflets) == 1:
            return self.pdf(leaflets[0])
        parts = [(self.html(leaflet), leaflet.language.html_lang) for leaflet in leaflets]
        return self.renderer(leaflets[0].clinic.id).write_combined(parts)

    def forget_languages(self) -> None:
        """Read catalogs and templates again on next use: they changed on disk."""
        self._languages.clear()
        self._environments.clear()


MAX_PRINTED_CHARACTERS = 40_000  # about 6 times today's longest record; far more would be a book, not a leaflet
CHARACTERS_PER_PAGE = 1_000  # large print: 650 on the shipped leaflets, 1,800 in long paragraphs


def _refuse_a_book(leaflet: Leaflet, record: Path) -> None:
    """Refuse, before the minutes a layout would take, a record that would print far too many pages."""
    printed = sum(len(text) for location, text in prose_strings(leaflet.procedure.model_dump(mode="json"))
                  if location[0] not in UNPRINTED_FIELDS)
    if printed > MAX_PRINTED_CHARACTERS:
        raise TooLong(f"this leaflet holds {printed:,} characters of text, about {printed // CHARACTERS_PER_PAGE} pages "
                      f"in large print; a leaflet may have at most {MAX_PAGES} pages: shorten the record or split it in two",
                      record)


def pdf_name(lang: str, procedure_id: str, large_print: bool) -> str:
    """A leaflet's file under ``dist/<clinic>/``: ``<lang>/<procedure>[-large-print].pdf``."""
    return f"{lang}/{procedure_id}{LARGE_PRINT_SUFFIX if large_print else ''}.pdf"


def dist_path(project: Project, leaflet: Leaflet) -> Path:
    """Where an unpersonalised leaflet goes: ``dist/<clinic>/<lang>/<procedure>[-large-print].pdf``."""
    name = pdf_name(leaflet.language.code, leaflet.procedure.id, leaflet.large_print)
    return project.dist_for(leaflet.clinic.id) / name


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()  # as any other program's files: an intranet server may run as another user


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path`` and rename it: a reader never sees half a PDF.

    A full disk, a read-only folder or a file where a folder belongs is one ``OutputError``,
    and whatever was at ``path`` before is left as it was.
    """
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fchmod(stream.fileno(), FILE_MODE)
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        raise OutputError(f"cannot write {display_path(path)}: {exc.strerror or exc}; nothing there was changed") from None
    finally:
        if temporary is not None and Path(temporary).exists():
            Path(temporary).unlink(missing_ok=True)


def write_if_changed(path: Path, data: bytes) -> None:
    """``write_atomically``, unless ``path`` already holds ``data`` (a web version's page, fonts, pictures)."""
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    write_atomically(path, data)


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


def check_target(output: str | None) -> None:
    """``--output`` must name a file to create or replace: not a link, a folder or a device."""
    if output in (None, "-"):
        return
    target = Path(output)
    if target.is_symlink():
        raise UsageError("--output is a symbolic link; name the file itself")
    if target.exists() and not target.is_file():
        raise UsageError("--output is a folder or a device, not a file")


def _publishes(project: Project, target: Path) -> bool:
    """Whether ``target`` lies in dist/, or in a clinic's folder of it that links elsewhere."""
    if is_inside(target, project.dist):
        return True
    try:
        clinics = [folder for folder in project.dist.iterdir() if folder.is_dir()]
    except OSError:
        return False
    return any(is_inside(target, folder) for folder in clinics)


def packet_leaflets(
    builder: Builder, procedures: list[Procedure], clinic: Clinic, lang: str, large_print: bool = False,
    personal: PatientDetails = PatientDetails(), with_english: bool = False,
) -> list[Leaflet]:
    """The leaflets of a packet, in order; with English, each followed by its English leaflet.
    The patient's details, given once, go into every leaflet's "For you" box."""
    languages = [lang, SOURCE_LANGUAGE] if with_english and lang != SOURCE_LANGUAGE else [lang]
    return [builder.leaflet(procedure, clinic, code, large_print, personal)
            for procedure in procedures for code in languages]


def build_packet(
    project: Project,
    procedure_ids: list[str],
    output: str,
    clinic: str = BUILD_OPTIONS["clinic"].default,
    lang: str = BUILD_OPTIONS["lang"].default,
    large_print: bool = BUILD_OPTIONS["large_print"].default,
    personal: PatientDetails = PatientDetails(),
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


def build_one(
    project: Project,
    procedure_id: str,
    clinic: str = BUILD_OPTIONS["clinic"].default,
    lang: str = BUILD_OPTIONS["lang"].default,
    large_print: bool = BUILD_OPTIONS["large_print"].default,
    personal: PatientDetails = PatientDetails(),
    output: str | None = None,
    builder: Builder | None = None,
) -> tuple[Path | None, bytes]:
    """Build one leaflet. Returns where it was written (None for ``-``) and its bytes."""
    check_output(project, personal, output)
    check_target(output)
    builder = builder or Builder(project)
    procedure = project.load_procedure(procedure_id)
    leaflet = builder.leaflet(procedure, project.load_clinic(clinic), lang, large_print, personal)
    data, standing = builder.release_pdf(leaflet)
    release = standing.released and not personal  # a personalised leaflet is never archived
    if release:
        from leaflets.build.archive import check_archive

        check_archive(project, leaflet.clinic.id, procedure.id)  # a hand-edited archive: one line, nothing written
    if output != "-":
        target = Path(output) if output else dist_path(project, leaflet)
        write_atomically(target, data)
    if output is None and not large_print:  # into dist/: its web version beside it (a personalised one never)
        page = web_page(project, builder.environment(leaflet), leaflet, standing)
        for path, page_data in web_files(project, leaflet.clinic, page_path(project, clinic, lang, procedure.id), page).items():
            write_if_changed(path, page_data)
    if release:
        from leaflets.build.archive import archive_release

        archive_release(project, leaflet.clinic.id, procedure, large_print, standing, data)
    return (None if output == "-" else target), data
