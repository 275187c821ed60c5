"""The `check` command: every leaflet of a clinic built and run through `checks/`, results cached; translation status."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from leaflets.build.archive import archive_problems
from leaflets.build.leaflet import Builder, Refused, pdf_name
from leaflets.build.manifest import approvals_digest, shared_inputs
from leaflets.checks.advice import advice_findings
from leaflets.checks.approval import approval_findings, governance_findings
from leaflets.checks.characters import boxes_findings, catalog_boxes, clinic_boxes, termbase_findings
from leaflets.checks.findings import Finding, Severity
from leaflets.checks.numbers import number_findings, risk_findings
from leaflets.checks.pages import budget_problem
from leaflets.checks.readability import (
    Readability,
    load_plain_words,
    long_sentence_findings,
    long_sentences,
    needless_glossary_entries,
    readability,
    readability_findings,
    unexplained_words,
)
from leaflets.checks.structure import structure_findings
from leaflets.checks.triage import triage_findings
from leaflets.errors import LeafletError, NotFoundError, State, refused_or_failed
from leaflets.language.catalogs import TranslationRefused, catalog_languages, catalog_path
from leaflets.language.i18n import SOURCE_LANGUAGE, translate_record
from leaflets.language.termbase import TERMBASE
from leaflets.model.blocks import load_block
from leaflets.model.cache import JsonStore, code_version
from leaflets.model.clinic import Clinic, RedFlags
from leaflets.model.day import build_day
from leaflets.model.digests import digest, file_digest, stored_identity
from leaflets.model.formats import CURRENT_FORMAT, earlier_formats, reported_elsewhere, upgrade_hint
from leaflets.model.project import Project
from leaflets.model.record import Procedure
from leaflets.model.walk import prose_strings
from leaflets.model.yamlfile import YamlDocument


def check_project(project: Project) -> tuple[str, list[LeafletError]]:
    """Validate every record and clinic file: a summary, and every problem of every file."""
    with reported_elsewhere():  # a file of an earlier format: one warning, from check_leaflets
        procedures, procedure_errors = project.load_each_procedure()
        clinics, clinic_errors = project.load_each_clinic()
    errors = procedure_errors + clinic_errors
    if errors:
        valid = f"{len(procedures)} procedures and {len(clinics)} clinics are valid"
        return f"{valid}: {len(errors)} problem(s) in the others", errors
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
    and the problems of the records and clinic files that could not be read. Leaflets are built for
    the first clinic that loads; with none, there is no status, only the reason."""
    builder = Builder(project)
    procedures, errors = project.load_each_procedure()
    clinics, clinic_errors = project.load_each_clinic()
    if not clinics:
        clinic_errors = clinic_errors or [NotFoundError(
            "no clinic file: a leaflet's status is worked out by building it for a clinic", project.content / "clinics")]
        return {}, errors + clinic_errors
    languages = languages or catalog_languages(project.locales)
    status: dict[tuple[str, str], TranslationState] = {}
    for procedure in procedures:
        for code in languages:
            status[procedure.id, code] = _leaflet_state(builder, procedure, clinics[0], code)
    return status, errors + clinic_errors


def _leaflet_state(builder: Builder, procedure: Procedure, clinic: Clinic, code: str) -> TranslationState:
    try:
        outcome = builder.render(builder.leaflet(procedure, clinic, code))
    except LeafletError as exc:  # a catalog or a template that cannot be used
        return _state_of(exc)
    return _state_of(outcome.errors) if isinstance(outcome, Refused) else TranslationState()


def _state_of(error: LeafletError) -> TranslationState:
    if refused_or_failed(error) == State.FAILED:
        return TranslationState(problem=str(error.errors[0]))
    fuzzy = sum(e.fuzzy for e in error.errors if isinstance(e, TranslationRefused))
    return TranslationState(missing=len(error.errors) - fuzzy, fuzzy=fuzzy)


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
        earlier = _earlier_formats(project, _loading_files(project))
    findings += [Finding(path.stem, upgrade_hint(path, written_in), Severity.WARNING, path, 1)
                 for path, written_in in earlier]
    return reports, findings


def _earlier_formats(project: Project, paths: list[Path]) -> list[tuple[Path, int]]:
    """``earlier_formats``, with each record's format read from the cache while its bytes are unchanged."""
    records = project.content / "procedures"
    found = earlier_formats([path for path in paths if path.parent != records])
    for path in (path for path in paths if path.parent == records):
        try:
            written_in = project.record_document(path)[1]
        except LeafletError:
            continue
        if written_in < CURRENT_FORMAT:
            found.append((path, written_in))
    return found


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
    documents = RecordDocuments(project)
    red_flags = project.load_red_flags()
    findings += triage_findings(procedures, documents, red_flags)
    for procedure in procedures:
        english = procedure.model_dump(mode="json")
        findings += results.record_findings(english, partial(
            _record_findings, project, clinic, procedure, documents, english, plain_words, red_flags, today))
        for lang in clinic.languages:
            report, found = results.get(procedure.id, lang, english) or results.put(
                procedure.id, lang, english, *_check_language(builder, procedure, clinic, lang, english))
            reports.append(report)
            findings += found
    findings += [finding for lang in clinic.languages
                 for finding in results.catalog_findings(lang, partial(catalog_warnings, builder, [lang]))]
    findings += clinic_boxes(project, clinic)
    findings += page_budget_findings(project, clinic, [procedure.id for procedure in procedures], results)
    findings += [Finding("archive", e.message, Severity.ERROR, e.path) for e in archive_problems(project, clinic.id)]
    return reports, findings


class RecordDocuments(Mapping[str, YamlDocument]):
    """Each record's parsed file by id, read (from the cache, ``Project.record_document``) only when a
    finding needs to say on which line it is."""

    def __init__(self, project: Project):
        self.project = project
        self._read: dict[str, YamlDocument] = {}

    def __getitem__(self, procedure_id: str) -> YamlDocument:
        if procedure_id not in self._read:
            self._read[procedure_id] = self.project.record_document(self.project.record_path(procedure_id))[0]
        return self._read[procedure_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self.project.procedure_ids())

    def __len__(self) -> int:
        return len(self.project.procedure_ids())


def _record_findings(project: Project, clinic: Clinic, procedure: Procedure, documents: Mapping[str, YamlDocument],
                     english: dict[str, Any], plain_words: dict[str, str], red_flags: RedFlags | None,
                     today: date) -> list[Finding]:
    """What ``check`` says of one record in any language: structure, review dates, numbers, advice, words."""
    record_path, document = project.record_path(procedure.id), documents[procedure.id]
    findings = structure_findings(procedure, clinic) + governance_findings(procedure, today)
    findings += number_findings(document, clinic) + risk_findings(document)
    findings += advice_findings(procedure, red_flags.advice, record_path) if red_flags else []
    for word, plain, where in unexplained_words(english, plain_words):
        findings.append(Finding(procedure.id, f"'{word}' ({where}) is not explained in the glossary; plainer: '{plain}'",
                                Severity.WARNING, record_path))
    for term, why in needless_glossary_entries(english):
        findings.append(Finding(procedure.id, f"glossary: '{term}' {why}; leave it out of the glossary",
                                Severity.WARNING, record_path))
    return findings


def page_budget_findings(project: Project, clinic: Clinic, procedure_ids: list[str],
                         known: CheckResults | None = None) -> list[Finding]:
    """Built leaflets over the clinic's page budget (large print: twice it), each naming its longest sections.
    With ``known``, a PDF's result is kept while the file is the one the build wrote (its identity: builds
    write each PDF anew and rename it into place, so a new PDF is a new file)."""
    found = []
    for procedure_id in procedure_ids:
        for lang in clinic.languages:
            for large_print in (False, True):
                path = project.dist_for(clinic.id) / pdf_name(lang, procedure_id, large_print)
                if not path.is_file():
                    continue
                subject = f"{procedure_id} [{lang}{', large print' if large_print else ''}]"
                measure = partial(_budget_findings, path, subject, clinic.page_budget, large_print)
                key = digest(code_version(), stored_identity(path), clinic.page_budget, large_print)
                found += known.kept(f"pages {path}", key, measure) if known else measure()
    return found


def _budget_findings(path: Path, subject: str, budget: int, large_print: bool) -> list[Finding]:
    import pikepdf  # loads only when there are PDFs to read

    with pikepdf.open(path) as pdf:
        problem = budget_problem(pdf, budget, large_print)
    return [Finding(subject, problem, Severity.ERROR, path)] if problem else []


def catalog_warnings(builder: Builder, languages: list[str]) -> list[Finding]:
    """What is worth fixing in a catalog that still builds (a Plural-Forms header CLDR has moved on from)."""
    findings = []
    for lang in languages:
        try:
            warnings = builder.language(lang).warnings
        except LeafletError:
            continue  # reported with the leaflets it stops
        findings += [Finding(f"catalog [{lang}]", w.message, Severity.WARNING, w.path, w.line) for w in warnings]
        findings += catalog_boxes(builder.language(lang), builder.project.fonts)
        findings += termbase_findings(builder.project, lang)
    return findings


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
        self.catalogs = {code: None if code == SOURCE_LANGUAGE else file_digest(catalog_path(project.locales, code))
                         for code in clinic.languages}
        self.red_flags = file_digest(project.content / "red_flags.yaml")
        self._english: tuple[dict[str, Any], str] | None = None

    def get(self, procedure_id: str, lang: str, english: dict[str, Any]) -> tuple[LeafletReport, list[Finding]] | None:
        entry = self.store.read(f"{procedure_id} {lang}")
        if entry is None:
            return None
        try:
            if entry["key"] != self._key(lang, english):
                return None
            report, score = entry["report"], entry["report"]["readability"]
            return LeafletReport(**{**report, "readability": Readability(**score)}), _findings_from(entry["findings"])
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, procedure_id: str, lang: str, english: dict[str, Any], report: LeafletReport,
            findings: list[Finding]) -> tuple[LeafletReport, list[Finding]]:
        if self.catalogs[lang] is not None or lang == SOURCE_LANGUAGE:  # a missing catalog: nothing worth keeping
            self.store.write(f"{procedure_id} {lang}", {
                "key": self._key(lang, english), "report": asdict(report), "findings": _findings_to(findings)})
        return report, findings

    def record_findings(self, english: dict[str, Any], work_out: Callable[[], list[Finding]]) -> list[Finding]:
        """A record's own findings (``_record_findings``), kept under a digest of the record as it is merged
        and as its file is written (the lines findings name), red flags, the shared inputs and the day."""
        key = digest(self.shared, self._english_digest(english), file_digest(self.project.record_path(english["id"])),
                     self.red_flags, self.today.isoformat())
        return self.kept(f"{english['id']} record", key, work_out)

    def _key(self, lang: str, english: dict[str, Any]) -> str:
        out_of_date = english["review"]["review_due"] < self.today.isoformat()
        approvals = approvals_digest(self.project, english["id"])  # the leaflet's state: approved, changed, draft
        return digest(self.shared, self._english_digest(english), lang, self.catalogs[lang], out_of_date, approvals)

    def _english_digest(self, english: dict[str, Any]) -> str:
        """The digest of a record as merged, worked out once for all its languages."""
        if self._english is None or self._english[0] is not english:
            self._english = (english, digest(english))
        return self._english[1]

    def catalog_findings(self, lang: str, work_out: Callable[[], list[Finding]]) -> list[Finding]:
        """``catalog_warnings`` of one language, kept under a digest of its catalog, termbase and the shared inputs."""
        termbase = file_digest(self.project.locales / lang / TERMBASE)
        return self.kept(f"catalog {lang}", digest(self.shared, lang, self.catalogs.get(lang), termbase), work_out)

    def kept(self, name: str, key: str, work_out: Callable[[], list[Finding]]) -> list[Finding]:
        entry = self.store.read(name)
        try:
            if entry is not None and entry["key"] == key:
                return _findings_from(entry["findings"])
        except (KeyError, TypeError, ValueError):
            pass
        findings = work_out()
        self.store.write(name, {"key": key, "findings": _findings_to(findings)})
        return findings


def _findings_to(findings: list[Finding]) -> list[dict[str, Any]]:
    return [{**asdict(f), "path": f.path and str(f.path)} for f in findings]


def _findings_from(entries: Any) -> list[Finding]:
    return [Finding(**{**f, "severity": Severity(f["severity"]), "path": f["path"] and Path(f["path"])}) for f in entries]


def _check_language(
    builder: Builder, procedure: Procedure, clinic: Clinic, lang: str, english: dict[str, Any]
) -> tuple[LeafletReport, list[Finding]]:
    """One leaflet built, and its plain language, printable characters and approval checked (``checks/``)."""
    subject = f"{procedure.id} [{lang}]"
    try:
        language = builder.language(lang)
        outcome = builder.render(builder.leaflet(procedure, clinic, lang))
    except LeafletError as exc:
        return _not_built(procedure.id, lang, exc)
    if isinstance(outcome, Refused):
        return _not_built(procedure.id, lang, outcome.errors)
    score = readability(translate_record(english, language), lang)
    pairs = [(text, language.gettext(text)) for _, text in prose_strings(english)]
    long = long_sentences(pairs, lang)
    findings = readability_findings(subject, score, clinic.reading_grade_max)
    findings += boxes_findings(builder.project, subject, builder.project.record_path(procedure.id), pairs, language)
    findings += long_sentence_findings(subject, long, language.catalog_path, language.catalog_lines)
    findings += approval_findings(builder.project, procedure, outcome.standing)
    status = outcome.standing.state + (", out of date" if procedure.is_out_of_date(builder.today) else "")
    return LeafletReport(procedure.id, lang, score, len(long), status), findings


def _not_built(procedure_id: str, lang: str, error: LeafletError) -> tuple[LeafletReport, list[Finding]]:
    finding = Finding(f"{procedure_id} [{lang}]", f"cannot be built: {error.errors[0]}", Severity.ERROR)
    return LeafletReport(procedure_id, lang, Readability(None, None, None, {}), 0, "refused"), [finding]


def leaflet_errors(project: Project, clinic: Clinic, procedure: Procedure, lang: str) -> list[Finding]:
    """What makes ``check`` fail for one leaflet (and, for a translation, its English): nothing, or its errors."""
    builder, findings = Builder(project), list[Finding]()
    english = procedure.model_dump(mode="json")
    for code in dict.fromkeys(["en", lang]):
        findings += _check_language(builder, procedure, clinic, code, english)[1]
    findings += clinic_boxes(project, clinic)
    return [finding for finding in findings if finding.severity == Severity.ERROR]
