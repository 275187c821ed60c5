"""A checked catalog kept in the project's cache (``.cache/leaflets/catalogs/``), so a process that
needs a language (the web page's start, a build) does not run msgfmt, parse the ``.po`` and check
every entry again while the catalog holds the same bytes.

An entry holds what loading a catalog that passed every check made: the compiled catalog (as
msgfmt wrote it), which messages are complete and which fuzzy, each message's line and the
warnings. It is used only under the same key: the catalog's language and the digest of its bytes,
the code (``code_version``), Babel's version (its plural rules) and the msgfmt program; an entry of
the wrong shape is ignored and the catalog loaded again. A catalog that fails a check is never
kept, so its errors are found and said again each time it is loaded.
"""

from __future__ import annotations

import base64
import binascii
import io
import shutil
import struct
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import babel
from babel.support import Translations

from leaflets.errors import LeafletError
from leaflets.language.i18n import DOMAIN, Language, parse_locale
from leaflets.model.cache import JsonStore, code_version
from leaflets.model.digests import bytes_digest, digest, file_digest

MakeWarning = Callable[[str, Path, int | None], LeafletError]  # a catalog's warning, made again from its message and line


class CatalogCache:
    """Checked catalogs of one project, each by its file's path, used while their key is the same."""

    def __init__(self, root: Path):
        self.store = JsonStore(root, "catalogs")

    def get(self, path: Path, code: str, text: str, warning: MakeWarning) -> Language | None:
        """The language as loading the catalog ``path`` (holding ``text``) made it, if it was kept;
        its warnings made again by ``warning``."""
        entry = self.store.read(str(path))
        try:
            if entry["key"] != _key(code, text):
                return None
            return _language(entry, path, code, warning)
        except (KeyError, TypeError, ValueError, binascii.Error, struct.error, UnicodeDecodeError, OSError):
            return None

    def put(self, path: Path, text: str, compiled: bytes, language: Language) -> None:
        """Keep ``language``, loaded from the catalog ``path`` holding ``text``, unless the file changed meanwhile."""
        if file_digest(path) != bytes_digest(text.encode("utf-8")):
            return
        self.store.write(str(path), {
            "key": _key(language.code, text),
            "compiled": base64.b64encode(compiled).decode("ascii"),
            "complete": sorted(language.complete),
            "fuzzy": sorted(language.fuzzy),
            "lines": [list(language.catalog_lines), list(language.catalog_lines.values())],
            "warnings": [[warning.message, warning.line] for warning in language.warnings],
        })


def _key(code: str, text: str) -> str:
    return digest(code, bytes_digest(text.encode("utf-8")), code_version(), babel.__version__, _msgfmt_version())


@lru_cache(maxsize=1)
def _msgfmt_version() -> str | None:
    """The msgfmt program's digest: another msgfmt may check otherwise."""
    program = shutil.which("msgfmt")
    return None if program is None else file_digest(Path(program))


def _language(entry: dict[str, Any], path: Path, code: str, warning: MakeWarning) -> Language:
    """The language an entry holds; ``ValueError`` (or ``TypeError``) if it is not of the shape ``put`` writes."""
    keys, lines = entry["lines"]
    complete, fuzzy = entry["complete"], entry["fuzzy"]
    if len(keys) != len(lines) or not _all_text(keys, complete, fuzzy) or not all(type(line) is int for line in lines):
        raise ValueError("not an entry of this cache")
    warnings = tuple(warning(_text(message), path, _line(line)) for message, line in entry["warnings"])
    translations = Translations(io.BytesIO(base64.b64decode(entry["compiled"], validate=True)), domain=DOMAIN)
    return Language(code, parse_locale(code), translations, complete=frozenset(complete), catalog_path=path,
                    catalog_lines=dict(zip(keys, lines, strict=True)), fuzzy=frozenset(fuzzy), warnings=warnings)


def _all_text(*lists: Any) -> bool:
    return all(isinstance(items, list) and all(type(item) is str for item in items) for items in lists)


def _text(value: Any) -> str:
    if type(value) is not str:
        raise ValueError("not text")
    return value


def _line(value: Any) -> int | None:
    if value is not None and type(value) is not int:
        raise ValueError("not a line number")
    return value
