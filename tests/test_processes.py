"""Long-running commands end well: Ctrl-C and SIGTERM, to the main process or its whole group,
and a worker killed from outside, never hang a build or the server nor leave anything behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest

from helpers import free_port, pdf_text, remove_records, set_languages, wait_until_up
from leaflets.build.batch import exclusive
from leaflets.web.app import WORKER_WAIT_SECONDS

PERSONAL = {"lang": "en", "print": "regular", "patient_name": "Test Patient", "date": "2026-12-01", "time": "09:30"}


def session_processes(session: int) -> list[int]:
    """Every live process of a session: a command started with start_new_session and its workers."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def workers_of(parent: int) -> list[int]:
    return [p for p in session_processes(parent) if p != parent]


def killed(processes: list[int]) -> list[int]:
    """SIGKILL each of ``processes``; those that had already ended (a worker's short-lived msgfmt, say) are
    left out of what is returned."""
    gone = []
    for pid in processes:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
            gone.append(pid)
    return gone


def send(process: subprocess.Popen, how: str) -> None:
    """SIGINT or SIGTERM, to the main process alone or to its whole process group (as a terminal's
    Ctrl-C and a service manager do)."""
    name, to = how.split("-")
    number = getattr(signal, name)
    if to == "group":
        os.killpg(process.pid, number)
    else:
        process.send_signal(number)


def leaflets(project: Path, *args: str, **options) -> subprocess.Popen:
    """The command as a terminal or a service manager starts it: its own session, Ctrl-C not ignored (a
    process inherits an ignored SIGINT, and the test run's own process may have come to ignore it)."""
    return subprocess.Popen([sys.executable, "-m", "leaflets", "--root", str(project), *args], start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_interruptible,
                            **options)


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def personalised_leaflet(port: int, tmp_path: Path) -> str:
    form = urllib.parse.urlencode(PERSONAL).encode()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/leaflet/dialysis-fistula-creation", data=form, timeout=120) as answer:
        assert answer.status == 200
        (tmp_path / "answer.pdf").write_bytes(answer.read())
    return pdf_text(tmp_path / "answer.pdf")


@contextmanager
def killed_if_it_fails(server: subprocess.Popen) -> Iterator[None]:
    """The server and its workers killed if what is inside fails, so none outlives its test. The failure
    then carries the server's log and where each of its processes' threads waited (a hang's first clue)."""
    try:
        yield
    except BaseException as failure:
        waits = {pid: threads_waiting_in(pid) for pid in session_processes(server.pid)}
        os.killpg(server.pid, signal.SIGKILL)
        _, log = server.communicate()
        failure.add_note(f"the server's processes' threads waited in: {waits}\nits log:\n{log}")
        raise


def threads_waiting_in(pid: int) -> list[str]:
    """The kernel function each thread of process ``pid`` waits in ("futex_wait_queue", "pipe_read"...)."""
    waits = []
    for channel in Path(f"/proc/{pid}/task").glob("*/wchan"):
        with contextlib.suppress(OSError):
            waits.append(channel.read_text())
    return waits


def stopped(server: subprocess.Popen, how: str) -> str:
    """Stop the server as ``how`` says: it ends within five seconds, cleanly, and no worker outlives it.
    Returns its log."""
    send(server, how)
    started = time.monotonic()
    with killed_if_it_fails(server):
        server.wait(timeout=5)
    assert time.monotonic() - started < 5
    _, err = server.communicate()
    assert server.returncode == 0, err  # stopping is how a server ends
    assert "Traceback" not in err and err.splitlines()[-1].endswith("INFO stopped"), err
    deadline = time.monotonic() + 2
    while session_processes(server.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert session_processes(server.pid) == []
    return err


@pytest.mark.parametrize("how", ["SIGINT-group", "SIGTERM-group", "SIGTERM-main", "SIGINT-main"])
def test_serve_stops_within_five_seconds(project, tmp_path, how):
    port = free_port()
    server = leaflets(project, "serve", "--port", str(port))
    with killed_if_it_fails(server):
        wait_until_up(f"http://127.0.0.1:{port}/")
        assert "Test Patient" in personalised_leaflet(port, tmp_path)
        assert workers_of(server.pid)
    stopped(server, how)


def test_a_web_worker_killed_from_outside_is_replaced(project, tmp_path):
    port = free_port()
    server = leaflets(project, "serve", "--port", str(port))
    answers = []
    try:
        wait_until_up(f"http://127.0.0.1:{port}/")
        assert killed(workers_of(server.pid))
        for _ in range(3):  # whichever worker each request finds, it is answered
            try:
                answers.append("Test Patient" in personalised_leaflet(port, tmp_path))
            except urllib.error.HTTPError as error:
                answers.append(error.code)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
            answers.append(answer.status)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        _, log = server.communicate(timeout=10)
    assert answers == [True, True, True, 200], log


def test_serve_answers_once_a_render_worker_is_warm_or_after_its_wait_at_most(project):
    launched = datetime.now()
    port = free_port()
    server = leaflets(project, "serve", "--port", str(port))
    with killed_if_it_fails(server):
        wait_until_up(f"http://127.0.0.1:{port}/")
    log = stopped(server, "SIGTERM-group").splitlines()
    first_answer = next(i for i, line in enumerate(log) if " INFO GET / 200" in line)
    answered = datetime.strptime(log[first_answer][:23], "%Y-%m-%d %H:%M:%S,%f")
    worker_warm_first = any(f" INFO serving example on http://127.0.0.1:{port}/" in line for line in log[:first_answer])
    assert worker_warm_first or (answered - launched).total_seconds() >= WORKER_WAIT_SECONDS, log


IDLE_SECONDS = 12  # longer than waitress's 10 s for a silent connection, and its clean-ups every 2 s


def test_the_same_workers_serve_the_page_after_it_sat_idle_and_a_killed_one_is_replaced(project, tmp_path):
    set_languages(project, "en")
    port = free_port()
    server = leaflets(project, "serve", "--port", str(port))
    try:
        wait_until_up(f"http://127.0.0.1:{port}/")
        assert "Test Patient" in personalised_leaflet(port, tmp_path)
        workers = set(workers_of(server.pid))
        time.sleep(IDLE_SECONDS)
        assert "Test Patient" in personalised_leaflet(port, tmp_path)
        assert set(workers_of(server.pid)) == workers  # the same processes, alive all along

        killed = min(workers)
        os.kill(killed, signal.SIGKILL)
        for _ in workers:  # every worker asked in turn: the killed one is found and replaced
            assert "Test Patient" in personalised_leaflet(port, tmp_path)
        now = set(workers_of(server.pid))
        assert killed not in now and len(now) == len(workers) and len(now - workers) == 1
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        _, log = server.communicate(timeout=10)
    assert "Traceback" not in log, log


@pytest.mark.parametrize("how", ["SIGINT-group", "SIGTERM-main"])
def test_serve_stops_within_five_seconds_while_its_workers_warm_up_and_leaves_nothing_behind(project, tmp_path, how):
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    port = free_port()
    server = leaflets(project, "serve", "--port", str(port), env=os.environ | {"TMPDIR": str(private_tmp)})
    with killed_if_it_fails(server):
        wait_until_up(f"http://127.0.0.1:{port}/")  # nothing is built: the workers lay out a leaflet to warm up
    stopped(server, how)
    assert list(private_tmp.iterdir()) == []  # the workers' copies of the fonts went with them


def wait_for_built(build: subprocess.Popen, count: int) -> None:
    seen = 0
    while seen < count:
        line = build.stderr.readline()
        assert line, "the build ended before it was well under way"
        seen += "] built " in line


def test_a_batch_worker_killed_from_outside_does_not_stop_the_build(project, tmp_path):
    remove_records(project, "coronary-blockage-opening", "foot-vein-arterialization", "kidney-tube-tract-widening")
    set_languages(project, "en, es")  # two records: 8 leaflets, the workers killed after the second
    build = leaflets(project, "build", "--all", "--jobs", "2")
    wait_for_built(build, 2)
    for worker in workers_of(build.pid):
        os.kill(worker, signal.SIGKILL)
    _, err = build.communicate(timeout=300)
    assert build.returncode == 0, err
    assert len(list((project / "dist" / "example").rglob("*.pdf"))) == 8
    assert session_processes(build.pid) == []


@pytest.mark.parametrize("how", ["SIGINT-group", "SIGTERM-group", "SIGTERM-main"])
def test_an_interrupted_build_says_so_in_one_line_and_leaves_nothing_behind(project, tmp_path, how):
    set_languages(project, "en, es")
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    build = leaflets(project, "build", "--all", "--force", env=os.environ | {"TMPDIR": str(private_tmp)})
    wait_for_built(build, 3)
    send(build, how)
    _, err = build.communicate(timeout=10)
    name = how.split("-")[0]
    assert build.returncode == 128 + getattr(signal, name), err
    assert err.splitlines()[-1].startswith(f"leaflets: {'interrupted' if name == 'SIGINT' else 'stopped (SIGTERM)'}")
    assert "Traceback" not in err
    out = project / "dist" / "example"
    assert not list(out.rglob(".*.part"))
    assert list(private_tmp.iterdir()) == []  # WeasyPrint's copy of the fonts went with the build
    with exclusive(out):  # the lock is free
        pass
    assert session_processes(build.pid) == []
