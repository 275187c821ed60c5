"""``dist/<clinic>/manifest.json``: what each built PDF was made from, and whether it is still current.

Two keys per PDF. The *input key* hashes everything the leaflet depends on (the record's
parsed content, the clinic, the catalog, the templates, fonts and pictures, the package
version, whether it is out of date): equal input keys, same PDF, so nothing is rendered.
The *render key* hashes the HTML actually rendered with the assets: when the inputs
changed but the printed text did not (a comment in a catalog), the PDF is not rewritten.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from leaflets import __version__
from leaflets.build.files import write_atomically
from leaflets.language.catalogs import catalog_path
from leaflets.language.i18n import SOURCE_LANGUAGE
from leaflets.model.clinic import Clinic
from leaflets.model.digests import FileDigests, bytes_digest, digest, file_digest, stored_identity
from leaflets.model.project import Project
from leaflets.model.record import Procedure

MANIFEST = "manifest.json"
TRANSLATION_REFUSED = "translation refused"
OUT_OF_DATE = "out of date"


@dataclass
class ManifestEntry:
    """One PDF of ``dist/<clinic>/``, as the manifest records it."""

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
    blank_fields: dict[str, list[float]] | None = None  # where page 1's "For you" lines are, in pt
    reason: str | None = None  # why a translation was refused
    approval: str | None = None  # approved, changed (since approval) or draft: see approvals.Standing
    translation: str | None = None  # a translation's: signed off, changed (since sign-off) or not signed off
    stat: list[int] | None = None  # the PDF's identity (digests.stored_identity) when its sha256 was taken

    def to_json(self) -> dict[str, Any]:
        optional = ("reason", "approval", "translation", "stat")
        return {name: value for name, value in asdict(self).items() if value is not None or name not in optional}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ManifestEntry:
        try:
            return cls(**data)
        except TypeError:  # a key from another version of leaflets
            known = {f.name for f in fields(cls)}
            return cls(**{name: value for name, value in data.items() if name in known})


@dataclass
class Manifest:
    """The manifest of one clinic's output folder, keyed by each PDF's file name."""

    out: Path
    entries: dict[str, ManifestEntry] = field(default_factory=dict)
    index_key: str | None = None  # what the catalog page was made from: the same key, the same page

    @classmethod
    def read(cls, out: Path) -> Manifest:
        """The manifest on disk; an empty one if it is missing, unreadable or from an older format."""
        try:
            data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
            entries = {entry["file"]: ManifestEntry.from_json(entry) for entry in data.get("files", [])}
            return cls(out, entries, data.get("index_key"))
        except (OSError, ValueError, KeyError, TypeError):
            return cls(out)

    def write(self) -> None:
        files = [entry.to_json() for _, entry in sorted(self.entries.items())]
        document = {"generator": f"leaflets {__version__}", "index_key": self.index_key, "files": files}
        write_atomically(self.out / MANIFEST, json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8") + b"\n")

    def name_of(self, target: Path) -> str:
        return target.relative_to(self.out).as_posix()

    def intact(self, name: str) -> ManifestEntry | None:
        """The entry of a PDF that is on disk exactly as it was written.

        A PDF whose identity is the one recorded when its sha256 was taken is not read again;
        any other is hashed (see ``digests.py``).
        """
        entry = self.entries.get(name)
        if entry is None or entry.sha256 is None:
            return None
        if entry.stat is not None and entry.stat == stored_identity(self.out / name):
            return entry
        return entry if file_digest(self.out / name) == entry.sha256 else None

    def current(self, name: str, input_key: str) -> ManifestEntry | None:
        """The entry of a PDF that is intact and was made from exactly these inputs."""
        entry = self.intact(name)
        return entry if entry is not None and entry.input_key == input_key else None


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


def record_digest(procedure: Procedure) -> str:
    """A digest of a record's parsed content: worked out once for all its leaflets."""
    return digest(procedure.model_dump(mode="json"))


def approvals_digest(project: Project, procedure_id: str) -> str | None:
    """Of the record's approvals file (see approvals.py), whose entries decide whether it is a draft."""
    return file_digest(project.content / "approvals" / f"{procedure_id}.yaml")


def catalog_digest(project: Project, lang: str) -> str | None:
    """The digest of a language's catalog; None for English, "missing" when there is none (loading it says why)."""
    return None if lang == SOURCE_LANGUAGE else _CATALOGS.of(catalog_path(project.locales, lang)) or "missing"


_CATALOGS = FileDigests()  # the web page asks for a catalog's digest on every request


def leaflet_input_key(project: Project, shared: str, procedure: Procedure, lang: str, large_print: bool) -> str:
    """``input_key`` of one leaflet, worked out alone (the web page asks for one at a time)."""
    return input_key(shared, record_digest(procedure), catalog_digest(project, lang), lang, large_print,
                     procedure.is_out_of_date(), approvals_digest(project, procedure.id))


def shared_inputs(project: Project, clinic: Clinic) -> str:
    """What every leaflet of the clinic depends on: package, templates, fonts, pictures, clinic."""
    templates = sorted(p for p in project.templates.rglob("*.html") if p.is_file() and not _web_page(project, p))
    parts = [asset_inputs(project, clinic), json.dumps(clinic.model_dump(mode="json"), sort_keys=True)]
    return digest(*parts, *(f"{p.relative_to(project.templates)}:{_read_digest(p)}" for p in templates))


def asset_inputs(project: Project, clinic: Clinic) -> str:
    """What a PDF depends on besides its HTML: package version, stylesheet, fonts, pictures, logo."""
    files = sorted(p for p in project.templates.rglob("*") if p.is_file() and p.suffix != ".html" and not _web_page(project, p))
    parts = [__version__] + [f"{p.relative_to(project.templates)}:{_read_digest(p)}" for p in files]
    if clinic.logo_path:
        parts.append(f"logo:{_read_digest(clinic.logo_path)}")
    return digest(*parts)


def _web_page(project: Project, path: Path) -> bool:
    """The clinicians' web page's own files, which no leaflet depends on."""
    return path.relative_to(project.templates).parts[0] == "web"


def _read_digest(path: Path) -> str:
    """The file's digest; a file that cannot be read stops the build (``OSError``)."""
    return bytes_digest(path.read_bytes())
