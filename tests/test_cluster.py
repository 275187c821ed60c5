"""Building on a Dask cluster: a real scheduler and two real worker processes on loopback."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from distributed import Client

from helpers import REPO, free_port, remove_records, set_languages
from leaflets.build.batch import build_clinic
from leaflets.errors import UsageError

DASK = str(Path(sys.executable).parent / "dask")
ONE_RECORD = "dialysis-fistula-creation"
EPOCH = "1796000000"  # 2026-11-29: builds on any day make the same bytes


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """The address of a scheduler with two single-threaded workers, each under a nanny that restarts it."""
    with cluster(tmp_path_factory.mktemp("dask"), workers=2) as address:
        yield address


@contextmanager
def cluster(logs: Path, workers: int, **env: str) -> Iterator[str]:
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1", "SOURCE_DATE_EPOCH": EPOCH, **env}
    started = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                env=env, stdout=subprocess.DEVNULL, stderr=(logs / "scheduler.log").open("w"))]
    started += [subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"],
                                 env=env, stdout=subprocess.DEVNULL, stderr=(logs / f"worker{n}.log").open("w"))
                for n in range(workers)]
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for process in reversed(started):
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def one_record_two_languages(project: Path):
    remove_records(project, *(r.stem for r in (project / "content" / "procedures").glob("*.yaml") if r.stem != ONE_RECORD))
    return set_languages(project, "en, es")


def built_pdfs(project: Path) -> dict[str, bytes]:
    out = project / "dist" / "example"
    return {str(pdf.relative_to(out)): pdf.read_bytes() for pdf in sorted(out.rglob("*.pdf"))}


def local_then_cleared(the_project, project: Path) -> dict[str, bytes]:
    """The PDFs of a local build; dist/ is emptied again so the cluster builds the same project path."""
    local = build_clinic(the_project, "example", jobs=2)
    assert (len(local.built), local.failed, local.refused) == (4, [], [])
    pdfs = built_pdfs(project)
    for pdf in (project / "dist" / "example").rglob("*.pdf"):
        pdf.unlink()
    return pdfs


def test_the_cluster_makes_the_same_bytes_as_a_local_build(project, scheduler, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    the_project = one_record_two_languages(project)
    local = local_then_cleared(the_project, project)

    report = build_clinic(the_project, "example", scheduler=scheduler)

    assert (len(report.built), report.failed, report.refused) == (4, [], [])
    assert built_pdfs(project) == local
    assert sorted(local) == ["en/dialysis-fistula-creation-large-print.pdf", "en/dialysis-fistula-creation.pdf",
                             "es/dialysis-fistula-creation-large-print.pdf", "es/dialysis-fistula-creation.pdf"]
    again = build_clinic(the_project, "example", scheduler=scheduler)  # incremental, as locally
    assert (again.built, len(again.unchanged)) == ([], 4)
    assert (project / "dist" / "example" / "index.html").is_file()


def test_a_killed_workers_job_is_made_again_on_another_worker(project, scheduler, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    the_project = one_record_two_languages(project)
    local = local_then_cleared(the_project, project)
    reports = []
    build = threading.Thread(target=lambda: reports.append(build_clinic(the_project, "example", scheduler=scheduler)))

    with Client(scheduler, timeout=60) as watcher:
        build.start()
        address, key = busy_worker(watcher)
        pid = watcher.run(os.getpid, workers=[address])[address]
        os.kill(pid, signal.SIGKILL)
        build.join(timeout=180)
        tries = watcher.run_on_scheduler(lambda dask_scheduler: [
            finish for _key, _start, finish, *_ in dask_scheduler.story(key)])

    (report,) = reports
    assert (len(report.built), report.failed, report.refused) == (4, [], [])
    assert built_pdfs(project) == local
    assert tries.count("processing") >= 2, tries  # sent to a worker, lost with it, sent again


def busy_worker(client: Client) -> tuple[str, str]:
    """A worker and the leaflet it is rendering, as soon as one starts."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for address, keys in client.processing().items():
            ours = [key for key in keys if str(key).startswith("leaflets-")]
            if ours:
                return address, ours[0]
        time.sleep(0.01)
    raise AssertionError("no worker started a leaflet")


def test_a_scheduler_that_cannot_be_reached_is_one_clear_error(project, monkeypatch):
    monkeypatch.setattr("leaflets.build.cluster.CONNECT_SECONDS", 2)  # nothing listens there: no need to wait 20 s
    with pytest.raises(UsageError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        build_clinic(one_record_two_languages(project), "example", scheduler="tcp://127.0.0.1:9")


def test_workers_that_run_other_code_are_refused_before_any_job(project, tmp_path):
    other = tmp_path / "other-leaflets"
    shutil.copytree(REPO / "src", other, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    content = other / "leaflets" / "model" / "record.py"
    content.write_text(content.read_text() + "\n# another version of leaflets\n")

    different = "see a different project at .*every worker must read the same files"
    with cluster(tmp_path, workers=1, PYTHONPATH=str(other)) as address, pytest.raises(UsageError, match=different):
        build_clinic(one_record_two_languages(project), "example", scheduler=address)
    assert not list((project / "dist" / "example").rglob("*.pdf"))


def test_sigterm_stops_a_build_on_the_cluster_cleanly(project, scheduler):
    one_record_two_languages(project)
    build = subprocess.Popen([sys.executable, "-m", "leaflets", "--root", str(project), "build", "--all",
                              "--scheduler", scheduler], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with Client(scheduler, timeout=60) as watcher:
        busy_worker(watcher)
        build.send_signal(signal.SIGTERM)
        _, err = build.communicate(timeout=60)
        assert build.returncode == 128 + signal.SIGTERM, err
        assert "stopped (SIGTERM); nothing half-written was left behind" in err
        assert not list((project / "dist").rglob("*.part"))
        deadline = time.monotonic() + 30  # the jobs left were cancelled: nothing stays on the workers
        while any(str(key).startswith("leaflets-") for keys in watcher.processing().values() for key in keys):
            assert time.monotonic() < deadline, watcher.processing()
            time.sleep(0.2)
    assert (project / "dist" / "example" / ".build.lock").read_text() == ""  # released
