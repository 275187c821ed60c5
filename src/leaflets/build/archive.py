"""The archive of approved releases: every approved leaflet a clinic built, kept as it was built.

``dist/<clinic>/archive/<id>/<version>/<lang>/<id>[-large-print]-<sha256 prefix>.pdf``, listed in
``dist/<clinic>/archive/releases.json``. A file is written once and never rewritten or removed by
leaflets; one edited by hand (its sha256 no longer the one listed) is reported, never replaced.
``which`` answers "which leaflet was this patient given?" from the 8 characters on every page.
Nothing about patients is kept: a personalised leaflet is never archived.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, ConfigDict

from leaflets.build.files import write_atomically
from leaflets.errors import LeafletError, LeafletErrors, OutputError, UsageError
from leaflets.model.approvals import Approval, Standing, read_approvals
from leaflets.model.day import build_day
from leaflets.model.project import Project
from leaflets.model.record import LARGE_PRINT_SUFFIX, Procedure
from leaflets.model.validation import read_back
from leaflets.paths import display_path, is_inside

ARCHIVE = "archive"
RELEASES = "releases.json"
LOCK = ".releases.lock"


class ArchiveEdited(OutputError):
    """A file of the archive that is not as it was written (or is gone)."""


class Release(BaseModel):
    """One archived PDF, as ``releases.json`` lists it: checked as it is read (``from_json``)."""

    model_config = ConfigDict(strict=True, frozen=True, extra="allow")  # a newer version's keys are kept as they are

    procedure: str
    version: str
    lang: str
    large_print: bool
    fingerprint: str
    code: str  # the 8 characters printed on every page
    approved_by: str
    approved_role: str
    approved_on: str
    review_due: str
    released_on: str  # the day it was first built and archived
    file: str  # relative to dist/<clinic>/archive/
    sha256: str
    translation_signed_by: str | None = None
    translation_role: str | None = None
    translation_signed_on: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Release:
        """The release ``data`` holds; ``ValueError`` saying what is wrong if it is not one leaflets wrote."""
        release = read_back(cls, data)
        if not re.fullmatch(r"[0-9a-f]{64}", release.sha256) or not re.fullmatch(r"[0-9a-f]{8}", release.code):
            raise ValueError("sha256 or code: not as leaflets writes them")
        parts = PurePosixPath(release.file).parts
        if (len(parts) != 4 or parts[0] != release.procedure or parts[2] != release.lang or parts[1] != release.version
                or any(part in ("", ".", "..") or "\\" in part for part in parts) or not release.file.endswith(".pdf")):
            raise ValueError(f"file: '{release.file[:80]}' is not <procedure>/<version>/<lang>/<name>.pdf in the archive")
        return release


def archive_of(project: Project, clinic_id: str) -> Path:
    return project.dist_for(clinic_id) / ARCHIVE


def read_releases(archive: Path) -> list[Release]:
    """The releases listed in ``archive/releases.json``; none if there is no archive yet."""
    path = archive / RELEASES
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["releases"]
        if not isinstance(entries, list):
            raise TypeError
    except OSError as exc:
        raise ArchiveEdited(f"cannot read the release list: {exc.strerror}", path) from None
    except (ValueError, KeyError, TypeError):
        raise ArchiveEdited("the release list is not as leaflets wrote it (edited by hand?); restore it from a backup",
                            path) from None
    releases = []
    for index, entry in enumerate(entries, 1):
        try:
            releases.append(Release.from_json(entry))
        except ValueError as exc:
            raise ArchiveEdited(f"releases[{index}]: {exc}: the release list is not as leaflets wrote it (edited by hand?);"
                                " restore it from a backup", path) from None
    return releases


def edited_files(archive: Path, releases: list[Release], procedure_id: str | None = None) -> list[ArchiveEdited]:
    """One error for each archived PDF (of ``procedure_id``, or all) that is missing or not as written."""
    problems = []
    for release in releases:
        if procedure_id is not None and release.procedure != procedure_id:
            continue
        path = archive / release.file
        digest = _sha256(path) if is_inside(path, archive) else None
        if digest is None:
            problems.append(ArchiveEdited("archived release is missing; the archive is never rewritten: restore it from a backup",
                                          path))
        elif digest != release.sha256:
            problems.append(ArchiveEdited("archived release was edited by hand (its sha256 differs from releases.json); "
                                          "it is never overwritten: restore it from a backup", path))
    return problems


def check_archive(project: Project, clinic_id: str, procedure_id: str | None = None) -> None:
    """Raise one line per archived file (of ``procedure_id``, or all) that is not as it was written."""
    archive = archive_of(project, clinic_id)
    problems = edited_files(archive, read_releases(archive), procedure_id)
    if problems:
        raise LeafletErrors(problems)


def archive_problems(project: Project, clinic_id: str) -> list[LeafletError]:
    """Every problem of a clinic's archive, for ``check`` and the batch build's summary."""
    archive = archive_of(project, clinic_id)
    try:
        return list(edited_files(archive, read_releases(archive)))
    except LeafletError as exc:
        return exc.errors


@contextmanager
def _locked(archive: Path) -> Iterator[None]:
    archive.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(archive / LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # brief: a few files written
        yield
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


def archive_release(project: Project, clinic_id: str, procedure: Procedure, large_print: bool, standing: Standing,
                    pdf: bytes) -> Path:
    """Keep ``pdf``, an approved release, in the clinic's archive (once: the same bytes are not kept twice)."""
    archive = archive_of(project, clinic_id)
    digest = hashlib.sha256(pdf).hexdigest()
    lang = standing.lang
    suffix = LARGE_PRINT_SUFFIX if large_print else ""
    relative = f"{procedure.id}/{standing.version}/{lang}/{procedure.id}{suffix}-{digest[:12]}.pdf"
    try:
        with _locked(archive):
            releases = read_releases(archive)
            problems = edited_files(archive, releases, procedure.id)
            if problems:
                raise LeafletErrors(problems)
            if any(r.file == relative for r in releases):
                return archive / relative
            target = archive / relative
            if target.resolve() != archive.resolve() / relative:  # a link in the archive: nothing written through it
                raise ArchiveEdited("is not inside the archive (a link?); the archive is never written through one", target)
            if not target.exists():
                write_atomically(target, pdf)
            elif _sha256(target) != digest:  # not listed, yet there (a build stopped half-way keeps the same bytes)
                raise ArchiveEdited("is in the archive but not in releases.json, and not as built (edited by hand?); "
                                    "it is never overwritten", target)
            releases.append(_release(procedure, large_print, standing, relative, digest))
            _write_releases(archive, releases)
    except OSError as exc:
        raise OutputError(f"cannot write the archive {display_path(archive)}: {exc.strerror or exc}") from None
    return target


def _release(procedure: Procedure, large_print: bool, standing: Standing, relative: str, digest: str) -> Release:
    approval: Approval = standing.approval  # type: ignore[assignment]  # a release is approved
    signoff = standing.signoff if standing.translated else None
    return Release(
        procedure=procedure.id, version=standing.version, lang=standing.lang,
        large_print=large_print, fingerprint=standing.fingerprint, code=standing.code,
        approved_by=approval.by, approved_role=approval.role, approved_on=approval.date.isoformat(),
        review_due=procedure.review.review_due.isoformat(), released_on=build_day().isoformat(),
        file=relative, sha256=digest,
        translation_signed_by=signoff.by if signoff else None, translation_role=signoff.role if signoff else None,
        translation_signed_on=signoff.date.isoformat() if signoff else None,
    )


def _write_releases(archive: Path, releases: list[Release]) -> None:
    entries = [r.model_dump(exclude_none=True) for r in releases]
    document = {"about": "Approved leaflets as built and given to patients; never rewritten. See `leaflets which CODE`.",
                "releases": entries}
    write_atomically(archive / RELEASES, json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8") + b"\n")


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


# -- which: from the code on a patient's copy to the release -------------------------------------


@dataclass(frozen=True)
class Found:
    """What ``which`` found for a code: an archived release, or an approval with no archived PDF."""

    lines: list[str]
    problems: list[LeafletError]


def which(project: Project, code: str) -> Found:
    """Every release, in every clinic's archive, whose printed code is ``code``; else the approvals that bear it."""
    code = code.strip().lower()
    if len(code) != 8 or any(c not in "0123456789abcdef" for c in code):
        raise UsageError("the code is the 8 letters and digits (0-9, a-f) printed at the foot of every page, such as 3fa94c1e")
    lines, problems = [], []
    for archive in sorted(project.dist.glob(f"*/{ARCHIVE}")):
        try:
            releases = read_releases(archive)
        except LeafletError as exc:
            problems += exc.errors
            continue
        matching = [r for r in releases if r.code == code]
        problems += edited_files(archive, matching)
        lines += [_describe(archive, release) for release in matching]
    if not lines:
        lines = _approvals_bearing(project, code)
    return Found(lines, problems)


def _describe(archive: Path, release: Release) -> str:
    translation = (f"; translation signed off by {release.translation_signed_by} ({release.translation_role}) "
                   f"on {release.translation_signed_on}" if release.translation_signed_by else "")
    print_size = "large print" if release.large_print else "regular print"
    return (f"{display_path(archive / release.file)}: {release.procedure} version {release.version} [{release.lang}], "
            f"{print_size}; approved by {release.approved_by} ({release.approved_role}) on {release.approved_on}"
            f"{translation}; released {release.released_on}; review due {release.review_due}")


def _approvals_bearing(project: Project, code: str) -> list[str]:
    """Approvals whose fingerprint starts with ``code``: approved, but no archived PDF holds it."""
    found = []
    for path in sorted((project.content / "approvals").glob("*.yaml")):
        try:
            approvals = read_approvals(project, path.stem)
        except LeafletError:
            continue
        for approval in approvals:
            if approval.code == code:
                found.append(f"{display_path(path)}: {path.stem} version {approval.version} [{approval.lang}] approved by "
                             f"{approval.by} ({approval.role}) on {approval.date.isoformat()}; no archived PDF holds it "
                             "(built elsewhere, or not yet built)")
    return found
