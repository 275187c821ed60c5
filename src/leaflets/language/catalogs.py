"""Translation catalogs: loading and checking them, and explaining a refused leaflet.

A catalog is ``locales/<lang>/LC_MESSAGES/messages.po``. It is checked with GNU
``msgfmt -c --check-format`` (syntax, headers, placeholders; the same check
translators' tools run) and with Babel (plural forms for the language), then
compiled in memory, so a stale ``.mo`` can never be used by mistake.
"""

from __future__ import annotations

import gettext
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import CommandLineInterface, parse_mapping_cfg
from babel.messages.plurals import get_plural
from babel.messages.pofile import PoFileError, read_po, write_po
from babel.support import Translations

from leaflets import __version__
from leaflets.errors import LeafletError, LeafletErrors, NotFoundError
from leaflets.language.catalog_cache import CatalogCache
from leaflets.language.i18n import DOMAIN, SOURCE_LANGUAGE, Language, extract_records, parse_locale
from leaflets.language.messages import directive_problem, english_of, is_translated, key_of, translations_of
from leaflets.model.characters import unprintable
from leaflets.model.policies import placeholders
from leaflets.model.record import MAX_TEXT
from leaflets.model.yamlfile import read_text_file
from leaflets.paths import display_path


class CatalogError(LeafletError):
    """A catalog that cannot be used: a syntax error, a broken placeholder, wrong plural forms."""


class TranslationRefused(LeafletError):
    """A leaflet whose translation is missing, fuzzy or out of date for some string it prints."""

    untranslated_only = True

    def __init__(self, message: str, path: Path | None, line: int | None, fuzzy: bool = False):
        super().__init__(message, path, line)
        self.fuzzy = fuzzy


MAX_CATALOG_BYTES = 64 * 1024 * 1024


def catalog_path(locales: Path, code: str) -> Path:
    return locales / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_language(locales: Path, code: str, cache: CatalogCache | None = None) -> Language:
    """The language ``code`` with its checked catalog (English, the source, needs none); from ``cache``
    while the catalog holds the bytes it was checked with."""
    locale = parse_locale(code)
    if code == SOURCE_LANGUAGE:
        return Language(code, locale)
    path = catalog_path(locales, code)
    if path.exists() and not path.is_file():
        raise CatalogError("is not a file (a folder, a pipe or a device); a catalog is a .po text file", path)
    if not path.is_file():
        raise NotFoundError(f"no catalog for '{code}': expected {display_path(path)} (create it with: leaflets i18n init {code})")
    text = read_text_file(path, MAX_CATALOG_BYTES, "a catalog")  # UTF-8, one line naming the byte's line (msgfmt says less)
    if cache is not None and (known := cache.get(path, code, text, CatalogError)) is not None:
        return known
    compiled = _msgfmt(path)
    catalog = _read_catalog(path)
    warnings = _check_plural_forms(catalog, path, code)
    _check_translated_text(catalog, path)
    _check_template_formatting(catalog, path)
    _check_policy_placeholders(catalog, path)
    translations = _translations(compiled, path)
    language = Language(
        code,
        locale,
        translations,
        complete=frozenset(key_of(m) for m in catalog if m.id and not m.fuzzy and is_translated(m)),
        catalog_path=path,
        catalog_lines={key_of(m): m.lineno or 1 for m in catalog if m.id},
        fuzzy=frozenset(key_of(m) for m in catalog if m.id and m.fuzzy),
        warnings=tuple(warnings),
    )
    if cache is not None:
        cache.put(path, text, compiled, language)
    return language


def _translations(compiled: bytes, path: Path) -> Translations:
    try:
        return Translations(io.BytesIO(compiled), domain=DOMAIN)
    except UnicodeDecodeError:  # msgfmt only warns when the header names no charset
        raise LeafletErrors([CatalogError(
            "the header must say \"Content-Type: text/plain; charset=UTF-8\"", path, _header_line(path, "Content-Type"),
        )]) from None


_MSGFMT_PROBLEM = re.compile(r"^(?P<path>.+?):(?P<line>\d+): (?P<message>.+)$")


def _msgfmt(path: Path) -> bytes:
    """Check a catalog with GNU msgfmt and return it compiled; raise every problem it finds."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        raise CatalogError("msgfmt (GNU gettext) is needed to check catalogs; run scripts/setup.sh", path)
    result = subprocess.run(
        [msgfmt, "-c", "--check-format", "-o", "-", str(path)], capture_output=True, timeout=60, check=False
    )
    if result.returncode == 0:
        return result.stdout
    errors, said = [], []
    for line in result.stderr.decode("utf-8", "replace").splitlines():
        match = _MSGFMT_PROBLEM.match(line)
        if match and not match["message"].startswith("warning:"):
            errors.append(CatalogError(match["message"], path, int(match["line"])))
        said.append(line.rsplit(": ", 1)[-1].strip())
    raise LeafletErrors(errors or [CatalogError(f"msgfmt refused this catalog: {'; '.join(said)}", path, 1)])


def _msgfmt_bytes(data: bytes, path: Path) -> None:
    """Check a catalog that is not written yet, as ``_msgfmt`` checks one on disk."""
    with tempfile.NamedTemporaryFile(suffix=".po", dir=path.parent) as draft:
        draft.write(data)
        draft.flush()
        _msgfmt(Path(draft.name))


def _read_catalog(path: Path) -> Catalog:
    with path.open("rb") as handle:
        try:
            return read_po(handle, abort_invalid=True)
        except PoFileError as exc:  # lines msgfmt lets pass but Babel cannot read
            message = str(exc).rsplit(" on ", 1)[0]
            raise LeafletErrors([CatalogError(f"cannot read this line: {message}", path, exc.lineno + 1)]) from None


# The numbers a leaflet prints in a plural phrase: minutes, hours, days, counts, "N in 1000".
PRINTED_NUMBERS = range(0, 1001)
LARGE_NUMBERS = (1_001, 9_999, 10_000, 99_999, 100_000, 10**6, 2 * 10**6, 10**9, 2**31 - 1, 10**12)


def _check_plural_forms(catalog: Catalog, path: Path, code: str) -> list[CatalogError]:
    """Refuse a Plural-Forms header that words some printed number wrongly; return the warnings.

    The catalog's own header is authoritative once msgfmt has accepted it, so a library
    upgrade with new CLDR data cannot refuse a working catalog. It must group the numbers in
    ``PRINTED_NUMBERS`` the way the language does: as its CLDR plural categories group them,
    or as the gettext rule Babel suggests for it does. A header that differs from that rule
    is only a warning, with the header to use.
    """
    line = _header_line(path, "Plural-Forms")
    try:
        choose = gettext.c2py(catalog.plural_expr)
    except (ValueError, SyntaxError, RecursionError):
        raise CatalogError("the Plural-Forms expression cannot be read", path, line) from None
    for number in (*PRINTED_NUMBERS, *LARGE_NUMBERS):  # msgfmt tries only up to 1000
        try:
            form = choose(number)
        except (ArithmeticError, RecursionError):
            raise CatalogError(f"the Plural-Forms expression fails for {number}", path, line) from None
        if not 0 <= form < catalog.num_plurals:
            raise CatalogError(
                f"Plural-Forms gives {number} form {form}, but there are only {catalog.num_plurals}", path, line)
    suggested = get_plural(code)
    ours = _grouping(choose)
    cldr = _grouping(parse_locale(code).plural_form)
    if ours not in (cldr, _grouping(gettext.c2py(suggested.plural_expr))):
        first, second, alike = _first_difference(ours, cldr)
        raise CatalogError(
            f"Plural-Forms words {first} and {second} {'alike' if alike else 'differently'}, but {code} does not; "
            f"use \"Plural-Forms: {suggested.plural_forms}\\n\"", path, line)
    wrong = [
        CatalogError(f"this entry has {len(m.string)} plural forms; the header says {catalog.num_plurals}", path, m.lineno)
        for m in catalog
        if m.id and isinstance(m.string, tuple) and len(m.string) != catalog.num_plurals
    ]
    if wrong:
        raise LeafletErrors(wrong)
    return plural_forms_advice(catalog, path, code)


def _grouping(form_of: Callable[[int], Any]) -> tuple[int, ...]:
    """Which printed numbers share a form: each number's form, numbered in order of first use."""
    labels: dict[Any, int] = {}
    return tuple(labels.setdefault(form_of(number), len(labels)) for number in PRINTED_NUMBERS)


def _first_difference(ours: tuple[int, ...], theirs: tuple[int, ...]) -> tuple[int, int, bool]:
    """Two numbers that ``ours`` groups otherwise than ``theirs``, and whether ``ours`` words them alike."""
    numbers = list(PRINTED_NUMBERS)
    for later, number in enumerate(numbers):
        for earlier in range(later):
            if (ours[earlier] == ours[later]) != (theirs[earlier] == theirs[later]):
                return numbers[earlier], number, ours[earlier] == ours[later]
    return numbers[0], numbers[-1], False


def plural_forms_advice(catalog: Catalog, path: Path, code: str) -> list[CatalogError]:
    """A warning when the header chooses other forms than the rule CLDR (through Babel) gives today."""
    suggested = get_plural(code)
    ours, theirs = gettext.c2py(catalog.plural_expr), gettext.c2py(suggested.plural_expr)
    numbers = [*PRINTED_NUMBERS, *LARGE_NUMBERS]
    if catalog.num_plurals == suggested.num_plurals and all(ours(n) == theirs(n) for n in numbers):
        return []
    return [CatalogError(
        f"Plural-Forms differs from CLDR's current rule for {code} (the leaflets are still right); "
        f"suggested header: \"Plural-Forms: {suggested.plural_forms}\\n\"", path, _header_line(path, "Plural-Forms"),
    )]


def plural_forms_advice_for(locales: Path) -> list[CatalogError]:
    """For ``leaflets i18n update``: every catalog whose Plural-Forms differs from CLDR's current rule."""
    advice = []
    for code in catalog_languages(locales):
        path = catalog_path(locales, code)
        try:
            advice += plural_forms_advice(_read_catalog(path), path, code)
        except (LeafletError, ValueError, SyntaxError):
            continue  # a catalog that cannot be read is reported by the commands that use it
    return advice


def adopt_cldr_plural_forms(locales: Path, code: str) -> bool:
    """Rewrite one catalog's Plural-Forms to CLDR's current rule, moving every plural entry's
    forms so each printed number keeps the words it had. Returns whether anything changed."""
    path = catalog_path(locales, code)
    catalog = _read_catalog(path)
    if not plural_forms_advice(catalog, path, code):
        return False
    suggested = get_plural(code)
    old, new = gettext.c2py(catalog.plural_expr), gettext.c2py(suggested.plural_expr)
    numbers = [*PRINTED_NUMBERS, *LARGE_NUMBERS]
    example = {form: next((n for n in numbers if new(n) == form), numbers[-1]) for form in range(suggested.num_plurals)}
    for message in catalog:
        if message.id and isinstance(message.string, tuple):
            forms = message.string
            message.string = tuple(forms[min(old(example[form]), len(forms) - 1)] for form in range(suggested.num_plurals))
    catalog.mime_headers = [
        (name, suggested.plural_forms if name.lower() == "plural-forms" else value) for name, value in catalog.mime_headers
    ]
    buffer = io.BytesIO()
    write_po(buffer, catalog, include_previous=False)  # Babel writes a long old English wrongly; see merge_template
    _msgfmt_bytes(buffer.getvalue(), path)
    path.write_bytes(buffer.getvalue())
    return True


MAX_TRANSLATION = 4 * MAX_TEXT  # a translation may run longer than its English, not without bound


def _check_translated_text(catalog: Catalog, path: Path) -> None:
    """Every translation is printable as written, and of a sane length."""
    wrong = []
    for message in catalog:
        for string in translations_of(message):
            if not message.id or not string:
                continue
            if len(string) > MAX_TRANSLATION:
                wrong.append(CatalogError(
                    f"this translation is {len(string):,} characters long; at most {MAX_TRANSLATION:,}", path, message.lineno))
            elif why := unprintable(string, newlines=True):
                wrong.append(CatalogError(f"this translation holds {why}; remove it", path, message.lineno))
    if wrong:
        raise LeafletErrors(wrong)


def _check_template_formatting(catalog: Catalog, path: Path) -> None:
    """Every placeholder of a translation is one its English has, written plainly: templates fill in
    their words with Python's %, so a lone % would stop the render and a width could ask for gigabytes.
    Checked by reading the text, never by formatting it."""
    wrong = []
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        percent = "python-format" in message.flags or any(file.endswith(".html") for file, _ in message.locations)
        for string in translations_of(message):
            if string and (problem := directive_problem(english_of(message), string, percent)):
                wrong.append(CatalogError(problem, path, message.lineno))
                break
    if wrong:
        raise LeafletErrors(wrong)


def _check_policy_placeholders(catalog: Catalog, path: Path) -> None:
    """A block's ``{policy}`` placeholders come through translation exactly: the clinic's number goes there."""
    wrong = []
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        expected = sorted(set(placeholders(" ".join(english_of(message)))))
        for string in translations_of(message):
            if string and sorted(set(placeholders(string))) != expected:
                kept = ", ".join(f"{{{name}}}" for name in expected) or "no {placeholder}"
                wrong.append(CatalogError(f"this translation must keep {kept} exactly as the English has it", path,
                                          message.lineno))
                break
    if wrong:
        raise LeafletErrors(wrong)


def _header_line(path: Path, field: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if line.startswith(f'"{field}:'):
            return number
    return 1


def refusal(language: Language, misses: list[str], root: Path, record: Path | None = None) -> LeafletErrors:
    """Why a leaflet in ``language`` cannot be built: one line per untranslated string.

    Each line names where the English comes from (record or template, file:line)
    and where the catalog stands (the fuzzy entry's line, or that it is missing).
    """
    sources = source_locations(root, record)
    catalog = display_path(language.catalog_path) if language.catalog_path else f"the {language.code} catalog"
    errors = []
    for message in misses:
        path, line = _best_source(sources.get(message, []), record)
        if message in language.fuzzy:
            state = f"fuzzy at {catalog}:{language.catalog_lines[message]}"
        elif message in language.catalog_lines:
            state = f"untranslated at {catalog}:{language.catalog_lines[message]}"
        else:
            state = f"missing from {catalog}; run 'leaflets i18n update'"
        errors.append(TranslationRefused(
            f"not translated into {language.code} ({state}): {_quote(message)}", path, line, message in language.fuzzy
        ))
    return LeafletErrors(errors)


def _best_source(places: list[tuple[Path, int]], record: Path | None) -> tuple[Path | None, int | None]:
    for path, line in places:
        if record is not None and path.resolve() == record.resolve():
            return path, line
    return places[0] if places else (None, None)


def _quote(message: str, limit: int = 70) -> str:
    text = " ".join(message.split())
    return f'"{text}"' if len(text) <= limit else f'"{text[: limit - 3]}..."'


def source_locations(root: Path, record: Path | None = None) -> dict[str, list[tuple[Path, int]]]:
    """Where the English messages of one leaflet come from: its record, and the templates, found
    the way ``pybabel extract`` finds them.

    Only the record and the templates are read: explaining a refused leaflet costs the same in a
    library of five records as in one of thousands. The templates' messages are extracted once
    per state of the template files.
    """
    places = {message: list(found) for message, found in _extracted(root, _extraction_stamp(root)).items()}
    if record is not None and record.is_file():
        with record.open("rb") as stream:
            for line, _function, message, _comments in extract_records(stream, None, None, {}):
                key = message if isinstance(message, str) else message[0]  # a plural by its singular
                places.setdefault(key, []).insert(0, (record, line))
    return places


def _extraction_stamp(root: Path) -> tuple[tuple[str, int, int], ...]:
    """What template extraction reads, by name, size and time of change: a cheap walk of file metadata."""
    files = [root / "babel.cfg", *(root / "templates").rglob("*.html")]
    stamp = []
    for path in files:
        try:
            status = path.stat()
        except OSError:
            continue
        stamp.append((str(path), status.st_size, status.st_mtime_ns))
    return tuple(sorted(stamp))


@lru_cache(maxsize=2)
def _extracted(root: Path, stamp: tuple[tuple[str, int, int], ...]) -> dict[str, list[tuple[Path, int]]]:
    """The templates' messages (babel.cfg's methods other than the records' own), by where they are."""
    if not (root / "babel.cfg").is_file():
        return {}
    with (root / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    prefix = "templates/"  # walk templates/ alone, with its patterns made relative to it
    methods = [(pattern.removeprefix(prefix), method) for pattern, method in method_map if pattern.startswith(prefix)]
    options = {pattern.removeprefix(prefix): value for pattern, value in options_map.items() if pattern.startswith(prefix)}
    places: dict[str, list[tuple[Path, int]]] = {}
    for filename, line, message, _comments, _context in extract_from_dir(str(root / "templates"), methods, options):
        key = message[0] if isinstance(message, (tuple, list)) else message
        places.setdefault(key, []).append((root / "templates" / filename, line))
    return places


HEADER_COMMENT = """\
# Patient-leaflet texts for leaflets.
# DRAFT TRANSLATION: every translation here must be reviewed by a qualified
# medical translator before it is given to patients. Leaflets built from it
# say so on every page.
# Copyright (C) 2026 leaflets contributors"""


def babel_commands(root: Path, action: str, lang: str | None = None) -> list[str]:
    """The ``pybabel`` command line for one step of the translation workflow, run from ``root``."""
    pot = "locales/messages.pot"
    commands = {
        "extract": ["extract", "-F", "babel.cfg", "-o", pot, "--project", "leaflets", "--version", __version__,
                    "--msgid-bugs-address", "content-team@example.org", "--copyright-holder", "leaflets contributors",
                    "--header-comment", HEADER_COMMENT, "-c", "TRANSLATORS:", "--sort-by-file", "."],
        "init": ["init", "-i", pot, "-d", "locales", "-D", DOMAIN, "-l", lang or ""],
        "compile": ["compile", "-d", "locales", "-D", DOMAIN, "--statistics"],
    }
    return ["pybabel", *commands[action]]


def run_babel(root: Path, action: str, lang: str | None = None) -> int:
    """Run one workflow step with Babel's own command line, as translators' tools expect."""
    if action == "update":
        return merge_template(root / "locales")
    if action == "init":
        parse_locale(lang or "")
        if catalog_path(root / "locales", lang or "").exists():
            raise LeafletErrors([CatalogError(f"a catalog for '{lang}' exists already; use 'leaflets i18n update'",
                                              catalog_path(root / "locales", lang or ""))])
    previous = Path.cwd()
    os.chdir(root)
    try:
        CommandLineInterface().run(babel_commands(root, action, lang))  # type: ignore[no-untyped-call]
    except SystemExit as exc:
        if exc.code:
            return int(exc.code)
    finally:
        os.chdir(previous)
    return 0


def merge_template(locales: Path) -> int:
    """Merge ``messages.pot`` into every catalog with GNU msgmerge: changed English comes back fuzzy,
    with the old English kept as ``#| msgid`` for the translator. (Babel's own update writes that
    old English wrongly for a long string, and msgfmt then refuses the catalog.)"""
    msgmerge = shutil.which("msgmerge")
    if msgmerge is None:
        raise CatalogError("msgmerge (GNU gettext) is needed to update catalogs; run scripts/setup.sh", locales)
    for lang in catalog_languages(locales):
        path = catalog_path(locales, lang)
        print(f"updating catalog {display_path(path)} based on {display_path(locales / 'messages.pot')}", file=sys.stderr)
        command = [msgmerge, "--quiet", "--previous", "--update", "--backup=none", str(path), str(locales / "messages.pot")]
        result = subprocess.run(command, capture_output=True, timeout=120, check=False)
        if result.returncode != 0:
            said = result.stderr.decode("utf-8", "replace").strip().splitlines() or ["failed"]
            raise LeafletErrors([CatalogError(f"msgmerge could not update this catalog: {said[-1]}", path, 1)])
        _msgfmt(path)
    return 0


def catalog_languages(locales: Path) -> list[str]:
    """Every language that has a catalog under ``locales/``."""
    return sorted(p.parent.parent.name for p in locales.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
