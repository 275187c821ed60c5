"""Review dates and approvals: out of date, review due soon, an approval or sign-off that no longer covers the text."""

from __future__ import annotations

from datetime import date

from leaflets.checks.findings import Finding, Severity
from leaflets.model.approvals import Standing, approvals_path
from leaflets.model.project import Project
from leaflets.model.record import Procedure


def governance_findings(procedure: Procedure, today: date, soon_days: int = 60) -> list[Finding]:
    review, found = procedure.review, []
    if review.review_due < today:
        found.append(Finding(procedure.id, f"out of date: review was due {review.review_due.isoformat()}", Severity.WARNING))
    elif (review.review_due - today).days <= soon_days:
        days = (review.review_due - today).days
        found.append(Finding(procedure.id, f"review due in {days} days ({review.review_due.isoformat()})", Severity.NOTE))
    return found


def approval_findings(project: Project, procedure: Procedure, standing: Standing) -> list[Finding]:
    """An approval or sign-off that no longer covers what the leaflet prints (it prints as a draft again)."""
    subject, path = f"{procedure.id} [{standing.lang}]", approvals_path(project, procedure.id)
    found = []
    approval, signoff = standing.approval, standing.signoff
    if not standing.translated and approval is not None and standing.changed:
        found.append(Finding(subject, f"changed since approved by {approval.by} ({approval.role}) on {approval.date.isoformat()} "
                             f"as version {approval.version}: it prints DRAFT until approved again "
                             f"(see leaflets review {procedure.id})", Severity.WARNING, path))
    if not standing.translated and approval is None and procedure.review.status == "approved":
        found.append(Finding(subject, "review.status says approved, but no approval covers what it prints, so it prints "
                             f"DRAFT: approve it with leaflets approve {procedure.id} --by NAME --role ROLE",
                             Severity.WARNING, project.record_path(procedure.id)))
    if signoff is not None and not standing.signed_off:
        what = "its English" if signoff.english and signoff.english != standing.english else "the translation"
        found.append(Finding(subject, f"{what} changed since the translation was signed off by {signoff.by} ({signoff.role}) "
                             f"on {signoff.date.isoformat()}: it prints 'draft translation' until signed off again "
                             f"(see leaflets review {procedure.id} --lang {standing.lang})", Severity.WARNING, path))
    return found
