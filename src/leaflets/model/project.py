"""The project: its folders, and loading its records and clinic files (cached by content).

A record is parsed and validated once; the project keeps it, and the cache keeps it on disk
(``cache.py``), for as long as its files hold the same bytes. ``list``, a build's plan and the web
page's search read only each record's summary (``RecordSummary``), with its content's digest.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from leaflets.errors import ContentError, LeafletError, LeafletErrors, NotFoundError
from leaflets.model.blocks import diagram_errors, included_blocks, record_placeholders, repeated_items, source_errors, with_blocks
from leaflets.model.cache import Digests, DocumentCache, RecordCache, collector_paused, file_digest_in
from leaflets.model.clinic import Clinic, RedFlags, load_clinic, load_red_flags
from leaflets.model.codes import System
from leaflets.model.day import build_day
from leaflets.model.digests import Identity, digest, file_digest, identity
from leaflets.model.formats import read_content
from leaflets.model.record import ID_PATTERN, Procedure, Source
from leaflets.model.validation import validate
from leaflets.model.yamlfile import NOT_A_FILE, YamlDocument
from leaflets.paths import is_inside


def load_procedure(path: Path, root: Path | None = None, inputs: list[Identity | None] | None = None) -> Procedure:
    """Read and validate one record, with its shared blocks added; raise ``LeafletErrors`` listing every problem.

    ``root`` is the project folder (by default the one holding ``content/procedures/``): its
    ``content/blocks/`` holds the blocks and ``templates/diagrams/`` the drawings. ``inputs``
    receives the identity of every file the record is read from, each taken before the file is
    read (see ``cache.py``): the record, its blocks and its drawings.
    """
    inputs = [] if inputs is None else inputs
    inputs.append(identity(path))
    read = read_content(path)  # an earlier format is read as the current one (formats.py)
    document = read.document
    procedure = validate(Procedure, document)
    if read.source_lines:  # format 1's sources, lines of text: printed as written, never made up
        lines = [Source.model_construct(**fields) for fields in read.sources()]
        procedure = procedure.model_copy(update={"sources": [*procedure.sources, *lines]})
    root = root or path.resolve().parent.parent.parent
    diagrams = root / "templates" / "diagrams"
    inputs.extend(identity(diagrams / diagram.image) for diagram in procedure.diagrams)
    errors = record_placeholders(document) + diagram_errors(procedure, document, diagrams)
    blocks, block_errors = included_blocks(procedure, document, root / "content" / "blocks", inputs)
    errors += block_errors + source_errors(document, [source.id for block in blocks for source in block.sources])
    if errors:
        raise LeafletErrors(errors)
    merged = with_blocks(procedure, blocks)
    if repeated := repeated_items(procedure, merged, document):
        raise LeafletErrors(repeated)
    return merged




def _from_cache(data: Any, path: Path) -> Procedure | None:
    """A cached record, validated as it is read into this process: an entry is never trusted as it stands."""
    if not isinstance(data, dict) or data.get("id") != path.stem:
        return None
    try:
        procedure = Procedure.model_validate({key: value for key, value in data.items() if key != "block_sources"})
        block_sources = [Source.model_validate(source) for source in data.get("block_sources", [])]
    except (ValidationError, TypeError):
        return None
    return procedure.model_copy(update={"block_sources": block_sources})


def record_digest(procedure: Procedure) -> str:
    """A digest of a record's parsed content (blocks included): equal digests, the same leaflets."""
    return digest(procedure.model_dump(mode="json"))


class RecordSummary(BaseModel):
    """What ``list`` prints of a record, what a build plans its leaflets by (``digest``, its version
    and review date) and what the web page finds and lists it by; kept beside it in the cache."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    also_called: list[str]
    codes: dict[System, list[str]]
    status: str
    review_due: date
    version: str
    summary: str
    search_terms: list[str]
    abbreviations: list[str]
    digest: str  # record_digest of the record it summarises

    @classmethod
    def of(cls, procedure: Procedure, content_digest: str | None = None) -> RecordSummary:
        """``procedure``'s summary; ``content_digest``: its ``record_digest``, if already worked out."""
        return cls(id=procedure.id, title=procedure.title, also_called=list(procedure.also_called),
                   codes={system: list(values) for system, values in procedure.codes.items()},
                   status=procedure.review.status, review_due=procedure.review.review_due,
                   version=procedure.review.version, summary=procedure.summary,
                   search_terms=list(procedure.search_terms), abbreviations=list(procedure.abbreviations),
                   digest=content_digest or record_digest(procedure))

    def is_out_of_date(self, today: date | None = None) -> bool:
        return self.review_due < (today or build_day())


def _summary_from_cache(data: Any, path: Path) -> RecordSummary | None:
    if not isinstance(data, dict) or data.get("id") != path.stem:
        return None
    try:
        return RecordSummary.model_validate(data)
    except (ValidationError, TypeError):
        return None


Remembered = tuple[list[tuple[str, str | None]], Procedure]  # each input file's digest, and the record made from them


class Project:
    """A project folder: ``content/``, ``templates/`` and ``locales/`` under one root."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self.content = self.root / "content"
        self.templates = self.root / "templates"
        self.locales = self.root / "locales"
        self.dist = self.root / "dist"
        self.fonts = self.templates / "fonts"
        self._records = RecordCache(self.root)
        self._documents = DocumentCache(self.root)
        self._remembered: dict[Path, Remembered] = {}
        self._folders: dict[Path, bool] = {}

    def record_path(self, procedure_id: str) -> Path:
        """Where the record of ``procedure_id`` is, or would be: ``content/procedures/<id>.yaml``."""
        return self.content / "procedures" / f"{procedure_id}.yaml"

    def load_red_flags(self) -> RedFlags | None:
        """The shared list of red-flag signs, ``content/red_flags.yaml``, if the project has one."""
        path = self.content / "red_flags.yaml"
        return load_red_flags(self._inside(path)) if path.is_file() else None

    def dist_for(self, clinic_id: str) -> Path:
        """Where a clinic's leaflets are built: ``dist/<clinic>/``."""
        return self.dist / clinic_id

    def procedure_paths(self) -> list[Path]:
        return self._content_files("procedures")[0]

    def clinic_paths(self) -> list[Path]:
        return self._content_files("clinics")[0]

    def procedure_ids(self) -> list[str]:
        return [path.stem for path in self.procedure_paths()]

    def load_procedure(self, procedure_id: str) -> Procedure:
        return self._load_procedure(self._find("procedure", "procedures", procedure_id, self.procedure_ids))

    def load_clinic(self, clinic_id: str) -> Clinic:
        return self._load_clinic(self._find("clinic", "clinics", clinic_id, lambda: [p.stem for p in self.clinic_paths()]))

    def load_all_procedures(self) -> list[Procedure]:
        """Every record, or every problem of every record at once."""
        return _all_or_errors(self.load_each_procedure())

    def load_all_clinics(self) -> list[Clinic]:
        return _all_or_errors(self.load_each_clinic())

    def load_each_procedure(self) -> tuple[list[Procedure], list[LeafletError]]:
        """The records that are valid, and every problem of the others: one bad file stops only itself."""
        paths, errors = self._content_files("procedures")
        digests: Digests = {}  # a block many records include is read once
        with collector_paused():
            loaded, problems = _load_every(paths, lambda path: self._load_procedure(path, digests))
        return loaded, errors + problems

    def record_summaries(self) -> tuple[list[RecordSummary], list[LeafletError]]:
        """What ``list`` prints of each valid record, and every problem of the others; from the cache's
        summaries, without reading whole records, while their files are unchanged."""
        paths, errors = self._content_files("procedures")
        digests: Digests = {}
        with collector_paused():
            return _load_every(paths, lambda path: self._summary(path, digests), errors)

    def load_each_clinic(self) -> tuple[list[Clinic], list[LeafletError]]:
        paths, errors = self._content_files("clinics")
        loaded, problems = _load_every(paths, self._load_clinic)
        return loaded, errors + problems

    def _content_files(self, folder: str) -> tuple[list[Path], list[LeafletError]]:
        """The folder's ``*.yaml`` files that can be content files, and one error for each that cannot."""
        paths: list[Path] = []
        errors: list[LeafletError] = []
        for path, is_file in _yaml_files(self.content / folder):
            if not is_file:
                errors.append(ContentError(NOT_A_FILE, path))
            elif not re.fullmatch(ID_PATTERN, path.stem):
                errors.append(ContentError(
                    f"the file name is the id, so it may hold only lowercase letters, digits and hyphens "
                    f"(such as {_suggested_id(path.stem)}.yaml)", path))
            else:
                paths.append(path)
        return paths, errors

    def _load_procedure(self, path: Path, digests: Digests | None = None) -> Procedure:
        """A record: kept in memory, or from the cache, while none of its files changed since it was read."""
        path = self._inside(path)
        digests = {} if digests is None else digests
        remembered = self._remembered.get(path)
        if remembered is not None and all(file_digest_in(name, digests) == known for name, known in remembered[0]):
            return remembered[1]
        entry = self._records.get(path, digests)
        procedure = _from_cache(entry["data"], path) if entry is not None else None
        if procedure is not None and entry is not None:
            inputs = [(str(name), known) for name, known in entry["inputs"]]
        else:
            identities: list[Identity | None] = []
            procedure = load_procedure(path, self.root, identities)
            data = procedure.model_dump(mode="json")
            self._records.put(path, identities, data, RecordSummary.of(procedure, digest(data)).model_dump(mode="json"))
            inputs = [(known[0], file_digest_in(known[0], digests)) for known in identities if known is not None]
        self._remembered[path] = (inputs, procedure)
        return procedure

    def record_document(self, path: Path) -> tuple[YamlDocument, int]:
        """A record's parsed file, as the current format reads it, and the format it is written in
        (``formats.read_content``); from the cache while the file holds the same bytes."""
        path = self._inside(path)
        cached = self._documents.get(path)
        if cached is not None:
            data, value_lines, key_lines, written_in = cached
            return YamlDocument(path, data, value_lines, key_lines), written_in
        before = file_digest(path)
        read = read_content(path)
        document = read.document
        if not read.source_lines:  # format 1's source lines are read again with the file
            self._documents.put(path, before, document.data, document.value_lines, document.key_lines, read.written_in)
        return document, read.written_in

    def _summary(self, path: Path, digests: Digests) -> RecordSummary:
        path = self._inside(path)
        entry = self._records.get(path, digests, summary=True)
        summary = _summary_from_cache(entry["data"], path) if entry is not None else None
        return summary or RecordSummary.of(self._load_procedure(path, digests))

    def _load_clinic(self, path: Path) -> Clinic:
        return load_clinic(self._inside(path), self.procedure_ids())

    def _inside(self, path: Path) -> Path:
        """``path``, if the file really lies in the project: a link to a file elsewhere is refused."""
        if not path.is_symlink() and self._folder_inside(path.parent):
            return path  # a plain file in a folder that lies in the project: nothing to follow
        target = path.resolve()
        if not is_inside(target, self.root):
            raise ContentError(f"is a link to '{target}', outside the project; copy the file in instead", path, 1)
        return path

    def _folder_inside(self, folder: Path) -> bool:
        """Whether ``folder``, once its links are followed, lies in the project (asked once per folder)."""
        if folder not in self._folders:
            self._folders[folder] = is_inside(folder, self.root)
        return self._folders[folder]

    def _find(self, kind: str, folder: str, wanted: str, known: Callable[[], list[str]]) -> Path:
        path = self.content / folder / f"{wanted}.yaml"
        if re.fullmatch(ID_PATTERN, wanted) and path.is_file():
            return path
        names = known()
        close = difflib.get_close_matches(wanted, names, n=1)
        hint = f"; did you mean {close[0]}?" if close else f"; known: {', '.join(names) or 'none'}"
        raise NotFoundError(f"no {kind} '{wanted}' in {self.content / folder}{hint}")


def _yaml_files(folder: Path) -> list[tuple[Path, bool]]:
    """The folder's ``*.yaml`` entries by name, as ``sorted(folder.glob("*.yaml"))`` lists them, each with
    whether it is a file (links followed): one pass over the folder, no call per entry."""
    try:
        with os.scandir(folder) as found:
            named = sorted((entry.name, _is_file(entry)) for entry in found if entry.name.endswith(".yaml"))
    except OSError:
        return []
    return [(folder / name, is_file) for name, is_file in named]


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:  # as Path.is_file: a link that cannot be followed is no file
        return False


def _load_every(paths: list[Path], load: Any, errors: list[LeafletError] | None = None) -> tuple[list[Any], list[LeafletError]]:
    loaded: list[Any] = []
    errors = [] if errors is None else errors
    for path in paths:
        try:
            loaded.append(load(path))
        except LeafletError as exc:
            errors.extend(exc.errors)
    return loaded, errors


def _all_or_errors(loaded_and_errors: tuple[list[Any], list[LeafletError]]) -> list[Any]:
    loaded, errors = loaded_and_errors
    if errors:
        raise LeafletErrors(errors)
    return loaded


def _suggested_id(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64] or "procedure"
