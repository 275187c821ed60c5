"""A project-local cache of what is slow to work out again: parsed and validated records.

An entry lives in ``.cache/leaflets/`` under the project (git-ignored) and is used only while
every file it was made from (the record, and any file the record includes) has the same
identity as when it was made (``digests.identity``: size, time of change in nanoseconds,
inode and device); and
while the code that reads records is the same (``FORMAT``, a digest of that code's sources).
An entry that cannot be read, that is from another format or names other inputs is ignored
and made again; whatever it holds is validated again before use. Entries are written to a
temporary file and renamed, so two processes can fill the cache at once.

Files changed in the last two seconds are not cached: a file system may give two versions
written within one tick of its clock the same time of change (as git's "racily clean" files).

Records hold no patient data; nothing else is ever cached here.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from leaflets.model.digests import Identity, bytes_digest, identity

SCHEMA = 1  # raise when an entry's layout changes
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


class RecordCache:
    """Cached data of the records of one project, keyed by each record's path."""

    def __init__(self, root: Path):
        self.store = JsonStore(root, "records")

    def get(self, path: Path) -> Any | None:
        """The data cached for ``path``, if every input it was made from is unchanged; else None."""
        entry = self.store.read(str(path))
        try:
            if entry["format"] != format_version() or entry["path"] != str(path):
                return None
            if any(identity(Path(inputs[0])) != tuple(inputs) for inputs in entry["inputs"]):
                return None
            return entry["data"]
        except (KeyError, TypeError, IndexError):
            return None

    def put(self, path: Path, inputs: list[Identity | None], data: Any) -> None:
        """Remember ``data`` for ``path``, made from files whose identities were taken before reading them."""
        if settled(inputs):
            self.store.write(str(path), {"format": format_version(), "path": str(path), "inputs": inputs, "data": data})
