"""Languages: loading catalogs, translating a record, and locale formatting with Babel.

English is the source language. Every other language comes from a gettext
catalog, ``locales/<lang>/LC_MESSAGES/messages.po`` (loaded by ``catalogs.py``).
"""

from __future__ import annotations

import datetime as dt
import gettext
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.lists import format_list
from babel.numbers import format_decimal

from leaflets.errors import LeafletError, NotFoundError
from leaflets.model.characters import isolated
from leaflets.model.policies import DEFAULT_POLICIES, fill, placeholders
from leaflets.model.walk import map_prose, prose_messages
from leaflets.model.yamlfile import Location, dotted, parse_yaml, read_limited

SOURCE_LANGUAGE = "en"
DOMAIN = "messages"

_MISSES: ContextVar[list[str] | None] = ContextVar("leaflets_untranslated", default=None)


@dataclass(frozen=True)
class Language:
    """A leaflet language: its catalog and how Babel formats for it.

    A message is used only when the catalog has a complete, non-fuzzy
    translation of it. Anything else is recorded (see ``tracking_misses``) so
    the leaflet can be refused: there is no silent fallback to English.
    """

    code: str
    locale: Locale
    translations: gettext.NullTranslations = field(default_factory=gettext.NullTranslations, repr=False)
    complete: frozenset[str] = field(default=frozenset(), repr=False)
    catalog_path: Path | None = None
    catalog_lines: dict[str, int] = field(default_factory=dict, repr=False)
    fuzzy: frozenset[str] = field(default=frozenset(), repr=False)
    warnings: tuple[LeafletError, ...] = ()  # errors of the catalog that do not stop a build

    @property
    def is_source(self) -> bool:
        return self.code == SOURCE_LANGUAGE

    @property
    def direction(self) -> str:
        return "rtl" if self.locale.text_direction == "rtl" else "ltr"

    @property
    def html_lang(self) -> str:
        """BCP 47 tag for ``lang`` attributes and the PDF's /Lang (zh_Hans -> zh-Hans)."""
        return self.code.replace("_", "-")

    @property
    def own_name(self) -> str:
        """The language's name in the language itself, e.g. 'español'."""
        return self.locale.get_display_name(self.locale) or self.code

    def gettext(self, message: str) -> str:
        if self.is_source:
            return message
        if message in self.complete:
            return self.translations.gettext(message)
        _record_miss(message)
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if self.is_source:
            return singular if n == 1 else plural
        if singular in self.complete:
            return self.translations.ngettext(singular, plural, n)
        _record_miss(singular)
        return singular if n == 1 else plural

    def date(self, value: date) -> str:
        return format_date(value, format="long", locale=self.locale)

    def datetime(self, value: datetime) -> str:
        """A full date and a short time, joined the way the locale joins them."""
        joiner = str(self.locale.datetime_formats.get("full", "{1}, {0}")).replace("'", "")
        return joiner.format(
            format_time(value, format="short", locale=self.locale),
            format_date(value.date(), format="full", locale=self.locale),
        )

    def clock(self, value: dt.datetime, day: dt.date) -> str:
        """A short time ("3:30 AM"), with its full date when it falls on another day than ``day``."""
        if value.date() == day:
            return format_time(value, format="short", locale=self.locale)
        return self.datetime(value)

    def list(self, items: list[str]) -> str:
        return format_list(items, locale=self.locale)

    def number(self, value: int) -> str:
        return format_decimal(value, locale=self.locale)


def _record_miss(message: str) -> None:
    misses = _MISSES.get()
    if misses is not None and message not in misses:
        misses.append(message)


@contextmanager
def tracking_misses() -> Iterator[list[str]]:
    """Collect, in order, every message asked for that has no usable translation."""
    misses: list[str] = []
    token = _MISSES.set(misses)
    try:
        yield misses
    finally:
        _MISSES.reset(token)


def parse_locale(code: str) -> Locale:
    try:
        return Locale.parse(code)
    except (ValueError, UnknownLocaleError):
        raise NotFoundError(f"'{code}' is not a language code Babel knows (such as en, es, fr, ar, zh_Hans, vi)") from None


def plural_count(data: dict[str, Any]) -> str:
    return data.get("count") or placeholders(data["other"])[0]


def translate_record(data: Any, language: Language, *, policies: Mapping[str, int] | None = None) -> Any:
    """A copy of a record's plain data with every prose string translated and its ``{policy}``
    placeholders filled in (from the clinic's ``policies``, by default the safe defaults)."""
    values = policies if policies is not None else DEFAULT_POLICIES.model_dump()

    def text(message: str) -> str:
        return fill(language.gettext(message), values, language.number)

    def plural(data: dict[str, Any]) -> str:
        count = values[plural_count(data)]
        return fill(language.ngettext(data["one"], data["other"], count), values, language.number)

    return map_prose(data, text, plural)


def isolate_record(data: Any) -> Any:
    """A copy of a record's plain data with every prose string isolated (FSI … PDI): each takes its
    direction from its own first strong letter, so its punctuation and numbers stay with it in
    a leaflet of either direction."""
    return map_prose(data, isolated)


def extract_records(
    fileobj: BinaryIO, keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[tuple[int, str | None, str | tuple[str, str], list[str]]]:
    """Babel extractor for procedure records (``[leaflets.i18n:extract_records: ...]`` in babel.cfg).

    Each message carries the record's file and line as its reference, and the
    field path as a comment for translators.
    """
    path = Path(getattr(fileobj, "name", "record.yaml"))
    document = parse_yaml(read_limited(fileobj, path), path)
    for location, message in prose_messages(document.data):
        comments = [f"{path.stem}: {dotted(location)}"]
        if isinstance(message, tuple):
            count = plural_count(_value_at(document.data, location))
            comments.append(f"keep each {{placeholder}} as written; the plural form follows {{{count}}}")
            yield document.line_of(location), "ngettext", (message[0].strip(), message[1].strip()), comments
        elif text := message.strip():
            if placeholders(text):
                comments.append("keep each {placeholder} as written: the clinic's number goes there")
            yield document.line_of(location), None, text, comments


def _value_at(data: Any, location: Location) -> Any:
    for part in location:
        data = data[part]
    return data
