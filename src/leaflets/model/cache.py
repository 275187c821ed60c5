"""A project-local cache of what is slow to work out again: parsed and validated records.

An entry lives in ``.cache/leaflets/`` under the project (git-ignored) and is used only while
every file it was made from (the record, and any file the record includes) holds the same bytes
as when it was made (a sha256 digest of each: an edit is seen even if it keeps the file's size
and time of change), and while the code that reads records is the same (``FORMAT``, a digest of
that code's sources). An entry that cannot be read, that is from another format, names other
inputs or has the wrong shape is ignored and made again, never trusted: what it holds is
validated once as it is read into a process (``Project`` then keeps the record in memory and does
not validate it again while its files' digests are unchanged). Entries are written to a
temporary file and renamed, so two processes can fill the cache at once.

Besides the validated record, an entry keeps its *summary* (the few fields ``list`` prints), so
listing a library reads small entries instead of whole records.

An entry is written only for files unchanged while they were read (their identity, taken before
reading, is the same after their digest is taken) and not changed in the last two seconds: a file
system may give two versions written within one tick of its clock the same time of change.

Records hold no patient data; nothing else is ever cached here.
"""

from __future__ import annotations

import gc
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from leaflets.model.digests import Identity, bytes_digest, file_digest, identity
from leaflets.model.yamlfile import Location

SCHEMA = 2  # raise when an entry's layout changes
RACY_SECONDS = 2.0
FOLDER = Path(".cache") / "leaflets"


def format_version() -> str:
    """A digest of the entry layout and of the sources of the code that parses and validates records."""
    return code_version()


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of ``SCHEMA``, pydantic's version and the source of every module of the package:
    any change to the code makes every cached result stale."""
    import pydantic

    package = Path(__file__).resolve().parent.parent
    sources = sorted(package.rglob("*.py"))
    parts = [str(SCHEMA), pydantic.VERSION]
    parts += [f"{path.relative_to(package)}\0{path.read_text(encoding='utf-8')}" for path in sources]
    return bytes_digest("\0".join(parts).encode("utf-8"))


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while thousands of entries are read (records' summaries, a
    manifest): reading makes no reference cycles, and the collector would walk every object made so
    far again and again (about a fifth of a big library's reading time). It resumes as it was."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def settled(inputs: list[Identity | None]) -> bool:
    """Whether every input exists and has not changed in the last ``RACY_SECONDS``."""
    return all(known is not None and time.time() - known[2] / 1e9 >= RACY_SECONDS for known in inputs)


class JsonStore:
    """One folder of the cache: entries by name, each a JSON file written atomically."""

    def __init__(self, root: Path, kind: str):
        self.folder = root / FOLDER / kind

    def read(self, name: str) -> Any:
        """The entry, or None if there is none or it cannot be read."""
        try:
            return json.loads(self._path(name).read_bytes())
        except (OSError, ValueError):
            return None

    def write(self, name: str, entry: Any) -> None:
        temporary = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".entry.", suffix=".part")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(entry, stream, ensure_ascii=False)
            os.replace(temporary, self._path(name))
        except OSError:  # a read-only project, a full disk: the cache only saves time
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)

    def _path(self, name: str) -> Path:
        return self.folder / f"{bytes_digest(name.encode('utf-8'))[:40]}.json"


Digests = dict[str, str | None]  # a file's path -> the digest of its bytes, read once per pass over the records


class RecordCache:
    """Cached records of one project, keyed by each record's path and its files' digests; and, in an
    entry of their own, their summaries (a few hundred bytes each, so ``list`` reads little)."""

    def __init__(self, root: Path):
        self.records = JsonStore(root, "records")
        self.summaries = JsonStore(root, "summaries")

    def get(self, path: Path, digests: Digests | None = None, summary: bool = False) -> dict[str, Any] | None:
        """The entry for ``path`` (its ``inputs`` and its ``data``, or with ``summary`` its summary), if every
        file it was made from still holds the same bytes; else None. ``digests`` keeps files' digests for one pass."""
        entry = (self.summaries if summary else self.records).read(str(path))
        try:
            if entry["format"] != format_version() or entry["path"] != str(path):
                return None
            if not entry["inputs"] or any(file_digest_in(name, digests) != known for name, known in entry["inputs"]):
                return None
            return entry if isinstance(entry["data"], dict) else None
        except (KeyError, TypeError, IndexError, ValueError):
            return None

    def put(self, path: Path, inputs: list[Identity | None], data: Any, summary: Any) -> None:
        """Remember ``data`` and ``summary`` for ``path``, made from files whose identities were taken
        before reading them; nothing is kept if any of them changed meanwhile."""
        if not settled(inputs):
            return
        digests = [[known[0], file_digest(Path(known[0]))] for known in inputs if known is not None]
        if any(identity(Path(known[0])) != known for known in inputs if known is not None):
            return  # changed while it was read: the digest may not be of what was parsed
        for store, value in ((self.records, data), (self.summaries, summary)):
            store.write(str(path), {"format": format_version(), "path": str(path), "inputs": digests, "data": value})


def file_digest_in(name: str, digests: Digests | None) -> str | None:
    """``file_digest`` of the file called ``name``, kept in ``digests`` (if given) for the rest of one pass."""
    if digests is None:
        return file_digest(Path(name))
    if name not in digests:
        digests[name] = file_digest(Path(name))
    return digests[name]


class DocumentCache:
    """Each record's parsed file (its data and the line of every value, as the current format reads it)
    and the format it is written in, keyed by the digest of the file's bytes: what ``check`` reads to
    say where in a file a problem is, without parsing the YAML again."""

    def __init__(self, root: Path):
        self.store = JsonStore(root, "documents")

    def get(self, path: Path) -> tuple[Any, dict[Location, int], dict[Location, int], int] | None:
        """(data, value lines, key lines, format written in), if the file holds the same bytes as when cached."""
        entry = self.store.read(str(path))
        try:
            if entry["format"] != format_version() or entry["path"] != str(path) or entry["digest"] != file_digest(path):
                return None
            written_in = entry["written_in"]
            if not isinstance(written_in, int) or not isinstance(entry["data"], dict):
                return None
            return entry["data"], _lines(entry["value_lines"]), _lines(entry["key_lines"]), written_in
        except (KeyError, TypeError, IndexError, ValueError):
            return None

    def put(self, path: Path, before: str | None, data: Any, value_lines: dict[Location, int],
            key_lines: dict[Location, int], written_in: int) -> None:
        """Remember a file read while its digest was ``before``; nothing is kept if it changed meanwhile, or
        if JSON cannot hold the data as it is (a number used as a key)."""
        if before is None or file_digest(path) != before or json.loads(json.dumps(data)) != data:
            return
        self.store.write(str(path), {
            "format": format_version(), "path": str(path), "digest": before, "written_in": written_in, "data": data,
            "value_lines": [list(value_lines), list(value_lines.values())],
            "key_lines": [list(key_lines), list(key_lines.values())],
        })


def _lines(pairs: Any) -> dict[Location, int]:
    """Lines by location, from the lists JSON keeps them in; a wrong shape raises TypeError or ValueError."""
    locations, lines = pairs
    if len(locations) != len(lines) or not all(type(line) is int for line in lines):
        raise ValueError("not a line for each location")
    return dict(zip(map(tuple, locations), lines, strict=True))
