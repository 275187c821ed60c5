"""Finding a leaflet by what a clinician types, best match first.

Every leaflet is found by its names in every language the clinic prints, in three fields of falling
weight: its title; its other names, clinicians' abbreviations (AVF, PCN, CTO) and codes; its search
terms (what it mentions). A leaflet is found when every word of the query matches one of its words,
and the leaflets are ranked:

1. those whose title, other names, abbreviations or codes hold every word, before those where a
   word is only in the search terms;
2. then by how well they match: each word scores its field's weight times the quality of its match
   (the whole word, the start of a word, a typo); the query written as one of the names, or filling
   most of one, scores more; and a leaflet named by the word more often (in more of its names and
   terms, in every language) scores a little more;
3. the English title last, so equal scores keep one order. Never the id.

When no leaflet holds every word, those holding more than half of them are found, most words first
("a clot in my fistula": "my" is in none).

Text is compared folded (``fold``): NFKC, case-folded, without accents or other marks, with the
letters that do not decompose spelled plainly (đ → d, ø → o, ł → l, æ → ae), every script's digits as
0-9 (٣٦٨٣٦ is 36836); Arabic without
its letter variants (أ إ آ → ا, ة → ه, ى → ي, no tatweel) and without the prefixes written
onto a word (و ف, then ب ك ل, then the article ال, as in وبالكلى → كلى) and a final ة. Chinese and Japanese,
written without spaces, are matched by their characters two at a time (and one alone).
Typos: a word of 3-4 letters may have two letters swapped ("afv"); 5-8 letters one typo, a swap
counting as one ("fistual"); 9 or more two. Codes match in any spelling ("CPT50436", "cpt 50436",
"36836") but never in part ("5043" finds nothing).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from leaflets.language.i18n import Language
from leaflets.model.cache import JsonStore, code_version, collector_paused
from leaflets.model.digests import bytes_digest
from leaflets.model.project import RecordSummary
from leaflets.model.record import Procedure

# What clinicians write before a code; dropped from a query, so "CPT 50436" is the code alone.
CODE_SYSTEM_WORDS = frozenset({"cpt", "hcpcs", "icd", "icd10", "icd10pcs", "pcs", "snomed", "snomedct", "sct", "code"})
_SYSTEM_THEN_CODE = re.compile(r"\b(?:cpt|hcpcs|icd-?10-?pcs|icd-?10|snomed(?:[- ]?ct)?)[\s:#.-]*(?=\w*\d)")
_UNSPACED_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u0e00-\u0e7f"
_TOKEN = re.compile(rf"[{_UNSPACED_CHARS}]+|[^\W_{_UNSPACED_CHARS}]+")
_UNSPACED = re.compile(rf"[{_UNSPACED_CHARS}]")
_DOT_IN_CODE = re.compile(r"(?<=[0-9a-z])\.(?=[0-9a-z])")
# Letters NFD does not take apart, as people type them on a keyboard without them.
_PLAIN_LETTERS = str.maketrans({"đ": "d", "ø": "o", "ł": "l", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th", "ð": "d",
                                "ħ": "h", "ŧ": "t", "ŋ": "n", "ة": "ه", "ى": "ي", "ـ": None})
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_ARABIC_ARTICLES = ("بال", "كال", "فال", "وال", "لل", "ال")

TITLE, NAME, TERM = 4.0, 3.0, 2.0  # the fields' weights
EXACT, PREFIX, TYPO = 1.0, 0.75, 0.5  # the quality of a word's match


class _Table(dict[int, str]):
    """A ``str.translate`` table worked out one character at a time, the first time it is met."""

    def __init__(self, rule: Callable[[str], str]):
        super().__init__()
        self.rule = rule

    def __missing__(self, code: int) -> str:
        self[code] = value = self.rule(chr(code))
        return value


_DIGITS = _Table(lambda ch: str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch)  # ٣٦٨٣٦
_NO_MARKS = _Table(lambda ch: "" if unicodedata.combining(ch) else ch)


def fold(text: str) -> str:
    """``text`` as search compares it: NFKC, case-folded, no marks, plain letters (see the module)."""
    if text.isascii():  # what every step below would make of it
        return text.lower()
    text = unicodedata.normalize("NFKC", text).casefold().translate(_PLAIN_LETTERS).translate(_DIGITS)
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).translate(_NO_MARKS))


def arabic_stem(word: str) -> str:
    """An Arabic word without the conjunction, preposition and article written onto it, and without a
    final ة (folded to ه), so الكلية and الكلى, بالكلى and وللكلى are one word."""
    if len(word) > 3 and word[0] in "وف" and (word[1:].startswith(_ARABIC_ARTICLES) or word[1] in "بكل"):
        word = word[1:]
    for article in _ARABIC_ARTICLES:
        if word.startswith(article) and len(word) - len(article) >= 2:
            word = word[len(article):]
            break
    else:
        if len(word) > 4 and word[0] in "بكل":
            word = word[1:]
    return word[:-1] if len(word) >= 4 and word.endswith("ه") else word


def tokens(text: str) -> list[str]:
    """The words of folded ``text``; a run of Chinese or Japanese as its characters two by two."""
    out: list[str] = []
    for run in _TOKEN.findall(_DOT_IN_CODE.sub("", fold(text))):
        if _UNSPACED.match(run):
            out += [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]
        else:
            out.append(arabic_stem(run) if _ARABIC.match(run) else run)
    return out


def _index_tokens(text: str) -> list[str]:
    """As ``tokens``, with each Chinese character alone too, so a one-character query finds it."""
    found = tokens(text)
    return found + [ch for run in _TOKEN.findall(fold(text)) if _UNSPACED.match(run) and len(run) > 1 for ch in run]


def query_words(query: str) -> list[str]:
    """The words of a query, with a code system's name before a code taken off."""
    folded = _SYSTEM_THEN_CODE.sub(" ", fold(query))
    return [word for word in tokens(folded) if word not in CODE_SYSTEM_WORDS]


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    weight: float


@dataclass(frozen=True)
class Entry:
    """What one leaflet can be found by."""

    id: str
    title: str  # in English: the last tie-break
    phrases: tuple[Phrase, ...]
    best: dict[str, float]  # every word, with the weight of the heaviest field holding it
    names: tuple[str, ...]  # its names as written, for "did you mean"


Fields = list[tuple[float, list[str]]]  # weighted texts: (TITLE, titles), (NAME, ...), (TERM, search terms)


def make_entry(leaflet_id: str, title: str, fields: Iterable[tuple[float, Iterable[str]]]) -> Entry:
    """An entry from weighted texts: (TITLE, titles), (NAME, other names, abbreviations, codes), (TERM, search terms)."""
    phrases: dict[tuple[str, ...], float] = {}
    names: list[str] = []
    for weight, texts in fields:
        for text in texts:
            words = tuple(_index_tokens(text))
            if words and phrases.get(words, 0) < weight:
                phrases[words] = weight
            names.append(text)
    found = tuple(Phrase(w, g) for w, g in phrases.items())
    return Entry(leaflet_id, title, found, _best(found), tuple(dict.fromkeys(names)))


def _best(phrases: tuple[Phrase, ...]) -> dict[str, float]:
    best: dict[str, float] = {}
    for phrase in phrases:
        for word in phrase.words:
            best[word] = max(best.get(word, 0.0), phrase.weight)
    return best


def entry_for(procedure: Procedure | RecordSummary, languages: Iterable[Language]) -> Entry:
    """A record's entry (from the record or its summary): its words in the source language and in every language given."""
    return make_entry(procedure.id, procedure.title, entry_fields(procedure, list(languages)))


def entry_fields(procedure: Procedure | RecordSummary, languages: list[Language]) -> Fields:
    """The weighted texts a record is found by, in the source language and in every language given."""
    def each(texts: Iterable[str]) -> list[str]:
        texts = list(texts)
        return [*texts, *(language.gettext(text) for language in languages for text in texts)]

    codes = [code for values in procedure.codes.values() for code in values]
    return [(TITLE, each([procedure.title])), (NAME, [*each(procedure.also_called), *procedure.abbreviations, *codes]),
            (TERM, each(procedure.search_terms))]


def search_entries(records: Iterable[RecordSummary], languages: Iterable[Language], kept: JsonStore | None = None) -> list[Entry]:
    """Each record's entry, in the order given. With ``kept`` (a cache folder), an entry is made only when
    the texts it is made from (``entry_fields``) are not those of an entry kept there; the cache is written
    again when any entry was made or left out."""
    with collector_paused():
        return _entries(list(records), list(languages), kept)


def _entries(records: list[RecordSummary], languages: list[Language], kept: JsonStore | None) -> list[Entry]:
    wanted = [(record.id, record.title, entry_fields(record, languages)) for record in records]
    keys = [bytes_digest(json.dumps(texts, ensure_ascii=False).encode("utf-8")) for texts in wanted]
    stored = _stored_entries(kept)
    entries, all_kept = [], True
    for key, (leaflet_id, title, fields) in zip(keys, wanted, strict=True):
        entry = _entry_from(leaflet_id, title, stored.get(key))
        if entry is None:
            entry, all_kept = make_entry(leaflet_id, title, fields), False
        entries.append(entry)
    if kept is not None and not (all_kept and len(stored) == len(keys)):
        kept.write(ENTRIES, {"format": code_version(), "entries": {
            key: {"phrases": [[list(p.words), p.weight] for p in entry.phrases], "names": list(entry.names)}
            for key, entry in zip(keys, entries, strict=True)}})
    return entries


ENTRIES = "entries"  # the name of the search entries' cache entry


def _stored_entries(kept: JsonStore | None) -> dict[str, Any]:
    """The cached entries by the digest of their texts; none if the cache is of other code or of the wrong shape."""
    found = kept.read(ENTRIES) if kept is not None else None
    entries = found.get("entries") if isinstance(found, dict) and found.get("format") == code_version() else None
    return entries if isinstance(entries, dict) else {}


def _entry_from(leaflet_id: str, title: str, stored: Any) -> Entry | None:
    """A cached entry, checked as it is read; None if it has the wrong shape."""
    try:
        phrases = tuple(Phrase(tuple(words), weight) for words, weight in stored["phrases"])
        names = tuple(stored["names"])
    except (KeyError, TypeError, ValueError):
        return None
    if not all(isinstance(p.weight, float) and p.words and all(isinstance(w, str) for w in p.words) for p in phrases):
        return None
    if not all(isinstance(name, str) for name in names):
        return None
    return Entry(leaflet_id, title, phrases, _best(phrases), names)


def _typos_allowed(word: str) -> int:
    if word.isdigit() or any(ch.isdigit() for ch in word) or _UNSPACED.match(word):
        return 0
    return 1 if 3 <= len(word) <= 8 else 2 if len(word) >= 9 else 0


def _typo(word: str, known: str, allowed: int) -> bool:
    if abs(len(known) - len(word)) > allowed or not known.isalpha():
        return False
    if len(word) <= 4:  # short words: only two letters swapped, the rest as typed
        return len(known) == len(word) and sorted(known) == sorted(word) and OSA.distance(word, known) == 1
    return OSA.distance(word, known, score_cutoff=allowed) <= allowed


def word_match(word: str, entry: Entry) -> tuple[float, float]:
    """(field weight, quality) of one query word's best match in a leaflet; (0, 0) when none."""
    if word in entry.best:
        return entry.best[word], EXACT
    best = (0.0, 0.0)
    prefixable = len(word) >= 2 and not word.isdigit() and not _UNSPACED.match(word)
    allowed = _typos_allowed(word)
    for known, weight in entry.best.items():
        if prefixable and known.startswith(word) and not known.isdigit():
            quality = PREFIX
        elif allowed and _typo(word, known, allowed):
            quality = TYPO
        else:
            continue
        if weight * quality > best[0] * best[1]:
            best = (weight, quality)
    return best


def _phrase_score(words: list[str], entry: Entry) -> float:
    """The query as one of the leaflet's names or terms: said whole, or filling part of one."""
    best = 0.0
    wanted = set(words)
    for phrase in entry.phrases:
        if not wanted <= set(phrase.words):
            continue
        whole = tuple(words) == phrase.words
        best = max(best, phrase.weight * (2.0 if whole else len(wanted) / len(set(phrase.words))))
    return best


def _mentions(words: list[str], entry: Entry) -> int:
    """In how many of its names and terms a leaflet holds a query word (within a longer word too)."""
    def holds(phrase: Phrase, word: str) -> bool:
        return word in phrase.words or (len(word) >= 5 and any(word in known for known in phrase.words))

    return sum(1 for phrase in entry.phrases if any(holds(phrase, w) for w in words))


def rank(words: list[str], entry: Entry, partial: bool = False) -> tuple[int, float] | None:
    """(tier, score) of a leaflet for a query's words, or None when a word matches nothing. ``partial``:
    a leaflet matching more than half of the words is found too, in tier 0, more words first."""
    matches = [word_match(word, entry) for word in words]
    found = [(weight, quality) for weight, quality in matches if quality]
    if len(found) < len(words):
        if not partial or 2 * len(found) <= len(words):
            return None
        return 0, len(found) * 100 + sum(weight * quality for weight, quality in found)
    lowest = min(weight for weight, _ in matches)
    tier = 2 if lowest >= NAME else 1
    score = sum(weight * quality for weight, quality in matches) + _phrase_score(words, entry)
    return tier, score + 0.05 * min(_mentions(words, entry), 10)


def find(query: str, entries: Iterable[Entry]) -> list[str]:
    """The ids of the leaflets every word of ``query`` matches, best first. An empty query finds all."""
    words = query_words(query)
    entries = list(entries)
    if not words:
        return [entry.id for entry in sorted(entries, key=lambda e: fold(e.title))]
    for partial in (False, True):  # words said in passing ("a clot in my fistula"): most of them will do
        scored = []
        for entry in entries:
            ranked = rank(words, entry, partial)
            if ranked is not None:
                scored.append((-ranked[0], -round(ranked[1], 6), fold(entry.title), entry.id))
        if scored:
            break
    return [leaflet_id for *_, leaflet_id in sorted(scored)]


def did_you_mean(query: str, entries: Iterable[Entry], limit: int = 3) -> list[str]:
    """Names of leaflets close to a query that found nothing, as written in the records."""
    phrases = {fold(name): name for entry in entries for name in entry.names}
    wanted = " ".join(query_words(query))
    if not wanted:
        return []
    close = process.extract(wanted, list(phrases), scorer=fuzz.WRatio, limit=limit, score_cutoff=70)
    return [phrases[match] for match, _, _ in close]
