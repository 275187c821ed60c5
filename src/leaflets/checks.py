"""Checks on records and clinic files: everything is loaded and every problem reported."""

from __future__ import annotations

from dataclasses import dataclass

from .build import Builder
from .catalogs import TranslationRefused, catalog_languages
from .content import Clinic, Procedure, Project
from .errors import LeafletError, LeafletErrors


def check_project(project: Project) -> str:
    """Validate every record and clinic file; raise ``LeafletErrors`` listing all problems."""
    errors: list[LeafletError] = []
    procedures, clinics = [], []
    for load, into in ((project.load_all_procedures, procedures), (project.load_all_clinics, clinics)):
        try:
            into.extend(load())
        except LeafletErrors as exc:
            errors.extend(exc.errors)
    if errors:
        raise LeafletErrors(errors)
    return f"{len(procedures)} procedures and {len(clinics)} clinics: no problems found"


@dataclass(frozen=True)
class TranslationState:
    """How far one leaflet's translation is from buildable."""

    missing: int = 0
    fuzzy: int = 0
    problem: str | None = None  # the catalog itself cannot be used

    def __str__(self) -> str:
        if self.problem:
            return "catalog error"
        if not self.missing and not self.fuzzy:
            return "complete"
        parts = [f"{self.missing} missing"] if self.missing else []
        return ", ".join(parts + ([f"{self.fuzzy} fuzzy"] if self.fuzzy else []))


def translation_status(project: Project, languages: list[str] | None = None) -> dict[tuple[str, str], TranslationState]:
    """For each procedure and language, the strings its leaflet prints that are not translated."""
    builder = Builder(project)
    clinic = project.load_all_clinics()[0] if project.clinic_paths() else None
    languages = languages or catalog_languages(project.locales)
    status: dict[tuple[str, str], TranslationState] = {}
    for procedure in project.load_all_procedures():
        for code in languages:
            status[procedure.id, code] = _leaflet_state(builder, procedure, clinic, code)
    return status


def _leaflet_state(builder: Builder, procedure: Procedure, clinic: Clinic, code: str) -> TranslationState:
    try:
        builder.html(builder.leaflet(procedure, clinic, code))
    except LeafletErrors as exc:
        refused = [e for e in exc.errors if isinstance(e, TranslationRefused)]
        if not refused:
            return TranslationState(problem=str(exc.errors[0]))
        fuzzy = sum(e.fuzzy for e in refused)
        return TranslationState(missing=len(refused) - fuzzy, fuzzy=fuzzy)
    except LeafletError as exc:
        return TranslationState(problem=str(exc))
    return TranslationState()
