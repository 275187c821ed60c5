"""Translation checks a translator can read and act on: approved terms and unchanged numbers.

Each language may have ``locales/<lang>/termbase.csv`` with the columns ``English term``,
``Approved translation`` and ``Note``. A term listed on several rows has several approved
translations; any one of them will do. A translation whose English uses a term (whole words, any
case, singular or plural) must use one of its approved translations. Separately, every number of
the English must come through the translation unchanged, and a translation may add only a unit
conversion (°F to °C, lb to kg, miles to km, inches to cm).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from babel.messages.pofile import read_po

from leaflets.errors import ContentError
from leaflets.language.messages import english_of, translations_of
from leaflets.model.policies import PLACEHOLDER
from leaflets.model.yamlfile import read_text_file

TERMBASE = "termbase.csv"
COLUMNS = ("English term", "Approved translation", "Note")


@dataclass(frozen=True)
class Term:
    english: str
    approved: tuple[str, ...]
    note: str

    @property
    def pattern(self) -> re.Pattern[str]:
        """Whole words, any case, a space or hyphen between words, an optional plural ending."""
        words = [re.escape(word) for word in re.split(r"[\s-]+", self.english.strip())]
        return re.compile(r"\b" + r"[\s-]+".join(words) + r"(?:s|es)?\b", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    line: int | None
    message: str


def read_termbase(path: Path) -> list[Term]:
    """The terms of one language's ``termbase.csv``, their approved translations gathered per term."""
    text = read_text_file(path, kind="a termbase")
    rows = list(csv.reader(text.splitlines()))
    if not rows or tuple(cell.strip() for cell in rows[0][:3]) != COLUMNS:
        raise ContentError(f"the first row must name the columns: {', '.join(COLUMNS)}", path, 1)
    approved: dict[str, list[str]] = {}
    notes: dict[str, str] = {}
    for number, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise ContentError("each row needs an English term and an approved translation", path, number)
        english = row[0].strip()
        approved.setdefault(english.lower(), []).append(row[1].strip())
        notes.setdefault(english.lower(), row[2].strip() if len(row) > 2 else "")
    return [Term(english, tuple(translations), notes[english]) for english, translations in approved.items()]


def catalog_problems(catalog: Path, terms: list[Term], lang: str) -> list[Problem]:
    """Every translated entry of ``catalog`` that misses an approved term or changes a number."""
    with catalog.open("rb") as stream:
        messages = read_po(stream, locale=lang)
    problems: list[Problem] = []
    for message in messages:
        if not message.id or message.fuzzy:
            continue
        english = " ".join(english_of(message))
        strings = [s for s in translations_of(message) if s]
        if not strings:
            continue
        problems += [Problem(message.lineno, text) for text in missing_terms(english, strings, terms)]
        if not isinstance(message.id, tuple):  # a plural's number is a placeholder, not text
            problems += [Problem(message.lineno, text) for text in changed_numbers(english, strings[0])]
    return problems


def missing_terms(english: str, translations: list[str], terms: list[Term]) -> list[str]:
    """The terms ``english`` uses whose approved translation no translation uses (longest terms first)."""
    found = []
    remaining = english
    for term in sorted(terms, key=lambda t: len(t.english), reverse=True):
        if not term.pattern.search(remaining):
            continue
        remaining = term.pattern.sub(" ", remaining)  # "access site" is not also "access"
        for translation in translations:
            if not any(_approved_pattern(approved).search(translation) for approved in term.approved):
                note = f" ({term.note})" if term.note else ""
                found.append(f"'{term.english}' should be translated as {' or '.join(repr(a) for a in term.approved)}{note}")
                break
    return found


def _approved_pattern(approved: str) -> re.Pattern[str]:
    """The approved words in order, each inflected as the sentence needs: an article or particle
    joined in front (Arabic ال, و, ب) or an ending after it (plural, gender) still counts."""
    words = [r"\w*" + re.escape(word) + r"\w*" for word in approved.split()]
    return re.compile(r"\s+".join(words), re.IGNORECASE)


# -- numbers -------------------------------------------------------------------------------------

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# (the unit after a number in the English, how to convert the number to the unit a translation uses)
_CONVERSIONS: tuple[tuple[re.Pattern[str], Callable[[float], float]], ...] = (
    (re.compile(r"\s*(?:°\s*F\b|degrees?\s+F(?:ahrenheit)?\b)", re.IGNORECASE), lambda f: (f - 32) * 5 / 9),
    (re.compile(r"\s*(?:lbs?\b|pounds?\b)", re.IGNORECASE), lambda lb: lb * 0.45359237),
    (re.compile(r"\s*(?:miles?\b)", re.IGNORECASE), lambda mi: mi * 1.609344),
    (re.compile(r"\s*(?:inch(?:es)?\b|in\.)", re.IGNORECASE), lambda inch: inch * 2.54),
)


def normalised_digits(text: str) -> str:
    """Arabic-Indic, Persian and full-width digits as ASCII; the Arabic decimal and group marks as . and ,."""
    text = PLACEHOLDER.sub(" ", text)
    out = []
    for ch in text:
        digit = unicodedata.decimal(ch, None)
        out.append(str(digit) if digit is not None else {"\u066b": ".", "\u066c": ",", "\u00a0": " ", "\u202f": " "}.get(ch, ch))
    return re.sub(r"(?<=\d)[ ](?=\d{3}\b)", "", "".join(out))  # 1 000 (fr) is one number


def numbers(text: str) -> list[float]:
    """The numbers of ``text``, whatever its digits; ``1,000`` and ``1.000`` are a thousand, ``38,5`` and ``38.5`` a decimal."""
    found = []
    for token in _NUMBER.findall(normalised_digits(text)):
        parts = re.split(r"[.,]", token)
        if len(parts) > 1 and all(len(p) == 3 for p in parts[1:]):
            found.append(float("".join(parts)))
        elif len(parts) == 2:
            found.append(float(f"{parts[0]}.{parts[1]}"))
        else:
            found.append(float("".join(parts)))
    return found


def conversions(english: str) -> list[float]:
    """The values the English's measures convert to (100.4 °F -> 38.0), which a translation may add."""
    values = []
    text = normalised_digits(english)
    for match in _NUMBER.finditer(text):
        after = text[match.end():]
        for unit, convert in _CONVERSIONS:
            if unit.match(after):
                values.append(convert(numbers(match[0])[0]))
    return values


def changed_numbers(english: str, translation: str) -> list[str]:
    source, translated = Counter(numbers(english)), Counter(numbers(translation))
    problems = [f"the translation lacks the number {_shown(n)} of the English" for n in (source - translated).elements()]
    allowed = conversions(english)
    for extra in (translated - source).elements():
        if not any(abs(extra - value) <= max(0.1 * abs(value), 0.5) for value in allowed):
            problems.append(f"the translation has the number {_shown(extra)}, which the English does not have")
    return problems


def _shown(number: float) -> str:
    return f"{number:g}"
