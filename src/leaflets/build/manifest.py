"""``dist/<clinic>/manifest.json``: what each built PDF was made from, and whether it is still current.

Two keys per PDF. The *input key* hashes everything the leaflet depends on (the record's
parsed content, the clinic, the catalog, the templates, fonts and pictures, the package
version, whether it is out of date): equal input keys, same PDF, so nothing is rendered.
The *render key* hashes the HTML actually rendered with the assets: when the inputs
changed but the printed text did not (a comment in a catalog), the PDF is not rewritten.

Each PDF's sha256 is recorded, with its identity (``digests.identity``) when it was taken: a PDF
is trusted unread while its identity is the one recorded and was settled before the manifest was
written; otherwise it is read and hashed, and a PDF not as written (tampered, truncated, replaced)
is built again and reported. The manifest is checked as it is read: an entry of the wrong shape,
or naming any file but its own leaflet's ``<lang>/<procedure>[-large-print].pdf``, is left out
(so never trusted, nor deleted) and reported; its leaflet is built again.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from leaflets import __version__
from leaflets.build.files import write_atomically
from leaflets.build.leaflet import pdf_name
from leaflets.language.catalogs import catalog_path
from leaflets.language.i18n import SOURCE_LANGUAGE
from leaflets.model.cache import code_version, collector_paused
from leaflets.model.clinic import Clinic
from leaflets.model.digests import FileDigests, bytes_digest, digest, file_digest, settled_before, stored_identity
from leaflets.model.project import Project, RecordSummary
from leaflets.model.validation import read_back
from leaflets.paths import display_path

MANIFEST = "manifest.json"
TRANSLATION_REFUSED = "translation refused"
OUT_OF_DATE = "out of date"


class ManifestEntry(BaseModel):
    """One PDF of ``dist/<clinic>/``, as the manifest records it."""

    model_config = ConfigDict(strict=True, extra="ignore")  # keys of another version of leaflets: left out

    file: str  # relative to dist/<clinic>/, e.g. es/dialysis-fistula-creation.pdf
    procedure: str
    lang: str
    large_print: bool
    status: str  # built, out of date, or translation refused
    sha256: str | None  # of the PDF on disk; None when there is none
    version: str
    review_due: str
    input_key: str
    render_key: str | None
    blank_fields: dict[str, list[float]] | None = None  # where the "For you" lines are: pt and page
    reason: str | None = None  # why a translation was refused
    approval: str | None = None  # approved, changed (since approval) or draft: see approvals.Standing
    translation: str | None = None  # a translation's: signed off, changed (since sign-off) or not signed off
    stat: list[int] | None = None  # the PDF's identity (digests.stored_identity) when its sha256 was taken

    def to_json(self) -> dict[str, Any]:
        optional = ("reason", "approval", "translation", "stat")
        return {name: value for name, value in self.model_dump().items() if value is not None or name not in optional}

    @classmethod
    def from_json(cls, data: Any) -> ManifestEntry:
        """The entry ``data`` holds; ``ValueError`` saying what is wrong if it is not one leaflets wrote."""
        entry = read_back(cls, data)
        if wrong := entry.wrong_file():
            raise ValueError(wrong)
        return entry

    def wrong_file(self) -> str | None:
        """Why the entry's file is not its own leaflet's PDF, or its values not as leaflets writes them."""
        if not _FILE.fullmatch(self.file) or self.lang == ARCHIVE:
            return f"file: '{_short(self.file)}' is not a leaflet of this clinic"
        if self.file != pdf_name(self.lang, self.procedure, self.large_print):
            return f"file: '{_short(self.file)}' is not where its leaflet goes"
        if self.sha256 is not None and not _SHA256.fullmatch(self.sha256):
            return "sha256: not a sha256 digest"
        if self.blank_fields and any(len(box) not in (4, 5) for box in self.blank_fields.values()):
            return "blank_fields: each line needs left, top, width, height and page"
        return None


_FILE = re.compile(r"[A-Za-z]{2,3}(?:_[A-Za-z0-9]{2,8})*/[a-z0-9][a-z0-9-]{0,63}\.pdf")  # <lang>/<leaflet>.pdf
_SHA256 = re.compile(r"[0-9a-f]{64}")
ARCHIVE = "archive"  # dist/<clinic>/archive/: never a leaflet's folder


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass
class Manifest:
    """The manifest of one clinic's output folder, keyed by each PDF's file name."""

    out: Path
    entries: dict[str, ManifestEntry] = field(default_factory=dict)
    index_key: str | None = None  # what the catalog page was made from: the same key, the same page
    written_ns: int = field(default=0, compare=False)  # when the file was written (its mtime); 0: never
    problems: list[str] = field(default_factory=list, compare=False)  # entries left out as it was read, and why
    changed_on_disk: list[str] = field(default_factory=list, compare=False)  # PDFs found not as written

    @classmethod
    def read(cls, out: Path) -> Manifest:
        """The manifest on disk, its entries checked (see the module's docstring); an empty one if it
        is missing, unreadable or not a manifest."""
        path = out / MANIFEST
        try:
            written_ns = path.stat().st_mtime_ns
            with collector_paused():
                parsed = _parsed(path.read_bytes())
        except OSError:
            return cls(out)
        if parsed is None:
            return cls(out, problems=[f"{display_path(path)}: not a manifest leaflets wrote; every leaflet is built again"])
        manifest = cls(out, {}, parsed[0], written_ns)
        for index, entry in parsed[1]:
            if isinstance(entry, str):
                manifest.problems.append(f"{display_path(path)}: files[{index}]: {entry}; left out, its leaflet built again")
            else:
                manifest.entries[entry.file] = entry
        return manifest

    def write(self) -> None:
        files = [entry.to_json() for _, entry in sorted(self.entries.items())]
        document = {"generator": f"leaflets {__version__}", "index_key": self.index_key, "files": files}
        write_atomically(self.out / MANIFEST, json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8") + b"\n")

    def name_of(self, target: Path) -> str:
        return target.relative_to(self.out).as_posix()

    def intact(self, name: str) -> ManifestEntry | None:
        """The entry of a PDF that is on disk exactly as it was written (its stat brought up to date).

        A PDF whose identity is the one recorded when its sha256 was taken, settled before the
        manifest was written, is not read again; any other is hashed (see ``digests.py``). One
        that is not as written is noted in ``changed_on_disk``.
        """
        entry = self.entries.get(name)
        if entry is None or entry.sha256 is None:
            return None
        same, seen = as_written(self.out, name, entry.stat, entry.sha256, self.written_ns)
        if not same:
            if name not in self.changed_on_disk:
                self.changed_on_disk.append(name)
            return None
        return entry if entry.stat == seen else entry.model_copy(update={"stat": seen})

    def current(self, name: str, input_key: str) -> ManifestEntry | None:
        """The entry of a PDF that is intact and was made from exactly these inputs."""
        entry = self.intact(name)
        return entry if entry is not None and entry.input_key == input_key else None


def as_written(out: Path, name: str, stat: list[int] | None, sha256: str, written_ns: int) -> tuple[bool, list[int] | None]:
    """Whether the PDF ``name`` in ``out`` holds the bytes ``sha256`` names, and its identity as seen (taken
    before hashing: a change after it shows). An identity that is the recorded ``stat`` and settled before
    ``written_ns`` (when the record was written) is trusted; any other file is hashed (see ``digests.py``)."""
    seen = stored_identity(f"{out}/{name}")  # a string: no Path made for each of thousands of PDFs
    if seen is not None and stat == seen and settled_before(seen, written_ns):
        return True, seen
    return file_digest(out / name) == sha256, seen


class _Document(BaseModel):
    """A manifest as leaflets writes it: checked in one pass while every entry is right."""

    model_config = ConfigDict(strict=True, extra="ignore")

    index_key: str | None = None
    files: list[ManifestEntry] = []


def _parsed(raw: bytes) -> tuple[str | None, list[tuple[int, ManifestEntry | str]]] | None:
    """The index key and each entry (numbered from 1), or why it is not one; None if ``raw`` is no manifest."""
    try:
        document = _Document.model_validate_json(raw)
        return document.index_key, [(index, entry.wrong_file() or entry) for index, entry in enumerate(document.files, 1)]
    except ValidationError:
        pass
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files", []), list):
        return None
    index_key = data.get("index_key") if isinstance(data.get("index_key"), str) else None
    return index_key, [(index, _entry_or_problem(item)) for index, item in enumerate(data.get("files", []), 1)]


def _entry_or_problem(item: Any) -> ManifestEntry | str:
    try:
        return ManifestEntry.from_json(item)
    except ValueError as exc:
        return str(exc)


class ManifestReader:
    """The manifest of one output folder, read once and again only when the file changes.

    For a long-running process (the web page): a request asks ``current()``, which costs a
    ``stat`` of the file, not a read of a manifest that holds thousands of entries.
    """

    def __init__(self, out: Path):
        self.out = out
        self._lock = threading.Lock()
        self._identity: list[int] | None = None
        self._manifest = Manifest(out)

    def current(self) -> Manifest:
        seen = stored_identity(self.out / MANIFEST)
        with self._lock:
            if seen != self._identity:
                self._manifest, self._identity = Manifest.read(self.out), seen  # taken before reading
            return self._manifest


# -- keys --------------------------------------------------------------------------------------


def input_key(shared: str, record: str, catalog: str | None, lang: str, large_print: bool, out_of_date: bool,
              approvals: str | None) -> str:
    """The key a leaflet's PDF is built under: equal keys, same PDF. ``record``: ``record_digest``;
    ``approvals``: ``approvals_digest``.

    Worked out for every leaflet of a library on every build, so from plain text, not JSON."""
    parts = (shared, record, catalog or "-", lang, "large" if large_print else "regular", "old" if out_of_date else "current",
             approvals or "-")
    return bytes_digest("\0".join(parts).encode("utf-8"))


def approvals_digest(project: Project, procedure_id: str) -> str | None:
    """Of the record's approvals file (see approvals.py), whose entries decide whether it is a draft."""
    return file_digest(project.content / "approvals" / f"{procedure_id}.yaml")


def catalog_digest(project: Project, lang: str) -> str | None:
    """The digest of a language's catalog; None for English, "missing" when there is none (loading it says why)."""
    return None if lang == SOURCE_LANGUAGE else _CATALOGS.of(catalog_path(project.locales, lang)) or "missing"


_CATALOGS = FileDigests()  # the web page asks for a catalog's digest on every request


def leaflet_input_key(project: Project, shared: str, record: RecordSummary, lang: str, large_print: bool) -> str:
    """``input_key`` of one leaflet, worked out alone (the web page asks for one at a time) from its
    record's summary, which holds the record's digest."""
    return input_key(shared, record.digest, catalog_digest(project, lang), lang, large_print,
                     record.is_out_of_date(), approvals_digest(project, record.id))


def shared_inputs(project: Project, clinic: Clinic) -> str:
    """What every leaflet of the clinic depends on: package, templates, fonts, pictures, clinic."""
    templates = sorted(p for p in project.templates.rglob("*.html") if p.is_file() and not _web_page(project, p))
    parts = [asset_inputs(project, clinic), json.dumps(clinic.model_dump(mode="json"), sort_keys=True)]
    return digest(*parts, *(f"{p.relative_to(project.templates)}:{_read_digest(p)}" for p in templates))


def asset_inputs(project: Project, clinic: Clinic) -> str:
    """What a PDF depends on besides its HTML: the package (its version and code), stylesheet, fonts,
    pictures, logo."""
    files = sorted(p for p in project.templates.rglob("*") if p.is_file() and p.suffix != ".html" and not _web_page(project, p))
    parts = [__version__, code_version()] + [f"{p.relative_to(project.templates)}:{_read_digest(p)}" for p in files]
    if clinic.logo_path:
        parts.append(f"logo:{_read_digest(clinic.logo_path)}")
    return digest(*parts)


def _web_page(project: Project, path: Path) -> bool:
    """The clinicians' web page's own files, which no leaflet depends on."""
    return path.relative_to(project.templates).parts[0] == "web"


def _read_digest(path: Path) -> str:
    """The file's digest; a file that cannot be read stops the build (``OSError``)."""
    return bytes_digest(path.read_bytes())
