#!/usr/bin/env python3
"""Latency of the clinicians' page under 4 concurrent clients.

    .venv/bin/python benchmarks/web.py [--requests 40] [--starts 3] [--idle SECONDS] [--project BUILT]

Builds the example clinic into a temporary copy of the project (or, with --project, serves a copy of
a project already built), starts `leaflets serve` on a free loopback port, and has 4 client threads
each request in turn: a personalised PDF (a POST with a patient's name and appointment, in a rotating
language) and a prebuilt one (a GET of the batch build's PDF). Prints p50 and p95 of each. Targets:
p95 < 1.0 s personalised, < 50 ms prebuilt.
Before them, over --starts starts of the server: the first personalised print, asked as soon as the
page answers, against the following ones (one client), and the CPU-seconds each render worker had
used by then: target within 2x, median of the starts (the workers warm themselves as the page starts).
With --idle, the page then sits idle that long and prints again: the same worker processes answer.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LANGUAGES = ["en", "es", "fr", "ar", "zh_Hans", "vi"]
PROCEDURES = ["dialysis-fistula-creation", "kidney-tube-tract-widening", "coronary-blockage-opening"]

sys.path.insert(0, str(REPO / "tests"))
from helpers import free_port, wait_until_up  # noqa: E402  (the tests' own helpers)


def built_project(target: Path) -> Path:
    """A copy of the project in ``target`` with the example clinic built into its dist/."""
    for folder in ("content", "templates", "locales"):
        shutil.copytree(REPO / folder, target / folder)
    shutil.copy(REPO / "babel.cfg", target / "babel.cfg")
    subprocess.run([sys.executable, "-m", "leaflets", "--root", str(target), "build", "--all"], check=True, capture_output=True)
    return target


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def workers_of(server: int) -> list[int]:
    """The server's render workers: its child processes (forked by its pool's thread)."""
    found = []
    for children in Path(f"/proc/{server}/task").glob("*/children"):
        found += [int(pid) for pid in children.read_text().split()]
    return sorted(found)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(project: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "leaflets", "--root", str(project), "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return server, f"http://127.0.0.1:{port}"


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.communicate(timeout=30)


def answered_after(base: str, started: float) -> float:
    """Seconds from ``started`` until the page first answers (asked every 20 ms)."""
    while True:
        try:
            urllib.request.urlopen(base + "/", timeout=5).read()
            return time.perf_counter() - started
        except OSError:
            if time.perf_counter() - started > 120:
                raise
            time.sleep(0.02)


def first_and_following(project: Path) -> tuple[float, float, float, list[float]]:
    """One start of the server: how long until it answers, the first personalised print as soon as it
    does, the median of the next 5, and the CPU-seconds of each worker when the first print was answered."""
    started = time.perf_counter()
    server, base = start_server(project)
    try:
        up = answered_after(base, started)
        first: list[float] = []
        client(base, 0, 1, first, [])
        warm_cpu = [cpu_seconds(pid) for pid in workers_of(server.pid)]
        following: list[float] = []
        client(base, 0, 5, following, [])
    finally:
        stop_server(server)
    return up, first[0], statistics.median(following), warm_cpu


def client(base: str, number: int, requests: int, personal: list[float], prebuilt: list[float]) -> None:
    for i in range(requests):
        procedure = PROCEDURES[(number + i) % len(PROCEDURES)]
        lang = LANGUAGES[(number * 7 + i) % len(LANGUAGES)]
        form = urllib.parse.urlencode({
            "lang": lang, "print": "regular", "patient_name": f"Test Patient {number}-{i}", "date": "2026-12-01",
            "time": "09:30", "location": "Imaging, 2nd floor", "bring": "", "note": "",
        }).encode()
        started = time.perf_counter()
        body = urllib.request.urlopen(urllib.request.Request(f"{base}/leaflet/{procedure}", data=form), timeout=60).read()
        personal.append(time.perf_counter() - started)
        assert body.startswith(b"%PDF-")
        started = time.perf_counter()
        body = urllib.request.urlopen(f"{base}/pdf/{lang}/{procedure}.pdf", timeout=60).read()
        prebuilt.append(time.perf_counter() - started)
        assert body.startswith(b"%PDF-")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40, help="personalised + prebuilt pairs per client")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--starts", type=int, default=3, help="server starts over which the first print is measured")
    parser.add_argument("--idle", type=float, default=0, help="seconds idle before the last print (0: none)")
    parser.add_argument("--project", type=Path, help="a project with the example clinic built: served from a copy")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        project = Path(temporary) / "project"
        if args.project:
            shutil.copytree(args.project, project, symlinks=True, ignore=shutil.ignore_patterns(".build.lock"))
        else:
            built_project(project)
        starts = [first_and_following(project) for _ in range(args.starts)]
        server, base = start_server(project)
        try:
            wait_until_up(base + "/", seconds=120)
            personal, prebuilt, wall = under_load(base, args.clients, args.requests)
            if args.idle:
                print(idle_then_print(server.pid, base, args.idle))
        finally:
            stop_server(server)
    report_first_prints(starts)
    print(f"{args.clients} clients, {len(personal)} personalised and {len(prebuilt)} prebuilt requests in {wall:.1f} s")
    print(
        f"personalised PDF: p50 {statistics.median(personal):.3f} s, p95 {percentile(personal, 0.95):.3f} s (target p95 < 1.0 s)"
    )
    print(
        f"prebuilt PDF:     p50 {statistics.median(prebuilt) * 1000:.1f} ms, "
        f"p95 {percentile(prebuilt, 0.95) * 1000:.1f} ms (target p95 < 50 ms)"
    )
    return 0


def under_load(base: str, clients: int, requests: int) -> tuple[list[float], list[float], float]:
    personal: list[float] = []
    prebuilt: list[float] = []
    threads = [threading.Thread(target=client, args=(base, n, requests, personal, prebuilt)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return personal, prebuilt, time.perf_counter() - started


def idle_then_print(server: int, base: str, seconds: float) -> str:
    before = workers_of(server)
    time.sleep(seconds)
    took: list[float] = []
    client(base, 0, 1, took, [])
    after = workers_of(server)
    return (f"after {seconds:.0f} s idle: a personalised print in {took[0]:.3f} s; workers {before} before, {after} after: "
            f"{'the same' if before == after else 'CHANGED'}")


def report_first_prints(starts: list[tuple[float, float, float, list[float]]]) -> None:
    for up, first, following, warm_cpu in starts:
        workers = ", ".join(f"{cpu:.2f}" for cpu in warm_cpu)
        print(f"page answered after {up:.2f} s; first personalised print {first:.3f} s; the next 5: median "
              f"{following:.3f} s; {first / following:.2f}x; workers' CPU by then: {workers} s")
    ratio = statistics.median(first / following for _, first, following, _ in starts)
    print(f"median of {len(starts)} starts: {ratio:.2f}x (target <= 2x): {'pass' if ratio <= 2 else 'FAIL'}")


if __name__ == "__main__":
    sys.exit(main())
