"""Building every leaflet of a clinic: planned, incremental, parallel, atomic.

1. Plan: every procedure x language x (regular, large print). A leaflet whose
   inputs (record content, clinic, catalog, templates, fonts, package version,
   review status) hash the same as in the manifest, and whose PDF is intact, is
   skipped without rendering anything.
2. Render the rest in long-lived worker processes forked from a parent that has
   already imported WeasyPrint; each worker keeps one Builder (stylesheet,
   fonts, catalogs, Jinja environment). A worker first renders the HTML; if what
   the leaflet prints is unchanged (a comment edited in a catalog, say), no PDF
   is made.
3. Write each PDF to a temporary file beside its target and rename it; write
   the manifest and the catalog page the same way. A lock keeps a second build
   out of the same ``dist/<clinic>/``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import __version__
from .build import Builder, pdf_name, write_atomically
from .catalogs import catalog_path
from .content import Clinic, Procedure, Project, build_day
from .errors import LeafletError, UsageError, display_path, refused_or_failed
from .i18n import SOURCE_LANGUAGE, parse_locale
from .render import make_environment, render_template
from .workers import WorkerLost, WorkerPool

MANIFEST = "manifest.json"
INDEX = "index.html"
LOCK = ".build.lock"


@dataclass(frozen=True)
class Job:
    """One PDF to make."""

    procedure_id: str
    lang: str
    large_print: bool
    target: Path
    input_key: str
    render_key: str | None  # what the PDF was last made from, if it exists and is intact
    version: str
    review_due: str
    out_of_date: bool


@dataclass
class Outcome:
    """What happened to one job; sent back from a worker to the parent."""

    job: Job
    state: str  # built, unchanged, refused, failed
    render_key: str | None = None
    pdf: bytes | None = None
    errors: list[str] = field(default_factory=list)
    blank_fields: dict[str, list[float]] | None = None  # where page 1's "For you" lines are


@dataclass
class BatchReport:
    """What a batch build did, for the summary."""

    built: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.refused


def build_clinic(
    project: Project,
    clinic: str,
    jobs: int | None = None,
    force: bool = False,
    progress: Callable[[Outcome, int, int], None] | None = None,
) -> BatchReport:
    """Build every leaflet of ``clinic`` into ``dist/<clinic>/``; see the module's docstring."""
    started = time.perf_counter()
    the_clinic = project.load_clinic(clinic)
    out = project.dist / the_clinic.id
    report = BatchReport()
    with exclusive(out) as lock:
        _remove_partial_files(out)
        manifest = read_manifest(out)
        procedures, report.failed = _load_procedures(project)
        builder = Builder(project)
        languages = _usable_languages(builder, the_clinic, report)
        shared, assets = shared_inputs(project, the_clinic), _assets(project, the_clinic)
        plan, entries = _plan(project, the_clinic, procedures, languages, manifest, force, shared)
        for path, entry in entries.items():
            if entry["status"] == "translation refused":
                report.refused.append(f"refused {display_path(path)}: {entry.get('reason', 'translation incomplete')}")
            else:
                report.unchanged.append(path)
        total = len(plan)
        with closing(_run(builder, the_clinic.id, plan, jobs, assets, lock)) as outcomes:  # workers stop on any exit
            for done, outcome in enumerate(outcomes, 1):
                _record(outcome, out, entries, report, manifest)
                if progress:
                    progress(outcome, done, total)
        _prune(out, manifest, entries)
        write_manifest(out, entries)
        write_index(project, the_clinic, procedures, languages, entries, report)
    report.seconds = time.perf_counter() - started
    return report


# -- locking and files -------------------------------------------------------------------------


@contextmanager
def exclusive(out: Path) -> Iterator[int]:
    """Hold ``dist/<clinic>/.build.lock``; a second build stops with a clear message."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / LOCK).open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            raise UsageError(
                f"another build is writing {display_path(out)} (pid {holder}); wait for it to finish and try again"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        try:
            yield lock.fileno()
        finally:
            lock.truncate(0)
            fcntl.flock(lock, fcntl.LOCK_UN)


def _remove_partial_files(out: Path) -> None:
    """Temporary files left by a build that was killed half-way."""
    for partial in out.rglob(".*.part"):
        partial.unlink(missing_ok=True)


def read_manifest(out: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return {entry["file"]: entry for entry in data.get("files", [])}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def write_manifest(out: Path, entries: dict[Path, dict[str, Any]]) -> None:
    files = sorted(entries.values(), key=lambda e: e["file"])
    document = {"generator": f"leaflets {__version__}", "files": files}
    write_atomically(out / MANIFEST, json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8") + b"\n")


def sha256_file(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


# -- planning ----------------------------------------------------------------------------------


def _load_procedures(project: Project) -> tuple[list[Procedure], list[str]]:
    procedures, errors = project.load_each_procedure()
    return procedures, [str(e) for e in errors]


def _usable_languages(builder: Builder, clinic: Clinic, report: BatchReport) -> list[str]:
    """The clinic's languages whose catalogs can be used; each problem reported once, the rest built."""
    usable = []
    for code in clinic.languages:
        try:
            builder.language(code)
            usable.append(code)
        except LeafletError as exc:
            report.failed.extend(str(e) for e in exc.errors)
    return usable


def _plan(
    project: Project, clinic: Clinic, procedures: list[Procedure], languages: list[str],
    manifest: dict[str, dict[str, Any]], force: bool, shared: str,
) -> tuple[list[Job], dict[Path, dict[str, Any]]]:
    """The jobs to run, and the manifest entries of the leaflets that need nothing."""
    out = project.dist / clinic.id
    today = build_day()
    catalogs = {code: _file_digest(catalog_path(project.locales, code)) for code in languages if code != SOURCE_LANGUAGE}
    jobs, kept = [], {}
    for procedure in procedures:
        record = procedure.model_dump(mode="json")
        for code in languages:
            for large_print in (False, True):
                target = out / pdf_name(code, procedure.id, large_print)
                out_of_date = procedure.is_out_of_date(today)
                key = _input_key(shared, record, catalogs.get(code), code, large_print, out_of_date)
                entry = manifest.get(_relative(target, out))
                intact = entry is not None and sha256_file(target) == entry.get("sha256")
                if intact and not force and entry["source_hash"] == key:
                    kept[target] = entry
                    continue
                render_key = entry.get("render_hash") if intact and not force else None
                jobs.append(Job(procedure.id, code, large_print, target, key, render_key, procedure.review.version,
                                procedure.review.review_due.isoformat(), out_of_date))
    return jobs, kept


def _input_key(shared: str, record: dict[str, Any], catalog: str | None, lang: str, large_print: bool, out_of_date: bool) -> str:
    return _digest(shared, record, catalog, lang, large_print, out_of_date)


def leaflet_input_key(project: Project, shared: str, procedure: Procedure, lang: str, large_print: bool) -> str:
    """The key one leaflet's PDF is built under (see ``build_clinic``): equal keys, same PDF."""
    catalog = None if lang == SOURCE_LANGUAGE else _file_digest(catalog_path(project.locales, lang))
    record = procedure.model_dump(mode="json")
    return _input_key(shared, record, catalog, lang, large_print, procedure.is_out_of_date(build_day()))


def shared_inputs(project: Project, clinic: Clinic) -> str:
    """What every leaflet of the clinic depends on: package, templates, fonts, pictures, clinic."""
    templates = sorted(p for p in project.templates.rglob("*.html") if p.is_file() and not _web_page(project, p))
    parts = [_assets(project, clinic), json.dumps(clinic.model_dump(mode="json"), sort_keys=True)]
    return _digest(*parts, *(f"{p.relative_to(project.templates)}:{_file_digest(p)}" for p in templates))


def _assets(project: Project, clinic: Clinic) -> str:
    """What a PDF depends on besides its HTML: package version, stylesheet, fonts, pictures, logo."""
    files = sorted(p for p in project.templates.rglob("*") if p.is_file() and p.suffix != ".html" and not _web_page(project, p))
    parts = [__version__] + [f"{p.relative_to(project.templates)}:{_file_digest(p)}" for p in files]
    if clinic.logo_path:
        parts.append(f"logo:{_file_digest(clinic.logo_path)}")
    return _digest(*parts)


def _web_page(project: Project, path: Path) -> bool:
    """The clinicians' web page's own files, which no leaflet depends on."""
    return path.relative_to(project.templates).parts[0] == "web"


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _relative(target: Path, out: Path) -> str:
    return target.relative_to(out).as_posix()


# -- running -----------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}
WORKER_TASKS = 150


def _run(
    builder: Builder, clinic_id: str, plan: list[Job], jobs: int | None, assets: str, lock: int
) -> Iterator[Outcome]:
    """Render the plan: the longest leaflets first, in warm workers (see ``workers.py``).

    Each worker is replaced after WORKER_TASKS leaflets, so whatever the libraries cache
    cannot grow without bound; the lock file stays the parent's alone.
    """
    plan = sorted(plan, key=_expected_cost, reverse=True)
    _start_worker(builder, clinic_id, assets)
    workers = min(jobs or os.cpu_count() or 1, len(plan))
    if workers <= 1:
        yield from map(_render_job, plan)
        return
    builder.renderer(clinic_id)  # parses the stylesheet and loads the fonts once, before forking
    for code in {job.lang for job in plan}:
        builder.language(code)
    pool = WorkerPool(workers, start=os.close, start_args=(lock,), tasks_per_worker=WORKER_TASKS)
    threads = ThreadPoolExecutor(workers, thread_name_prefix="leaflets-batch")
    futures = [threads.submit(_render_in, pool, job) for job in plan]
    try:
        for future in as_completed(futures):
            yield future.result()
    finally:  # also on Ctrl-C or SIGTERM: no worker is left behind, nothing waits on one
        for future in futures:
            future.cancel()
        pool.close()
        threads.shutdown(wait=True, cancel_futures=True)


def _render_in(pool: WorkerPool, job: Job) -> Outcome:
    try:
        return pool.apply(_render_job, job)
    except WorkerLost as lost:
        return Outcome(job, "failed", errors=[
            f"{display_path(job.target)}: not made: {lost} while making it, on two tries; it was not tried again"
        ])


def _expected_cost(job: Job) -> tuple[bool, bool]:
    """Large print and non-Latin scripts take longest; starting them first evens out the workers."""
    return job.large_print, job.lang in ("ar", "zh_Hans")


def _start_worker(builder: Builder, clinic_id: str, assets: str) -> None:
    _WORKER.update(builder=builder, clinic=builder.project.load_clinic(clinic_id), assets=assets)
    _procedure.cache_clear()


@lru_cache(maxsize=8)
def _procedure(procedure_id: str) -> Procedure:
    """A record, kept while its few leaflets are made (a clinic may have thousands of records)."""
    return _WORKER["builder"].project.load_procedure(procedure_id)


def _render_job(job: Job) -> Outcome:
    builder: Builder = _WORKER["builder"]
    try:
        leaflet = builder.leaflet(_procedure(job.procedure_id), _WORKER["clinic"], job.lang, job.large_print)
        html = builder.html(leaflet)
        render_key = _digest(html, _WORKER["assets"])
        if render_key == job.render_key:
            return Outcome(job, "unchanged", render_key)
        pdf, blank_fields = builder.renderer(leaflet.clinic.id).render(html)
        return Outcome(job, "built", render_key, pdf, blank_fields=blank_fields)
    except LeafletError as exc:
        return Outcome(job, refused_or_failed(exc), errors=[str(e) for e in exc.errors])


def _record(
    outcome: Outcome, out: Path, entries: dict[Path, dict[str, Any]], report: BatchReport,
    manifest: dict[str, dict[str, Any]],
) -> None:
    """Write what a worker made, and note it in the manifest entries and the report."""
    job = outcome.job
    name = display_path(job.target)
    if outcome.state == "built":
        write_atomically(job.target, outcome.pdf or b"")
        report.built.append(job.target)
    elif outcome.state == "unchanged":
        report.unchanged.append(job.target)
    if outcome.state in ("built", "unchanged"):
        entry = _entry(job, out, outcome.render_key, sha256_file(job.target))
        previous = manifest.get(_relative(job.target, out), {})
        entry["blank_fields"] = outcome.blank_fields if outcome.state == "built" else previous.get("blank_fields")
        entries[job.target] = entry
        return
    if outcome.state == "refused":
        # A translation that lags its English source must not stay in dist/ looking current.
        job.target.unlink(missing_ok=True)
        reason = f"{len(outcome.errors)} string(s) not translated; first: {outcome.errors[0]}"
        entries[job.target] = _entry(job, out, None, None, status="translation refused") | {"reason": reason}
        report.refused.append(f"refused {name}: {reason}")
    else:
        report.failed.extend(outcome.errors)


def _entry(job: Job, out: Path, render_key: str | None, sha256: str | None, status: str = "built") -> dict[str, Any]:
    return {
        "file": _relative(job.target, out),
        "procedure": job.procedure_id,
        "lang": job.lang,
        "large_print": job.large_print,
        "status": "out of date" if status == "built" and job.out_of_date else status,
        "sha256": sha256,
        "version": job.version,
        "review_due": job.review_due,
        "source_hash": job.input_key,
        "render_hash": render_key,
    }


def _prune(out: Path, old: dict[str, dict[str, Any]], entries: dict[Path, dict[str, Any]]) -> None:
    """Remove PDFs of leaflets that are no longer built (a record or language removed)."""
    kept = {_relative(path, out) for path in entries}
    for name in old:
        if name not in kept and old[name].get("procedure") is not None:
            target = out / name
            if target.suffix == ".pdf" and target.resolve().is_relative_to(out.resolve()):
                target.unlink(missing_ok=True)


# -- the catalog page --------------------------------------------------------------------------


def language_names(code: str) -> tuple[str, str]:
    """A language's name in itself and in English: ("español", "Spanish")."""
    locale = parse_locale(code)
    return locale.get_display_name(locale) or code, locale.get_display_name("en") or code


def write_index(
    project: Project, clinic: Clinic, procedures: list[Procedure], languages: list[str],
    entries: dict[Path, dict[str, Any]], report: BatchReport,
) -> None:
    """``dist/<clinic>/index.html``: every leaflet by procedure and language, openable from disk."""
    out = project.dist / clinic.id
    by_file = {entry["file"]: entry for entry in entries.values()}
    environment = make_environment(project.templates, clinic.id)
    html = render_template(
        environment,
        INDEX,
        clinic=clinic,
        procedures=procedures,
        languages=[(code, *language_names(code)) for code in languages],
        files=by_file,
        today=build_day(),
        report=report,
    )
    write_atomically(out / INDEX, html.encode("utf-8"))


def progress_printer(stream: Any = sys.stderr) -> Callable[[Outcome, int, int], None]:
    """A progress bar on a terminal; one plain line per leaflet otherwise (as in CI)."""
    if stream.isatty():
        def bar(outcome: Outcome, done: int, total: int) -> None:
            filled = int(30 * done / total)
            stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {outcome.job.target.name[:40]:<40}")
            if done == total:
                stream.write("\n")
            stream.flush()
        return bar

    def lines(outcome: Outcome, done: int, total: int) -> None:
        print(f"[{done}/{total}] {outcome.state} {display_path(outcome.job.target)}", file=stream, flush=True)
    return lines
