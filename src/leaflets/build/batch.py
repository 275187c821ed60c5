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

import os
import sys
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager, closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leaflets.build.archive import ARCHIVE, archive_problems, archive_release
from leaflets.build.files import write_atomically, write_if_changed
from leaflets.build.jobs import Job, Outcome, failed, render_job, warm_up
from leaflets.build.leaflet import Builder, pdf_name
from leaflets.build.locks import held
from leaflets.build.manifest import (
    MANIFEST,
    OUT_OF_DATE,
    TRANSLATION_REFUSED,
    Manifest,
    ManifestEntry,
    approvals_digest,
    asset_inputs,
    catalog_digest,
    input_key,
    shared_inputs,
)
from leaflets.build.manifest_states import states_fresh, write_states
from leaflets.build.web_index import write_indexes
from leaflets.build.web_pages import web_files
from leaflets.build.workers import WorkerLost, WorkerPool
from leaflets.errors import LeafletError, State, UsageError
from leaflets.language.i18n import parse_locale
from leaflets.model.approvals import Standing
from leaflets.model.clinic import Clinic
from leaflets.model.day import build_day
from leaflets.model.digests import digest, file_digest, stored_identity
from leaflets.model.project import Project, RecordSummary
from leaflets.model.record import Procedure
from leaflets.paths import display_path, is_inside
from leaflets.render.html import MAX_HTML_CHARS, make_environment, render_template
from leaflets.render.qr import page_name

INDEX = "index.html"
INDEX_CHARS_PER_LEAFLET = 2_000  # a cell of the catalog page (two links) is about 500
LOCK = ".build.lock"


@dataclass
class BatchReport:
    """What a batch build did, for the summary."""

    built: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)  # what was found not as written in dist/, and built again
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.refused


def build_clinic(
    project: Project,
    clinic_id: str,
    jobs: int | None = None,
    force: bool = False,
    progress: Callable[[Outcome, int, int], None] | None = None,
    scheduler: str | None = None,
) -> BatchReport:
    """Build every leaflet of the clinic into ``dist/<clinic_id>/``; see the module's docstring.

    ``scheduler``: the address of a Dask scheduler whose workers render instead of local
    processes (``cluster.py``); everything else happens here, as in a local build.
    """
    started = time.perf_counter()
    the_clinic = project.load_clinic(clinic_id)
    out = project.dist_for(the_clinic.id)
    report = BatchReport()
    with _cluster(scheduler) as client, exclusive(out) as lock:
        _remove_partial_files(out)
        before = Manifest.read(out)
        summaries, report.failed = _summaries(project)
        builder = Builder(project)
        shared, assets = shared_inputs(project, the_clinic), asset_inputs(project, the_clinic)
        plan, after, records = _plan(project, the_clinic, summaries, the_clinic.languages, before, force, shared)
        report.repaired = before.problems + [f"{display_path(out / name)}: not as it was built (its sha256 differs from "
                                             f"{MANIFEST}); built again" for name in before.changed_on_disk]
        # Only the catalogs of leaflets to make are loaded: a catalog whose leaflets are all current
        # (their keys hold its digest) was usable when they were made, and is the same file now.
        languages = _usable_languages(builder, the_clinic, report, needed={job.lang for job in plan})
        plan = [job for job in plan if job.lang in languages]
        after.entries = {name: entry for name, entry in after.entries.items() if entry.lang in languages}
        for name, entry in after.entries.items():
            if entry.status == TRANSLATION_REFUSED:
                report.refused.append(f"refused {display_path(out / name)}: {entry.reason or 'translation incomplete'}")
            else:
                report.unchanged.append(out / name)
        total = len(plan)
        archive_edited = archive_problems(project, the_clinic.id)  # reported, never overwritten
        report.failed += dict.fromkeys(str(problem) for problem in archive_edited)
        releases = _Releases(project, the_clinic.id, {e.path for e in archive_edited})
        with closing(_run(builder, the_clinic.id, plan, jobs, assets, lock, client)) as outcomes:  # workers stop on any exit
            for done, outcome in enumerate(outcomes, 1):
                _record(outcome, before, after, report)
                _record_web_version(outcome, project, the_clinic)
                releases.keep(outcome, report)
                if progress:
                    progress(outcome, done, total)
        _prune(before, after)
        after.index_key = digest(shared, records, languages, build_day().isoformat(),
                                 [(name, entry.status, entry.sha256) for name, entry in sorted(after.entries.items())])
        if after != before or not (out / MANIFEST).is_file():  # a no-op build writes nothing
            after.write()
        if not states_fresh(out):  # the manifest just written, or states written by an older leaflets or lost
            write_states(after)
        _write_catalog_pages(builder, the_clinic, languages, before, after, report)
    report.seconds = time.perf_counter() - started
    return report


# -- locking and files -------------------------------------------------------------------------


def exclusive(out: Path) -> AbstractContextManager[int]:
    """Hold ``dist/<clinic>/.build.lock``; a second build stops with a clear message."""
    return held(out / LOCK, "the build lock", lambda holder: (
        f"another build is writing {display_path(out)} (pid {holder}); wait for it to finish and try again"))


def _remove_partial_files(out: Path) -> None:
    """Temporary files left by a build that was killed half-way."""
    for partial in out.rglob(".*.part"):
        partial.unlink(missing_ok=True)


# -- planning ----------------------------------------------------------------------------------


def _summaries(project: Project) -> tuple[list[RecordSummary], list[str]]:
    """Each valid record's summary (from the cache while its files are unchanged: a plan needs no
    whole record), and every problem of the others."""
    summaries, errors = project.record_summaries()
    return summaries, [str(e) for e in errors]


def _usable_languages(builder: Builder, clinic: Clinic, report: BatchReport, needed: set[str]) -> list[str]:
    """The clinic's languages whose catalogs can be used, of those ``needed`` loaded and checked;
    each problem reported once, the rest built."""
    usable = []
    for code in clinic.languages:
        try:
            if code in needed:
                builder.language(code)
            usable.append(code)
        except LeafletError as exc:
            report.failed.extend(str(e) for e in exc.errors)
    return usable


def _plan(
    project: Project, clinic: Clinic, procedures: list[RecordSummary], languages: list[str],
    before: Manifest, force: bool, shared: str,
) -> tuple[list[Job], Manifest, list[str]]:
    """The jobs to run, a new manifest holding the leaflets that need nothing, and each record's digest."""
    out = project.dist_for(clinic.id)
    today = build_day()
    catalogs = {code: catalog_digest(project, code) for code in languages}
    after = Manifest(out)
    jobs, records = [], []
    for procedure in procedures:
        record = procedure.digest
        records.append(record)
        approvals = approvals_digest(project, procedure.id)
        out_of_date = procedure.is_out_of_date(today)
        for code in languages:
            for large_print in (False, True):
                name = pdf_name(code, procedure.id, large_print)
                key = input_key(shared, record, catalogs[code], code, large_print, out_of_date, approvals)
                intact = None if force else before.intact(name)
                if not large_print and not os.path.isfile(f"{out}/{page_name(code, procedure.id)}"):
                    intact = None  # its web version is missing (issue 29)
                if intact is not None and intact.input_key == key:
                    after.entries[name] = intact
                    continue
                jobs.append(Job(procedure.id, code, large_print, out / name, key, intact.render_key if intact else None,
                                procedure.version, procedure.review_due.isoformat(), out_of_date))
    return jobs, after, records


# -- running -----------------------------------------------------------------------------------

WORKER_TASKS = 150


@contextmanager
def _cluster(scheduler: str | None) -> Iterator[Any]:
    """A client of the Dask scheduler at ``scheduler`` for the build's length; None for a local build."""
    if scheduler is None:
        yield None
        return
    try:
        from leaflets.build import cluster
    except ImportError:
        raise UsageError("--scheduler needs Dask's distributed package: pip install 'leaflets[dask]'") from None
    client = cluster.connect(scheduler)
    try:
        yield client
    finally:
        client.close()


def _run(
    builder: Builder, clinic_id: str, plan: list[Job], jobs: int | None, assets: str, lock: int, client: Any = None
) -> Generator[Outcome, None, None]:
    """Render the plan: the longest leaflets first, in warm workers (see ``workers.py``), or on
    the Dask cluster of ``client`` (see ``cluster.py``).

    Each local worker is replaced after WORKER_TASKS leaflets, so whatever the libraries cache
    cannot grow without bound; the lock file stays the parent's alone.
    """
    plan = sorted(plan, key=_expected_cost, reverse=True)
    if client is not None and plan:
        from leaflets.build import cluster

        cluster.prepare(client, builder.project, clinic_id, sorted({job.lang for job in plan}))
        yield from cluster.render(client, builder.project, plan)
        return
    warm_up(builder, clinic_id, assets)
    workers = min(jobs or os.cpu_count() or 1, len(plan))
    if workers <= 1:
        yield from map(render_job, plan)
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
        outcome: Outcome = pool.apply(render_job, job)
    except WorkerLost as lost:
        return failed(job, f"{lost} while making it, on two tries; it was not tried again")
    return outcome


def _expected_cost(job: Job) -> tuple[bool, bool]:
    """Large print and non-Latin scripts take longest; starting them first evens out the workers."""
    return job.large_print, job.lang in ("ar", "zh_Hans")


def _record(outcome: Outcome, before: Manifest, after: Manifest, report: BatchReport) -> None:
    """Write what a worker made, and note it in the new manifest and the report."""
    job = outcome.job
    name = after.name_of(job.target)
    if outcome.state == State.BUILT:
        write_atomically(job.target, outcome.pdf or b"")
        report.built.append(job.target)
        after.entries[name] = _entry(job, name, outcome.render_key, outcome.blank_fields, standing=outcome.standing)
    elif outcome.state == State.UNCHANGED:
        report.unchanged.append(job.target)
        previous = before.entries[name]
        after.entries[name] = _entry(job, name, outcome.render_key, previous.blank_fields, standing=outcome.standing)
    elif outcome.state == State.REFUSED:
        # A translation that lags its English source must not stay in dist/ looking current.
        job.target.unlink(missing_ok=True)
        reason = f"{len(outcome.errors)} string(s) not translated; first: {outcome.errors[0]}"
        after.entries[name] = _entry(job, name, None, None, status=TRANSLATION_REFUSED, reason=reason)
        report.refused.append(f"refused {display_path(job.target)}: {reason}")
    else:
        report.failed.extend(outcome.errors)


def _record_web_version(outcome: Outcome, project: Project, clinic: Clinic) -> None:
    """Write a leaflet's web version beside its PDF, or remove it with its refused PDF (issue 29)."""
    job = outcome.job
    page = project.dist_for(clinic.id) / page_name(job.lang, job.procedure_id)
    if outcome.web is not None and outcome.state in (State.BUILT, State.UNCHANGED):
        for path, data in web_files(project, clinic, page, outcome.web).items():
            write_if_changed(path, data)
    elif outcome.state == State.REFUSED and not job.large_print:
        page.unlink(missing_ok=True)


def _entry(job: Job, name: str, render_key: str | None, blank_fields: dict[str, list[float]] | None,
           status: str = "built", reason: str | None = None, standing: Standing | None = None) -> ManifestEntry:
    made = status == "built"
    stat = stored_identity(job.target) if made else None  # taken before hashing: a later change shows
    return ManifestEntry(
        file=name, procedure=job.procedure_id, lang=job.lang, large_print=job.large_print,
        status=OUT_OF_DATE if made and job.out_of_date else status,
        sha256=file_digest(job.target) if made else None, version=standing.version if standing else job.version,
        review_due=job.review_due, input_key=job.input_key, render_key=render_key, blank_fields=blank_fields,
        reason=reason, stat=stat, approval=standing.approval_state if standing else None,
        translation=standing.translation_state if standing else None,
    )


@dataclass
class _Releases:
    """Keeps each approved leaflet the build makes in the clinic's archive (see releases.py)."""

    project: Project
    clinic_id: str
    edited: set[Path | None]  # archived files edited by hand: their procedures' releases wait until restored

    def keep(self, outcome: Outcome, report: BatchReport) -> None:
        standing, job = outcome.standing, outcome.job
        if standing is None or not standing.released or outcome.state not in (State.BUILT, State.UNCHANGED):
            return
        if any(path is not None and job.procedure_id in path.parts for path in self.edited):
            return
        try:
            archive_release(self.project, self.clinic_id, self.project.load_procedure(job.procedure_id), job.large_print,
                            standing, job.target.read_bytes())
        except LeafletError as exc:
            report.failed += [str(e) for e in exc.errors if str(e) not in report.failed]
        except OSError as exc:
            report.failed.append(f"{display_path(job.target)}: cannot read it to archive it: {exc.strerror}")


def _prune(before: Manifest, after: Manifest) -> None:
    """Remove PDFs of leaflets that are no longer built (a record or language removed): only a
    leaflet's own file in its language's folder, never the archive or anything else."""
    for name in before.entries.keys() - after.entries.keys():
        entry, target = before.entries[name], before.out / name
        if (target.suffix == ".pdf" and entry.lang != ARCHIVE and is_inside(target, before.out / entry.lang)
                and not is_inside(target, before.out / ARCHIVE)):
            target.unlink(missing_ok=True)
            target.with_suffix(".html").unlink(missing_ok=True)  # a regular print's web version (no-op for large print)


# -- the catalog page --------------------------------------------------------------------------


def _write_catalog_pages(builder: Builder, clinic: Clinic, languages: list[str], before: Manifest, after: Manifest,
                         report: BatchReport) -> None:
    """The catalog page and each language's index of web versions, when what they show changed (or one
    is missing); only then are the whole records read."""
    out = builder.project.dist_for(clinic.id)
    changed = after.index_key != before.index_key
    catalog = changed or not (out / INDEX).is_file()
    indexes = changed or not all((out / code / INDEX).is_file() for code in languages)
    if not (catalog or indexes):
        return
    procedures = builder.project.load_each_procedure()[0]  # the others are reported by the plan
    if catalog:
        write_index(builder.project, clinic, procedures, languages, after, report)
    if indexes:
        write_indexes(builder, clinic, procedures, languages, after)  # each language's web versions


def language_names(code: str) -> tuple[str, str]:
    """A language's name in itself and in English: ("español", "Spanish")."""
    locale = parse_locale(code)
    return locale.get_display_name(locale) or code, locale.get_display_name("en") or code


def write_index(
    project: Project, clinic: Clinic, procedures: list[Procedure], languages: list[str],
    manifest: Manifest, report: BatchReport,
) -> None:
    """``dist/<clinic>/index.html``: every leaflet by procedure and language, openable from disk."""
    out = project.dist_for(clinic.id)
    environment = make_environment(project.templates, clinic.id)
    html = render_template(
        environment,
        INDEX,
        max_chars=MAX_HTML_CHARS + INDEX_CHARS_PER_LEAFLET * len(procedures) * max(1, len(languages)),
        clinic=clinic,
        procedures=procedures,
        languages=[(code, *language_names(code)) for code in languages],
        files=manifest.entries,
        today=build_day(),
        report=report,
    )
    write_atomically(out / INDEX, html.encode("utf-8"))


def progress_printer(stream: Any = None) -> Callable[[Outcome, int, int], None]:
    """A progress bar on a terminal; one plain line per leaflet otherwise (as in CI). Standard error
    by default: the one of the moment it is called, not of when this module was imported."""
    stream = sys.stderr if stream is None else stream
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
