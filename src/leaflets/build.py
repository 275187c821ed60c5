"""Building one leaflet: load, translate, render, write atomically. (All of a clinic: batch.py.)"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .content import Clinic, Procedure, Project, build_day
from .errors import UsageError
from .paths import is_inside
from .catalogs import load_language, refusal
from .i18n import Language, tracking_misses
from .render import STYLESHEET, Leaflet, PatientDetails, make_environment, render_html, template_file

if TYPE_CHECKING:
    from .pdf import PdfRenderer

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

    def renderer(self, clinic_id: str) -> PdfRenderer:
        if clinic_id not in self._renderers:
            from .pdf import PdfRenderer  # WeasyPrint takes a second to import: only when a PDF is made

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
        key = (leaflet.clinic.id, leaflet.language.code)
        if key not in self._environments:
            self._environments[key] = make_environment(self.project.templates, leaflet.clinic.id, leaflet.language)
        with tracking_misses() as untranslated:
            html = render_html(leaflet, self._environments[key])
        if untranslated:
            record = self.project.record_path(leaflet.procedure.id)
            raise refusal(leaflet.language, untranslated, self.project.root, record)
        return html

    def pdf(self, leaflet: Leaflet) -> bytes:
        return self.renderer(leaflet.clinic.id).write_pdf(self.html(leaflet))


LARGE_PRINT_SUFFIX = "-large-print"


def pdf_name(lang: str, procedure_id: str, large_print: bool) -> str:
    """A leaflet's file under ``dist/<clinic>/``: ``<lang>/<procedure>[-large-print].pdf``."""
    return f"{lang}/{procedure_id}{LARGE_PRINT_SUFFIX if large_print else ''}.pdf"


def dist_path(project: Project, leaflet: Leaflet) -> Path:
    """Where an unpersonalised leaflet goes: ``dist/<clinic>/<lang>/<procedure>[-large-print].pdf``."""
    name = pdf_name(leaflet.language.code, leaflet.procedure.id, leaflet.large_print)
    return project.dist_for(leaflet.clinic.id) / name


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path`` and rename it: a reader never sees half a PDF."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def check_output(project: Project, personal: PatientDetails, output: str | None) -> None:
    """A personalised leaflet goes only where the clinician says, and never into ``dist/``."""
    if not personal:
        return
    if output is None:
        raise UsageError(
            "a leaflet with patient details is written only where --output says "
            "(a file, or - for standard output); it never goes into dist/"
        )
    if output != "-" and is_inside(output, project.dist):
        raise UsageError("a leaflet with patient details must not be written into dist/; choose another --output")


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
    builder = builder or Builder(project)
    procedure = project.load_procedure(procedure_id)
    leaflet = builder.leaflet(procedure, project.load_clinic(clinic), lang, large_print, personal)
    data = builder.pdf(leaflet)
    if output == "-":
        return None, data
    target = Path(output) if output else dist_path(project, leaflet)
    write_atomically(target, data)
    return target, data
