#!/usr/bin/env python3
"""The clinicians' page under load: many clients, valid and hostile requests mixed.

    .venv/bin/python benchmarks/web_load.py [--clients 20] [--seconds 60] [--project BUILT]

Builds the example clinic into a temporary copy of the project (or, with --project, copies a project
whose clinic is already built) and starts `leaflets serve` on a free loopback port, on the same day
as the build (SOURCE_DATE_EPOCH, when set, reaches the server too). After a warm-up, each client
sends requests in a shuffled mix: searches, forms, prebuilt PDFs, personalised PDFs (each with a
patient name and note never used before), and hostile or broken ones: unknown and path-like
addresses, impossible dates, over-long and control-character fields, an oversized body, oversized
headers, a huge query.

Checks, and exits 1 if one fails: every answer has the status its request deserves (200, 303
or the intended 4xx; no 5xx, no dropped connection); the memory of the server and its render
workers (PSS) grows by at most --max-growth-mb after the warm-up; no patient detail is in the
server's log or in any file it can write to.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import itertools
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from urllib.parse import quote

from batch import pss_of_tree
from web import LANGUAGES, PROCEDURES, built_project, free_port, percentile, wait_until_up

MARKER = "QzxLeakCheck"  # every patient detail sent starts with it: long enough not to occur in a PDF by chance


def form(lang: str = "en", **fields: str) -> bytes:
    values = {"lang": lang, "print": "regular", "patient_name": "", "date": "", "time": "", "location": "",
              "bring": "", "note": ""}
    return urllib.parse.urlencode({**values, **fields}).encode()


def requests_mix(serial: itertools.count) -> list[tuple[str, str, str, bytes | None, dict[str, str], set[int]]]:
    """(kind, method, path, body, headers, statuses it may get) for one round of a client."""
    n = next(serial)
    procedure, lang = random.choice(PROCEDURES), random.choice(LANGUAGES)
    name, note = f"{MARKER}{n:06d} Patient", f"{MARKER}note{n:06d}"
    return [
        ("search", "GET", "/?q=" + quote(random.choice(["fistula", "kidney", "92943", "riñón", "stent"])), None, {}, {200}),
        ("form", "GET", f"/leaflet/{procedure}?ui={lang}", None, {}, {200}),
        ("prebuilt", "GET", f"/pdf/{lang}/{procedure}.pdf", None, {}, {200}),
        (
            "personalised",
            "POST",
            f"/leaflet/{procedure}",
            form(lang, patient_name=name, note=note, date="2026-12-01", time="09:30"),
            {},
            {200},
        ),
        ("blank form", "POST", f"/leaflet/{procedure}", form(lang), {}, {303}),
        ("unknown leaflet", "GET", "/leaflet/heart-transplant", None, {}, {404}),
        (
            "path-like",
            "GET",
            random.choice(["/leaflet/..%2F..%2Fetc%2Fpasswd", "/pdf/en/../../pyproject.toml", "/fonts/..%2Fleaflet.css"]),
            None,
            {},
            {404},
        ),
        ("unknown language", "GET", f"/pdf/de/{procedure}.pdf", None, {}, {404}),
        (
            "impossible date",
            "POST",
            f"/leaflet/{procedure}",
            form(lang, patient_name=name, date="2026-02-30", time="09:30"),
            {},
            {400},
        ),
        ("name too long", "POST", f"/leaflet/{procedure}", form(lang, patient_name=name + "x" * 200), {}, {400}),
        ("control character", "POST", f"/leaflet/{procedure}", form(lang, patient_name=name + "\x07"), {}, {400}),
        ("body too large", "POST", f"/leaflet/{procedure}", form(lang, patient_name=name, note="x" * 20_000), {}, {413}),
        ("headers too large", "GET", "/", None, {"X-Filler": "x" * 40_000}, {431}),
        ("huge query", "GET", "/?q=" + quote("kidney " * 1_000), None, {}, {200}),
    ]


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: collections.Counter[tuple[str, int]] = collections.Counter()
        self.latency: dict[str, list[float]] = collections.defaultdict(list)
        self.unexpected: list[str] = []

    def add(self, kind: str, status: int, seconds: float, expected: set[int]) -> None:
        with self.lock:
            self.statuses[kind, status] += 1
            self.latency[kind].append(seconds)
            if status not in expected:
                self.unexpected.append(f"{kind}: {status} (expected {sorted(expected)})")


def ask(port: int, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        if body is not None:
            headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return 0  # a dropped connection is never intended
    finally:
        connection.close()


def client(port: int, until: float, serial: itertools.count, tally: Tally) -> None:
    while time.monotonic() < until:
        round_ = requests_mix(serial)
        random.shuffle(round_)
        for kind, method, path, body, headers, expected in round_:
            started = time.perf_counter()
            status = ask(port, method, path, body, headers)
            tally.add(kind, status, time.perf_counter() - started, expected)
            if time.monotonic() >= until:
                return


def run_clients(port: int, clients: int, seconds: float, serial: itertools.count, tally: Tally) -> None:
    until = time.monotonic() + seconds
    threads = [threading.Thread(target=client, args=(port, until, serial, tally)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def leaks(places: list[Path], log: str) -> list[str]:
    found = [f"the server log ({log.count(MARKER)} times)"] if MARKER in log else []
    for place in places:
        for path in place.rglob("*"):
            if path.is_file() and MARKER.encode() in path.read_bytes():
                found.append(str(path))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warm-up", type=float, default=10, help="seconds of the same load before memory is measured")
    parser.add_argument("--max-growth-mb", type=float, default=150)
    parser.add_argument("--project", type=Path, help="a project with the example clinic built: served from a copy")
    args = parser.parse_args()
    random.seed(1)
    with tempfile.TemporaryDirectory() as temporary:
        project, private_tmp, home = Path(temporary) / "project", Path(temporary) / "tmp", Path(temporary) / "home"
        private_tmp.mkdir(), home.mkdir()
        if args.project:
            shutil.copytree(args.project, project, symlinks=True, ignore=shutil.ignore_patterns(".build.lock"))
        else:
            built_project(project)
        leaflets = [sys.executable, "-m", "leaflets", "--root", str(project)]
        port = free_port()
        log_path = Path(temporary) / "server.log"
        environment = {"PATH": "/usr/bin:/bin", "TMPDIR": str(private_tmp), "HOME": str(home), "LANG": "C.UTF-8"}
        if "SOURCE_DATE_EPOCH" in os.environ:  # the day the PDFs were built on, or they would all be out of date
            environment["SOURCE_DATE_EPOCH"] = os.environ["SOURCE_DATE_EPOCH"]
        with log_path.open("w") as log:
            server = subprocess.Popen(
                [*leaflets, "serve", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=environment
            )
        try:
            wait_until_up(f"http://127.0.0.1:{port}/")
            serial = itertools.count()
            run_clients(port, args.clients, args.warm_up, serial, Tally())
            baseline = pss_of_tree(server.pid)
            peak, stop = baseline, threading.Event()

            def sample() -> None:
                nonlocal peak
                while not stop.wait(0.5):
                    peak = max(peak, pss_of_tree(server.pid))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            tally, started = Tally(), time.perf_counter()
            run_clients(port, args.clients, args.seconds, serial, tally)
            wall = time.perf_counter() - started
            stop.set()
            sampler.join()
            end = pss_of_tree(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
        log_text = log_path.read_text(errors="replace")
        leaked = leaks([project, private_tmp, home], log_text)
    return report(args, tally, wall, baseline, peak, end, leaked)


def report(args: argparse.Namespace, tally: Tally, wall: float, baseline: int, peak: int, end: int, leaked: list[str]) -> int:
    served = sum(tally.statuses.values())
    mb = 1024 * 1024
    growth = (peak - baseline) / mb
    print(f"{args.clients} clients for {wall:.0f} s: {served} requests ({served / wall:.1f} per second)")
    for kind in sorted(tally.latency):
        statuses = ", ".join(f"{status}: {count}" for (k, status), count in sorted(tally.statuses.items()) if k == kind)
        times = tally.latency[kind]
        print(f"  {kind:18} {statuses:22} p50 {statistics.median(times):.3f} s  p95 {percentile(times, 0.95):.3f} s")
    print(
        f"memory (server + render workers, PSS): {baseline / mb:.0f} MB after warm-up, peak {peak / mb:.0f} MB, "
        f"end {end / mb:.0f} MB; growth {growth:.0f} MB (bound {args.max_growth_mb:.0f} MB)"
    )
    print(f"unexpected statuses: {len(tally.unexpected)}; patient details found in: {', '.join(leaked) or 'nothing'}")
    for line in tally.unexpected[:10]:
        print("  " + line)
    failed = bool(tally.unexpected) or bool(leaked) or growth > args.max_growth_mb
    print("FAILED" if failed else "OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
