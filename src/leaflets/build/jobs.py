"""One PDF of a batch build as a job, and what became of it: made alike by the local worker
pool (``batch.py``) and by a Dask worker (``cluster.py``), in a process warmed by ``warm_up``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from leaflets.build.leaflet import Builder
from leaflets.build.web_pages import web_page
from leaflets.build.workers import keep_warm, warm
from leaflets.errors import LeafletError, State, refused_or_failed
from leaflets.model.approvals import Standing
from leaflets.model.digests import digest
from leaflets.model.record import Procedure
from leaflets.paths import display_path
from leaflets.render.web_page import WebPage


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
    state: State
    render_key: str | None = None
    pdf: bytes | None = None
    errors: list[str] = field(default_factory=list)
    blank_fields: dict[str, list[float]] | None = None  # where page 1's "For you" lines are
    standing: Standing | None = None  # whether what it prints is approved
    web: WebPage | None = None  # its web version (regular print only; see web_pages.py), written by the parent


def failed(job: Job, why: str) -> Outcome:
    """A job not made: ``why`` follows its file's name."""
    return Outcome(job, State.FAILED, errors=[f"{display_path(job.target)}: not made: {why}"])


def warm_up(builder: Builder, clinic_id: str, assets: str, **more: object) -> None:
    """Set what this process (and the workers forked from it) renders jobs with."""
    keep_warm(builder=builder, clinic=builder.project.load_clinic(clinic_id), assets=assets, **more)
    warm_procedure.cache_clear()


@lru_cache(maxsize=8)
def warm_procedure(procedure_id: str) -> Procedure:
    """A record, kept while its few leaflets are made (a clinic may have thousands of records)."""
    builder: Builder = warm("builder")
    return builder.project.load_procedure(procedure_id)


def render_job(job: Job) -> Outcome:
    """In a warm process: the job's PDF, or UNCHANGED when its HTML renders as the PDF on disk was made."""
    builder: Builder = warm("builder")
    try:
        leaflet = builder.leaflet(warm_procedure(job.procedure_id), warm("clinic"), job.lang, job.large_print)
        printable = builder.printable(leaflet)
        html, standing = printable.html, printable.standing
        web = None if job.large_print else web_page(builder.project, builder.environment(leaflet), leaflet, standing)
        render_key = digest(html, warm("assets"))
        if render_key == job.render_key:
            return Outcome(job, State.UNCHANGED, render_key, standing=standing, web=web)
        pdf, blank_fields = builder.laid_out(leaflet, printable)
        return Outcome(job, State.BUILT, render_key, pdf, blank_fields=blank_fields, standing=standing, web=web)
    except LeafletError as exc:
        return Outcome(job, refused_or_failed(exc), errors=[str(e) for e in exc.errors])
