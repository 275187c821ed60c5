"""Finding a leaflet by what a clinician types: its title, other names, search terms or code.

Text is compared folded: Unicode-normalised (NFKC), case-folded and without accents or other
combining marks, so "RIÑON", "riñón" and "rinon" (and the same typed as NFD) are one word.
Each word of a query must match a whole word of a leaflet, or the start of one ("nephro"
finds "nephrostomy", but "cto" no longer finds "trayecto"). Words of five letters or more
may have one typo, nine or more two ("fistla", "nefrostomy"). Chinese and other scripts
written without spaces are matched anywhere in the text. Codes are found in any spelling:
"CPT50436", "cpt 50436", "CPT-50436" and "50436".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

# What clinicians write before a code; dropped from a query, so "CPT 50436" is the code alone.
CODE_SYSTEM_WORDS = frozenset({"cpt", "hcpcs", "icd", "icd10", "icd10pcs", "pcs", "snomed", "snomedct", "sct",
                               "code"})
_WORD = re.compile(r"\w+")
_SYSTEM_THEN_CODE = re.compile(r"\b(?:cpt|hcpcs|icd-?10-?pcs|icd-?10|snomed(?:[- ]?ct)?)[\s:#.-]*(?=\w*\d)")
# Scripts written without spaces between words: a query in them is looked for anywhere in the text.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u0e00-\u0e7f]")

EXACT, PREFIX, TYPO = 3, 2, 1  # how well a query word matched a leaflet's word


def fold(text: str) -> str:
    """``text`` as search compares it: NFKC, case-folded, no combining marks."""
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare)


def query_words(query: str) -> list[str]:
    """The folded words of a query, with a code system's name before a code taken off."""
    folded = _SYSTEM_THEN_CODE.sub(" ", fold(query))
    return [word for word in _WORD.findall(folded.replace(".", "")) if word not in CODE_SYSTEM_WORDS]


@dataclass(frozen=True)
class Entry:
    """What one leaflet can be found by."""

    id: str
    words: frozenset[str]
    text: str  # every name, folded and joined, for scripts written without spaces
    phrases: tuple[str, ...]  # its names as written, for "did you mean"


def make_entry(leaflet_id: str, names: Iterable[str], codes: Iterable[str]) -> Entry:
    names = [name for name in dict.fromkeys(names) if name]
    folded = [fold(name) for name in names]
    code_words = {fold(code).replace(".", "") for code in codes}
    words = {word for name in folded for word in _WORD.findall(name)} | code_words
    words |= set(_WORD.findall(fold(leaflet_id).replace("-", " ")))
    return Entry(leaflet_id, frozenset(words), " ".join(folded), tuple(names))


def _typos_allowed(word: str) -> int:
    return 0 if len(word) < 5 or word.isdigit() else 1 if len(word) < 9 else 2


def word_match(word: str, entry: Entry) -> int:
    """How well one query word matches a leaflet: EXACT, PREFIX, TYPO or 0."""
    if _UNSPACED.search(word):
        return EXACT if word in entry.text else 0
    if word in entry.words:
        return EXACT
    if len(word) >= 2 and not word.isdigit() and any(known.startswith(word) for known in entry.words):
        return PREFIX
    allowed = _typos_allowed(word)
    if allowed and any(Levenshtein.distance(word, known, score_cutoff=allowed) <= allowed for known in entry.words
                       if abs(len(known) - len(word)) <= allowed):
        return TYPO
    return 0


def find(query: str, entries: Iterable[Entry]) -> list[str]:
    """The ids of the leaflets every word of ``query`` matches, best first. An empty query finds all."""
    words = query_words(query)
    scored = []
    for entry in entries:
        scores = [word_match(word, entry) for word in words]
        if all(scores):
            scored.append((-sum(scores), entry.id))
    return [leaflet_id for _, leaflet_id in sorted(scored)]


def did_you_mean(query: str, entries: Iterable[Entry], limit: int = 3) -> list[str]:
    """Names of leaflets close to a query that found nothing, as written in the records."""
    phrases = {fold(phrase): phrase for entry in entries for phrase in entry.phrases}
    wanted = " ".join(query_words(query))
    if not wanted:
        return []
    close = process.extract(wanted, list(phrases), scorer=fuzz.WRatio, limit=limit, score_cutoff=70)
    return [phrases[match] for match, _, _ in close]
