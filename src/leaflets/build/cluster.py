"""Render a batch build's jobs on an existing Dask cluster instead of the local worker pool.

The client (``leaflets build --all --scheduler ADDRESS``) plans, writes ``dist/`` and the
manifest, exactly as a local build; the cluster only renders. Each Dask worker process:

- is warmed once by ``WarmRenderer``, a worker plugin: a Builder with the stylesheet, fonts and
  catalogs loaded, as the local pool's forked workers are;
- reads the project from the same path as the client (a shared file system), and refuses it
  when what it reads differs from what the client planned with: the code, templates, fonts,
  clinic and catalogs (checked before any job is sent), and each job's record (checked by
  the job, which works out its input key again);
- answers a job with its PDF's bytes and keys (an ``Outcome``), never writing anything itself.

A job whose worker dies is given to another worker by the scheduler; a job whose workers died
more often than the scheduler's ``distributed.scheduler.allowed-failures`` allows (start the
scheduler with 1 to stop after two tries) is reported as failed. Run one thread per worker
process (``dask worker --nthreads 1``): a renderer serves one leaflet at a time.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from distributed import Client, WorkerPlugin, as_completed
from distributed.scheduler import KilledWorker

from leaflets.build.jobs import Job, Outcome, failed, render_job, warm_procedure, warm_up
from leaflets.build.leaflet import Builder
from leaflets.build.manifest import (
    approvals_digest,
    asset_inputs,
    catalog_digest,
    input_key,
    shared_inputs,
)
from leaflets.build.workers import keep_warm, warm
from leaflets.errors import LeafletError, UsageError, refused_or_failed
from leaflets.model.addresses import check_scheduler
from leaflets.model.cache import code_version
from leaflets.model.day import build_day
from leaflets.model.digests import digest
from leaflets.model.project import Project, record_digest
from leaflets.paths import display_path

PLUGIN = "leaflets-renderer"
PROBE_SECONDS = 3  # a scheduler on the clinic's network answers in milliseconds
HEADER_BYTES, MAX_HANDSHAKE_BYTES = 8, 64 * 1024
CONNECT_SECONDS = 10


def project_digest(root: str, clinic_id: str) -> str:
    """What every leaflet of the clinic is made with, as this process reads it: the leaflets code,
    the templates, fonts, pictures and clinic, and every catalog of the clinic's languages."""
    project = Project(Path(root))
    clinic = project.load_clinic(clinic_id)
    return digest(code_version(), shared_inputs(project, clinic),
                  {code: catalog_digest(project, code) for code in clinic.languages})


class WarmRenderer(WorkerPlugin):
    """A Dask worker plugin: one warm Builder per worker process, for one project and clinic."""

    name = PLUGIN

    def __init__(self, root: str, clinic_id: str, languages: list[str], today: date):
        self.root, self.clinic_id, self.languages, self.today = root, clinic_id, languages, today

    def setup(self, worker: Any = None) -> None:
        project = Project(Path(self.root))
        builder = Builder(project, self.today)  # the client's day decides what is out of date, not the worker's
        clinic = project.load_clinic(self.clinic_id)
        builder.renderer(clinic.id)  # parses the stylesheet and loads the fonts once
        for code in self.languages:
            builder.language(code)
        catalogs = {code: catalog_digest(project, code) for code in self.languages}
        warm_up(builder, clinic.id, asset_inputs(project, clinic), shared=shared_inputs(project, clinic),
                catalogs=catalogs, root=self.root)

    def teardown(self, worker: Any = None) -> None:
        keep_warm()


def render_on_worker(job: Job, root: str) -> Outcome:
    """In a Dask worker: the job's ``Outcome``, after checking the worker reads the record the client planned with."""
    if warm("root") != root:
        return failed(job, f"this Dask worker is warmed for the project at {warm('root')}, not {root}")
    try:
        procedure = warm_procedure(job.procedure_id)
    except LeafletError as exc:
        return Outcome(job, refused_or_failed(exc), errors=[str(e) for e in exc.errors])
    seen = input_key(warm("shared"), record_digest(procedure), warm("catalogs")[job.lang], job.lang, job.large_print,
                     job.out_of_date, approvals_digest(Project(Path(root)), job.procedure_id))
    if seen != job.input_key:
        record = display_path(Path(root) / "content" / "procedures" / f"{job.procedure_id}.yaml")
        return failed(job, f"the Dask worker reads a different {record} than this computer; "
                           "workers must read the project from the same files (a shared file system)")
    return render_job(job)


def connect(address: str) -> Any:
    """A client of the Dask scheduler at ``address``, or one clear error within seconds.

    The address is checked, and the scheduler knocked on, before Dask's client is made: a client
    that fails to connect waits twice its timeout more to close, and ends in a traceback of its own."""
    host, port = check_scheduler(address)
    try:
        _knock(host, port)
    except OSError as exc:
        why = f"no Dask scheduler answered within {PROBE_SECONDS} s" if isinstance(exc, TimeoutError) else (
            exc.strerror or str(exc))
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {why}; is it running, and is the address "
                         "right?") from None
    try:
        return Client(address, timeout=CONNECT_SECONDS, set_as_default=False)  # type: ignore[no-untyped-call]
    except Exception as exc:  # noqa: BLE001  (whatever answered there, the user gets one line)
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {type(exc).__name__}: {str(exc)[:200]}") from None


def _knock(host: str, port: int) -> None:
    """Connect, and wait for the first frame a Dask scheduler sends on every new
    connection (its handshake: an 8-byte length, then a message of a few dozen bytes)."""
    with socket.create_connection((host, port), timeout=PROBE_SECONDS) as connection:
        connection.settimeout(PROBE_SECONDS)
        header = b""
        while len(header) < HEADER_BYTES:
            received = connection.recv(HEADER_BYTES - len(header))
            if not received:
                raise OSError(0, "the connection was closed without a word: not a Dask scheduler")
            header += received
        if int.from_bytes(header, "little") > MAX_HANDSHAKE_BYTES:
            raise OSError(0, "what answers there does not speak Dask's protocol")


def prepare(client: Any, project: Project, clinic_id: str, languages: list[str]) -> None:
    """Warm every worker, and refuse a cluster whose workers see another project than this computer."""
    root = str(project.root)
    if not client.scheduler_info().get("workers"):
        raise UsageError(f"the Dask scheduler at {client.scheduler.address} has no workers")
    ours = project_digest(root, clinic_id)
    try:
        theirs = client.run(project_digest, root, clinic_id)
    except (OSError, LeafletError) as exc:
        raise UsageError(f"a Dask worker cannot read the project at {root}: {exc}; workers must see the project "
                         "at the same path (a shared file system)") from None
    different = sorted(address for address, seen in theirs.items() if seen != ours)
    if different:
        raise UsageError(
            f"the Dask worker(s) {', '.join(different)} see a different project at {root} (code, templates, fonts, "
            "clinic or catalogs differ from this computer's); every worker must read the same files and run the "
            "same leaflets")
    client.register_plugin(WarmRenderer(root, clinic_id, languages, build_day()), name=PLUGIN)


def render(client: Any, project: Project, plan: list[Job]) -> Iterator[Outcome]:
    """Each job's ``Outcome`` as it comes in. On any exit (Ctrl-C, SIGTERM) the jobs left are cancelled."""
    root, build = str(project.root), uuid.uuid4().hex[:8]
    futures = {client.submit(render_on_worker, job, root, key=f"leaflets-{build}-{_name(job)}", pure=False): job
               for job in plan}
    try:
        for future in as_completed(list(futures), loop=client.loop):  # type: ignore[no-untyped-call]
            job = futures.pop(future)
            try:
                outcome = future.result()
            except KilledWorker:
                outcome = _lost(job)
            future.release()  # the cluster may forget the PDF once it is here
            yield outcome
    finally:
        client.cancel(list(futures))


def _lost(job: Job) -> Outcome:
    return failed(job, "the Dask worker making it stopped each time it was tried (the scheduler's allowed-failures); "
                       "it was not tried again")


def _name(job: Job) -> str:
    return f"{job.lang}-{job.procedure_id}{'-large-print' if job.large_print else ''}"
