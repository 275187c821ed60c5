"""Building leaflets: one PDF, or every leaflet of a clinic, written atomically."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .content import Clinic, Procedure, Project
from .errors import LeafletError, LeafletErrors, UsageError, display_path
from .catalogs import TranslationRefused, load_language, refusal
from .i18n import Language, tracking_misses
from .pdf import PdfRenderer
from .render import Leaflet, Personal, make_environment, render_html

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
        self.today = today
        self.renderer = PdfRenderer(
            base_folder=project.templates,
            allowed_folders=[project.templates, project.content / "clinics"],
        )
        self._environments: dict[str, Any] = {}
        self._languages: dict[str, Language] = {}

    def language(self, code: str) -> Language:
        if code not in self._languages:
            self._languages[code] = load_language(self.project.locales, code)
        return self._languages[code]

    def leaflet(
        self, procedure: Procedure, clinic: Clinic, lang: str, large_print: bool = False,
        personal: Personal = Personal(),
    ) -> Leaflet:
        return Leaflet(procedure, clinic, self.language(lang), large_print, personal, self.today)

    def html(self, leaflet: Leaflet) -> str:
        clinic_id = leaflet.clinic.id
        if clinic_id not in self._environments:
            self._environments[clinic_id] = make_environment(self.project.templates, clinic_id)
        with tracking_misses() as untranslated:
            html = render_html(leaflet, self._environments[clinic_id])
        if untranslated:
            record = self.project.content / "procedures" / f"{leaflet.procedure.id}.yaml"
            raise refusal(leaflet.language, untranslated, self.project.root, record)
        return html

    def pdf(self, leaflet: Leaflet) -> bytes:
        return self.renderer.write_pdf(self.html(leaflet))


def dist_path(project: Project, leaflet: Leaflet) -> Path:
    """Where an unpersonalised leaflet goes: ``dist/<clinic>/<lang>/<procedure>[-large-print].pdf``."""
    suffix = "-large-print" if leaflet.large_print else ""
    return project.dist / leaflet.clinic.id / leaflet.language.code / f"{leaflet.procedure.id}{suffix}.pdf"


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


def check_output(project: Project, personal: Personal, output: str | None) -> None:
    """A personalised leaflet goes only where the clinician says, and never into ``dist/``."""
    if not personal:
        return
    if output is None:
        raise UsageError(
            "a leaflet with patient details is written only where --output says "
            "(a file, or - for standard output); it never goes into dist/"
        )
    if output != "-" and Path(output).resolve().is_relative_to(project.dist.resolve()):
        raise UsageError("a leaflet with patient details must not be written into dist/; choose another --output")


def build_one(
    project: Project,
    procedure_id: str,
    clinic: str = BUILD_OPTIONS["clinic"].default,
    lang: str = BUILD_OPTIONS["lang"].default,
    large_print: bool = BUILD_OPTIONS["large_print"].default,
    personal: Personal = Personal(),
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


@dataclass
class BuildReport:
    """What a batch build did, for the summary."""

    built: list[Path] = field(default_factory=list)
    refused: list[LeafletError] = field(default_factory=list)
    failed: list[LeafletError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.refused


def build_all(project: Project, clinic: str = BUILD_OPTIONS["clinic"].default) -> BuildReport:
    """Every procedure, in every language of the clinic, regular and large print.

    A broken record or catalog fails only its own leaflets, and a translation
    that is incomplete refuses only the leaflets that print the missing strings:
    the rest are still built.
    """
    started = time.perf_counter()
    report = BuildReport()
    the_clinic = project.load_clinic(clinic)
    builder = Builder(project)
    languages = _usable_languages(builder, the_clinic.languages, report)
    for procedure_id in project.procedure_ids():
        try:
            procedure = project.load_procedure(procedure_id)
        except LeafletErrors as exc:
            report.failed.extend(exc.errors)
            continue
        for lang in languages:
            for large_print in (False, True):
                _build_into_dist(builder, builder.leaflet(procedure, the_clinic, lang, large_print), report)
    report.seconds = time.perf_counter() - started
    return report


def _usable_languages(builder: Builder, codes: list[str], report: BuildReport) -> list[str]:
    usable = []
    for code in codes:
        try:
            builder.language(code)
            usable.append(code)
        except LeafletErrors as exc:
            report.failed.extend(exc.errors)
        except LeafletError as exc:
            report.failed.append(exc)
    return usable


def _build_into_dist(builder: Builder, leaflet: Leaflet, report: BuildReport) -> None:
    target = dist_path(builder.project, leaflet)
    try:
        write_atomically(target, builder.pdf(leaflet))
        report.built.append(target)
    except LeafletErrors as exc:
        refused = [e for e in exc.errors if isinstance(e, TranslationRefused)]
        if refused:
            name = display_path(target)
            report.refused.append(LeafletError(f"refused {name}: {len(refused)} string(s) not translated; first: {refused[0]}"))
        report.failed.extend(e for e in exc.errors if not isinstance(e, TranslationRefused))
    except LeafletError as exc:
        report.failed.append(exc)
