"""``dist/<clinic>/states.json``: beside the manifest, what the web page's first answer needs of it.

The page that lists every leaflet shows each one's state (approved, draft ...) as the batch build
recorded it while its PDF is current. Reading the whole manifest for that (every PDF of every
language, with its "For you" lines: tens of megabytes in a big library) took most of a server's
start; this file keeps, for each regular-print PDF whose state was recorded, only its input key,
sha256, identity and state (about a hundred bytes); and, for each language, the first PDF with "For you"
lines and where they are, on which a render worker warms up as it starts.

It is written by the build after the manifest and names the manifest's identity then; it is used
only while the manifest on disk still has that identity (else the manifest is read, as before),
and is checked as it is read: a file of the wrong shape is not used. A PDF is taken as intact by
the same rule as the manifest's (``Manifest.intact``): its identity is the one recorded and was
settled before the manifest was written; any other is hashed, and its state is used only if its
sha256 is the one recorded.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from leaflets import __version__
from leaflets.build.files import write_atomically
from leaflets.build.manifest import MANIFEST, Manifest, as_written
from leaflets.model.cache import collector_paused
from leaflets.model.digests import stored_identity

STATES = "states.json"

# input key, sha256, the PDF's identity when hashed, approval, translation, version
Row = tuple[str, str, list[int] | None, str, str | None, str]
Sample = tuple[str, dict[str, list[float]]]  # a PDF's name, its blank "For you" lines


@dataclass(frozen=True)
class RecordedState:
    """A leaflet's state as the batch build recorded it in its manifest (what ``states.html`` shows)."""

    approval_state: str
    translation_state: str | None
    version: str

    @property
    def translated(self) -> bool:
        return self.translation_state is not None


class _Document(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")

    manifest: list[int]  # the manifest's identity when this file was written
    samples: dict[str, Sample] = {}
    files: dict[str, Row]


@dataclass(frozen=True)
class ManifestStates:
    """The states of one output folder's regular-print PDFs, as ``states.json`` holds them."""

    out: Path
    manifest: list[int]
    rows: dict[str, Row]
    samples: dict[str, Sample]

    @classmethod
    def read(cls, out: Path) -> ManifestStates | None:
        """The file, if it is one leaflets wrote for the manifest now on disk; else None."""
        try:
            with collector_paused():
                document = _Document.model_validate_json((out / STATES).read_bytes())
        except (OSError, ValidationError):
            return None
        states = cls(out, document.manifest, document.files, document.samples)
        return states if states.fresh() else None

    def fresh(self) -> bool:
        """Whether the manifest on disk is still the one this file was written for."""
        return stored_identity(self.out / MANIFEST) == self.manifest

    def lookup(self, name: str, input_key: str) -> RecordedState | None:
        """The recorded state of the PDF ``name`` if it is intact and was made from ``input_key``, else
        None: as ``Manifest.current`` would say, by the same rule (see the module's docstring)."""
        row = self.rows.get(name)
        if row is None or row[0] != input_key:
            return None
        same, _ = as_written(self.out, name, row[2], row[1], self.manifest[1])
        return RecordedState(row[3], row[4], row[5]) if same else None


def write_states(manifest: Manifest) -> None:
    """Write ``states.json`` for ``manifest``, just written to disk."""
    seen = stored_identity(manifest.out / MANIFEST)
    if seen is None:
        return
    rows = {name: [entry.input_key, entry.sha256, entry.stat, entry.approval, entry.translation, entry.version]
            for name, entry in sorted(manifest.entries.items())
            if not entry.large_print and entry.sha256 is not None and entry.approval is not None}
    document = {"generator": f"leaflets {__version__}", "manifest": seen, "samples": samples(manifest), "files": rows}
    write_atomically(manifest.out / STATES, json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def samples(manifest: Manifest) -> dict[str, Sample]:
    """For each language, its first regular-print PDF (by name) with blank "For you" lines (most prints are
    regular), and where they are."""
    found: dict[str, Sample] = {}
    for name, entry in sorted(manifest.entries.items()):
        if entry.blank_fields and not entry.large_print and name.split("/", 1)[0] not in found:
            found[name.split("/", 1)[0]] = (name, entry.blank_fields)
    return found


def states_fresh(out: Path) -> bool:
    """Whether ``states.json`` names the manifest now on disk: read from the file's first bytes, where
    ``write_states`` puts it, so a build that writes nothing else reads no more (``read`` checks the rest)."""
    try:
        with (out / STATES).open("rb") as stream:
            start = stream.read(256)
    except OSError:
        return False
    named = _NAMED_MANIFEST.search(start)
    return named is not None and [int(number) for number in named[1].split(b",")] == stored_identity(out / MANIFEST)


_NAMED_MANIFEST = re.compile(rb'^\{"generator":"[^"]*","manifest":\[([0-9]+(?:,[0-9]+)*)\]')


@dataclass
class StatesReader:
    """``states.json`` of one output folder, read once and again only when the file changes (for the web page)."""

    out: Path
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _identity: list[int] | None = None
    _states: ManifestStates | None = None

    def current(self) -> ManifestStates | None:
        """The states, while they are of the manifest now on disk."""
        seen = stored_identity(self.out / STATES)
        with self._lock:
            if seen != self._identity:
                self._states, self._identity = ManifestStates.read(self.out), seen  # taken before reading
            states = self._states
        return states if states is not None and states.fresh() else None
