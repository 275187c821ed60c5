"""Checks on records and clinic files: everything is loaded and every problem reported."""

from __future__ import annotations

from .content import Project
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
