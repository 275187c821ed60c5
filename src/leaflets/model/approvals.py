"""Approvals: who approved which printed text of a leaflet, and whether that text is still what prints.

Each record has an append-only approvals file beside the content, ``content/approvals/<id>.yaml``:
a clinician's approval (``lang: en``) or a translator's sign-off (``lang: es`` ...) is one entry,
appended, newest last. An entry is bound to the fingerprint of the printed content it approved
(see ``render.printed.printed_content``); it counts only while it is the newest entry of its language and
its fingerprint is the fingerprint of what the leaflet prints now. The text approved is kept too,
in ``content/approvals/<id>/<lang>-<fingerprint>.txt``, so ``leaflets review`` can show what
changed since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as Date
from pathlib import Path
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from leaflets.errors import UsageError
from leaflets.model.characters import unprintable
from leaflets.model.day import build_day
from leaflets.model.project import Project
from leaflets.model.record import Strict, Text, Version, version_order
from leaflets.model.validation import validate
from leaflets.model.yamlfile import YamlDocument, read_text_file, read_yaml

APPROVALS = "approvals"
Fingerprint = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
MAX_NAME = 100


class Approval(Strict):
    """One approval (English) or translation sign-off, as the approvals file holds it."""

    lang: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(_[A-Za-z]{2,4})?$")]
    version: Version  # the English version; a translation's is the version it translates
    fingerprint: Fingerprint  # of the printed content approved (a translation's covers its English too)
    by: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME)]
    role: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME)]
    date: Date
    english: Fingerprint | None = None  # a translation's: the English content it was signed off with

    @field_validator("by", "role")
    @classmethod
    def _printable(cls, value: str) -> str:
        if problem := unprintable(value):
            raise ValueError(f"holds {problem}")
        return value

    @field_validator("date")
    @classmethod
    def _not_in_the_future(cls, value: Date) -> Date:
        today = build_day()
        if value > today:
            raise ValueError(f"{value} is after the build day, {today}: an approval cannot be dated in the future")
        return value

    @property
    def code(self) -> str:
        """The 8 characters printed on every page."""
        return self.fingerprint[:8]


class ApprovalsFile(Strict):
    approvals: Annotated[list[Approval], Field(default_factory=list)]
    procedure: Text | None = None  # which record; for readers of the file


def approvals_path(project: Project, procedure_id: str) -> Path:
    return project.content / APPROVALS / f"{procedure_id}.yaml"


def approved_text_path(project: Project, procedure_id: str, approval: Approval) -> Path:
    return project.content / APPROVALS / procedure_id / f"{approval.lang}-{approval.fingerprint[:16]}.txt"


def read_approvals(project: Project, procedure_id: str) -> list[Approval]:
    """Every approval of the record, oldest first; none when it has no approvals file."""
    path = approvals_path(project, procedure_id)
    if not path.exists():
        return []
    return parse_approvals(read_yaml(path))


def parse_approvals(document: YamlDocument) -> list[Approval]:
    """The approvals of a parsed approvals file; every problem reported with its line."""
    if document.data is None:
        return []
    return list(validate(ApprovalsFile, document).approvals)


def latest(approvals: list[Approval], lang: str) -> Approval | None:
    return next((a for a in reversed(approvals) if a.lang == lang), None)


@dataclass(frozen=True)
class Standing:
    """Where one leaflet's printed content stands: approved, changed since approval, or draft.

    ``fingerprint`` is of what the leaflet prints now (a translation's covers its English);
    ``english`` of its English content.
    """

    lang: str
    fingerprint: str
    english: str
    version: str  # printed: the approved version, or the one the next approval would get
    approval: Approval | None  # the newest English approval
    signoff: Approval | None  # the newest sign-off of this translation

    @property
    def code(self) -> str:
        return self.fingerprint[:8]

    @property
    def approved(self) -> bool:
        return self.approval is not None and self.approval.fingerprint == self.english

    @property
    def changed(self) -> bool:
        """Approved once, but what it prints has changed since."""
        return self.approval is not None and not self.approved

    @property
    def translated(self) -> bool:
        return self.lang != "en"

    @property
    def signed_off(self) -> bool:
        return self.signoff is not None and self.signoff.fingerprint == self.fingerprint

    @property
    def released(self) -> bool:
        """Approved, and for a translation signed off: a release, archived when built."""
        return self.approved and (not self.translated or self.signed_off)

    @property
    def approval_state(self) -> str:
        """``approved``, ``changed`` (since it was approved) or ``draft``."""
        return "approved" if self.approved else "changed" if self.changed else "draft"

    @property
    def translation_state(self) -> str | None:
        """For a translation: ``signed off``, ``changed`` (since it was signed off) or ``not signed off``."""
        if not self.translated:
            return None
        return "signed off" if self.signed_off else "changed" if self.signoff is not None else "not signed off"

    @property
    def state(self) -> str:
        """In words, for the command line."""
        approval = self.approval
        english = {"approved": f"approved v{self.version}", "draft": "draft",
                   "changed": f"changed since v{approval.version if approval else '?'} was approved"}[self.approval_state]
        translation = self.translation_state
        if translation is None:
            return english
        return f"{english}; translation {'changed since sign-off' if translation == 'changed' else translation}"


def standing(approvals: list[Approval], lang: str, english: str, fingerprint: str, record_version: str) -> Standing:
    """The standing of a leaflet whose English content has fingerprint ``english`` and which prints ``fingerprint``."""
    approval = latest(approvals, "en")
    signoff = latest(approvals, lang) if lang != "en" else None
    if approval is not None and approval.fingerprint == english:
        version = approval.version
    else:
        version = next_version(approval.version if approval else None, record_version)
    return Standing(lang, fingerprint, english, version, approval, signoff)


def next_version(last: str | None, record_version: str) -> str:
    """The version a new approval of changed content gets: the last one bumped ("1.0" -> "1.1"),
    or the record's own ``review.version`` if the authors set it higher; the first is the record's."""
    if last is None:
        return record_version
    parts = last.split(".")  # each part at most 4 ASCII digits (``Version``)
    bumped = ".".join([*parts[:-1], str(int(parts[-1]) + 1)])
    return max(bumped, record_version, key=version_order)


def check_signer(by: str | None, role: str | None, fonts: Path) -> tuple[str, str]:
    """``--by`` and ``--role``: present, short, and printable by the shipped fonts."""
    from leaflets.model.characters import undrawable

    for option, value in (("--by", by), ("--role", role)):
        if value is None or not value.strip():
            wanted = "who approves, by name" if option == "--by" else "their role, such as Consultant nephrologist"
            raise UsageError(f"approve needs {option} ({wanted})")
        if len(value.strip()) > MAX_NAME:
            raise UsageError(f"{option} is too long (at most {MAX_NAME} characters)")
        if unprintable(value) or undrawable(value, fonts):
            raise UsageError(f"{option} holds a character that cannot be printed as written in the leaflet's footer")
    return by.strip(), role.strip()  # type: ignore[union-attr]


def approved_text(project: Project, procedure_id: str, approval: Approval) -> str | None:
    """The text that ``approval`` approved, as kept when it was recorded."""
    path = approved_text_path(project, procedure_id, approval)
    if not path.exists():
        return None
    return read_text_file(path)  # a file that is not UTF-8 text is one line naming it


def find_version(approvals: list[Approval], lang: str, version: str) -> Approval | None:
    """The newest approval of ``lang`` at ``version`` (for ``review --since``)."""
    return next((a for a in reversed(approvals) if a.lang == lang and a.version == version), None)

