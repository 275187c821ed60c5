"""Leaflets made on demand, for the clinicians' page: in warm worker processes (``workers.py``),
each one packet with or without the patient's details, or the details written onto the batch
build's PDF. Nothing made here is stored; a worker reads the catalogs and clinic again when
the files they come from change (``content_stamp``)."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from leaflets.build.leaflet import Builder, packet_leaflets, pdf_name
from leaflets.build.locks import held
from leaflets.build.manifest import ManifestReader, leaflet_input_key
from leaflets.build.manifest_states import StatesReader, samples
from leaflets.build.workers import WorkerLost, WorkerPool, keep_warm, warm
from leaflets.errors import LeafletError, refused_or_failed
from leaflets.model.characters import isolated, read_font_coverage
from leaflets.model.digests import FileDigests, Identity, digest, identity, settled_before
from leaflets.model.project import Project, RecordSummary
from leaflets.render.html import parse_personal


def content_stamp(project: Project) -> str:
    """A digest of what the files the page and its leaflets are made from hold: records, clinic files,
    catalogs, templates and pictures. A stat call a file, which reads a file again only when anything
    in its identity changed (``digests.FileDigests``): a file copied in with an older time is seen,
    and a file touched but not changed is no change. Every request asks, so the folders are walked
    once each, with plain strings for paths, and while every file's identity is the one last seen (and
    was settled then) the last stamp stands: a big library's 2,000 files in about 9 ms."""
    paths = [path for folder, suffixes in ((project.content, (".yaml", ".svg", ".png", ".jpg", ".jpeg")),
                                           (project.locales, (".po",)), (project.templates, (".html", ".css", ".svg")))
             for path in _files_under(folder, suffixes)]
    seen = [identity(path) for path in paths]
    last = _LAST_STAMP.get(project.root)
    if last is not None and last[0] == seen:
        return last[1]
    found = [(path, _STAMPED.of(path)) for path in paths]
    stamp = digest([known for known in found if known[1] is not None])  # a file removed while we looked: gone
    now = time.time_ns()
    if all(known is not None and settled_before(known, now) for known in seen):
        _LAST_STAMP[project.root] = (seen, stamp)
    return stamp


def _files_under(folder: Path, suffixes: tuple[str, ...]) -> list[str]:
    """The files in ``folder`` and below whose names end with one of ``suffixes``, sorted (no symbolic link to
    a folder followed)."""
    return sorted(os.path.join(top, name) for top, _, names in os.walk(folder) for name in names
                  if name.endswith(suffixes))


_STAMPED = FileDigests()
_LAST_STAMP: dict[Path, tuple[list[Identity | None], str]] = {}  # by project root: the identities seen, the stamp


def _start_renderer(builder: Builder, clinic_id: str, scratch: str) -> list[Callable[[], object]]:
    """In each worker, as it starts: what every print needs (WeasyPrint, the clinic's stylesheet and
    fonts) and what a print in each of the clinic's languages needs (its catalog, the fonts' coverage,
    the overlay's first layout, pikepdf: see ``_warm_language``), so no request waits for a warm-up step
    taken meanwhile; then, as a step taken while no request waits, a whole layout if nothing is prebuilt.
    A worker that cannot start keeps why, for ``start_failure``. Workers start one at a time: on a
    machine with few cores, the first print finds one worker ready soonest, and warm."""
    tempfile.tempdir = scratch  # WeasyPrint's copies of the fonts: the pool removes the folder
    project = builder.project
    try:
        with held(Path(scratch) / "starting.lock", "the render workers' lock"):
            builder.renderer(clinic_id)
            clinic = project.load_clinic(clinic_id)
            keep_warm(builder=builder, clinic=clinic, stamp=content_stamp(project), failure=None,
                      prebuilt=ManifestReader(project.dist_for(clinic_id)), states=StatesReader(project.dist_for(clinic_id)))
            languages = sorted(clinic.languages, key=lambda code: code != "en")  # English first: the most printed
            for lang in languages:
                _warm_language(lang)
    except LeafletError as exc:
        keep_warm(failure=exc)
        return []
    return [_warm_layout]


def start_failure() -> LeafletError | None:
    """In a worker: why it could not start (a clinic's stylesheet that reaches outside, say), or None."""
    failure: LeafletError | None = warm("failure")
    return failure


def _warm_language(lang: str) -> None:
    """One print in ``lang`` with throwaway details (the language's own name, in its script, for its fonts).
    Warming up must not stop a worker: a broken catalog was logged as the server started, and a prebuilt
    PDF damaged in any way (cut short, say: pikepdf cannot read it) fails only the print that asks for it."""
    builder: Builder = warm("builder")
    with suppress(Exception):
        language = builder.language(lang)
        sample = prebuilt_sample(lang)
        if sample is not None:
            name = language.locale.display_name or lang
            personalise(str(sample[0]), sample[1], lang, False, {"patient_name": name, "appointment": "2026-12-01 09:30"},
                        warm("stamp"))


def prebuilt_sample(lang: str) -> tuple[Path, dict[str, list[float]]] | None:
    """The first regular-print leaflet of ``lang`` the batch build wrote with blank lines, and where they are, if
    there is one (``manifest_states.samples``): as ``states.json`` names it while that is of the manifest on disk
    (a big library's manifest takes half a second to read)."""
    states = warm("states").current()
    if states is not None:
        out, sample = states.out, states.samples.get(lang)
    else:
        manifest = warm("prebuilt").current()
        out, sample = manifest.out, samples(manifest).get(lang)
    return (out / sample[0], sample[1]) if sample and (out / sample[0]).is_file() else None


def _warm_layout() -> None:
    """With nothing prebuilt, every print is a whole layout: one laid out warms the fonts and the text shaper."""
    if prebuilt_sample("en") is not None:
        return
    builder, clinic = warm("builder"), warm("clinic")
    for procedure_id in builder.project.procedure_ids()[:3]:
        try:
            builder.pdf(builder.leaflet(builder.project.load_procedure(procedure_id), clinic, "en"))
            return
        except LeafletError:
            continue  # a broken record: logged when the server started


def _fresh_builder(stamp: str) -> Builder:
    """The worker's builder, its catalogs and clinic read again if the files changed since its last job."""
    builder: Builder = warm("builder")
    if warm("stamp") != stamp:
        builder.forget_languages()
        keep_warm(builder=builder, clinic=builder.project.load_clinic(warm("clinic").id), stamp=stamp, failure=None,
                  prebuilt=warm("prebuilt"), states=warm("states"))
    return builder


def render_leaflets(procedure_ids: list[str], lang: str, large_print: bool, fields: dict[str, str | None],
            with_english: bool = False, stamp: str = "") -> tuple[str, Any]:
    """In a worker: ("pdf", bytes), ("refused", lines) or ("failed", lines). Never raises to the pool.
    Several procedures, or ``with_english``, make one PDF of several leaflets."""
    builder = _fresh_builder(stamp)
    try:
        procedures = [builder.project.load_procedure(procedure_id) for procedure_id in procedure_ids]
        personal = parse_personal(fields, builder.project.fonts)
        leaflets = packet_leaflets(builder, procedures, warm("clinic"), lang, large_print, personal, with_english)
        return "pdf", builder.combined_pdf(leaflets)
    except LeafletError as exc:
        return refused_or_failed(exc), [str(e) for e in exc.errors]


def personalise(prebuilt: str, blank_fields: dict[str, list[float]], lang: str, large_print: bool,
                 fields: dict[str, str | None], stamp: str = "") -> bytes | None:
    """In a worker: the patient's details written onto a prebuilt leaflet, or None if they do not fit."""
    builder = _fresh_builder(stamp)
    language = builder.language(lang)
    personal = parse_personal(fields, builder.project.fonts)
    values = {name: isolated(text) for name, text in personal.texts().items()}
    if personal.appointment is not None:
        appointment = language.datetime(personal.appointment)
        values["appointment"] = f"\u2068{appointment}\u2069" if language.direction == "rtl" else appointment
    renderer = builder.renderer(warm("clinic").id)
    data = Path(prebuilt).read_bytes()
    return renderer.personalise(data, blank_fields, values, language.html_lang, language.direction, large_print)


def make_pool(project: Project, clinic_id: str, workers: int | None = None) -> WorkerPool:
    """Renderer processes that warm themselves (``_start_renderer``), each on its own core: this process
    loads no PDF tool, so the page's own start and their warming do not take turns. Their copies of the
    fonts go in one folder, removed with the pool (a worker killed cannot clean up after itself)."""
    scratch = tempfile.mkdtemp(prefix="leaflets-workers-")
    # a request is tried on up to three workers: one killed just before it arrived costs it a try
    pool = WorkerPool(workers or os.cpu_count() or 1, start=_start_renderer, start_args=(Builder(project), clinic_id, scratch),
                      retries=2)
    weakref.finalize(pool, shutil.rmtree, scratch, True)
    return pool


class PoolStarting:
    """The render workers, started in the background so the page answers at once (search pages and
    prebuilt PDFs need no worker); a request that needs one waits until one has started (see
    ``_start_renderer``).

    ``ready`` is called once one has; ``failed`` if they cannot start (a clinic's stylesheet that
    reaches outside the project, say), after which ``failure`` holds why. The server loads no PDF tool
    itself, and the workers load theirs one at a time, so on two cores the page's own start keeps one."""

    def __init__(self, project: Project, clinic_id: str, ready: Callable[[], None], failed: Callable[[], None]):
        self._ready = threading.Event()
        self._started = threading.Event()
        self._pool: WorkerPool | None = None
        self.failure: BaseException | None = None
        threading.Thread(target=self._start, args=(project, clinic_id, ready, failed), name="leaflets-pool",
                         daemon=True).start()

    def _start(self, project: Project, clinic_id: str, ready: Callable[[], None], failed: Callable[[], None]) -> None:
        try:
            self._pool = make_pool(project, clinic_id)
        except BaseException as exc:
            self.failure = exc
        finally:
            self._ready.set()
        try:
            self._first_worker(project, ready, failed)
        finally:
            self._started.set()

    def _first_worker(self, project: Project, ready: Callable[[], None], failed: Callable[[], None]) -> None:
        if self._pool is not None:
            try:
                self.failure = self._pool.apply(start_failure)  # answered once a worker has started
            except WorkerLost:
                return  # stopping already, or every worker died as it started (each printed why)
        (ready if self.failure is None else failed)()
        if self.failure is None:
            read_font_coverage(project.fonts)  # the form's check of what was typed, warm for the first print

    def wait_started(self, seconds: float) -> None:
        """Until a worker has started, warm for the clinic's languages, or none can, or ``seconds`` passed."""
        self._started.wait(max(seconds, 0.0))

    def apply(self, function: Any, *args: Any) -> Any:
        self._ready.wait()
        if self._pool is None:
            raise WorkerLost(f"the render workers could not start: {self.failure}")
        return self._pool.apply(function, *args)

    def close(self) -> None:
        self._ready.wait()
        if self._pool is not None:
            self._pool.close()

    @property
    def process_ids(self) -> list[int]:
        """The workers' process ids, once they are started."""
        self._ready.wait()
        return self._pool.process_ids if self._pool is not None else []


def in_worker(pool: WorkerPool, function: Any, *args: Any) -> Any:
    """``function(*args)`` in a warm worker; ("failed", [why]) if the worker died on both tries."""
    try:
        return pool.apply(function, *args)
    except WorkerLost as lost:
        return "failed", [str(lost)]


def current_pdf(
    manifests: ManifestReader, project: Project, shared_key: str, record: RecordSummary, lang: str, large_print: bool
) -> tuple[Path, dict[str, list[float]]] | None:
    """The batch build's PDF, if built from exactly today's record (``record``: its summary), catalog and
    templates, with its blank lines."""
    manifest = manifests.current()
    name = pdf_name(lang, record.id, large_print)
    entry = manifest.current(name, leaflet_input_key(project, shared_key, record, lang, large_print))
    if entry is None:
        return None
    return manifest.out / name, entry.blank_fields or {}
