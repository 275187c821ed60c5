"""Printed text that no shipped font can draw (it would print as empty boxes), and a catalog's terms."""

from __future__ import annotations

from pathlib import Path

from leaflets.checks.findings import Finding, Severity
from leaflets.errors import LeafletError
from leaflets.language.catalogs import catalog_path
from leaflets.language.i18n import Language
from leaflets.language.termbase import TERMBASE, catalog_problems, read_termbase
from leaflets.model.characters import undrawable
from leaflets.model.clinic import Clinic
from leaflets.model.project import Project


def clinic_boxes(project: Project, clinic: Clinic) -> list[Finding]:
    """The clinic's printed details (name, address, website) drawable by the shipped fonts."""
    texts = [clinic.name, *clinic.address, clinic.website or ""]
    missing = [name for text in texts for name in undrawable(text, project.fonts)]
    if not missing:
        return []
    return [Finding(f"clinic {clinic.id}", f"would print empty boxes for {', '.join(dict.fromkeys(missing))}",
                    Severity.ERROR, project.content / "clinics" / f"{clinic.id}.yaml")]


def boxes_findings(
    project: Project, subject: str, record: Path, pairs: list[tuple[str, str]], language: Language
) -> list[Finding]:
    """Printed text with characters no shipped font can draw: they would print as empty boxes."""
    found = []
    for source, printed in pairs:
        if missing := undrawable(printed, project.fonts):
            if language.is_source:
                where: tuple[Path | None, int | None] = (record, None)
            else:
                where = (language.catalog_path, language.catalog_lines.get(source))
            found.append(Finding(subject, f"would print empty boxes for {', '.join(missing)}: \"{printed[:50]}\"",
                                 Severity.ERROR, *where))
    return found


def termbase_findings(project: Project, lang: str) -> list[Finding]:
    """Translations that miss a term of ``locales/<lang>/termbase.csv`` or change a number of the English."""
    catalog = catalog_path(project.locales, lang)
    if not catalog.is_file():
        return []
    table = project.locales / lang / TERMBASE
    try:
        terms = read_termbase(table) if table.exists() else []  # a pipe or folder there is refused
    except LeafletError as exc:
        return [Finding(f"termbase [{lang}]", exc.message, Severity.ERROR, exc.path, exc.line)]
    return [Finding(f"catalog [{lang}]", problem.message, Severity.WARNING, catalog, problem.line)
            for problem in catalog_problems(catalog, terms, lang)]


def catalog_boxes(language: Language, fonts: Path) -> list[Finding]:
    """Every translation in the catalog, the template's words included, drawable by the shipped fonts."""
    lang, found = language.code, []
    for message in sorted(language.complete):
        if missing := undrawable(language.translations.gettext(message), fonts):
            found.append(Finding(f"catalog [{lang}]", f"would print empty boxes for {', '.join(missing)}",
                                 Severity.ERROR, language.catalog_path, language.catalog_lines.get(message)))
    return found
