#!/usr/bin/env python3
"""Latency of the clinicians' page under 4 concurrent clients.

    .venv/bin/python benchmarks/web.py [--requests 40]

Builds the example clinic into a temporary copy of the project, starts `leaflets serve` on a
free loopback port, and has 4 client threads each request in turn: a personalised PDF (a POST
with a patient's name and appointment, in a rotating language) and a prebuilt one (a GET of the
batch build's PDF). Prints p50 and p95 of each. Targets: p95 < 1.0 s personalised, < 50 ms prebuilt.
Before them, the first personalised print, asked as soon as the page answers, against the following
ones (one client): target within 2x (the render workers are warm, and stay alive, from the start).
"""

from __future__ import annotations

import argparse
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        project = built_project(Path(temporary))
        leaflets = [sys.executable, "-m", "leaflets", "--root", str(project)]
        port = free_port()
        server = subprocess.Popen([*leaflets, "serve", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base + "/")
            first: list[float] = []
            client(base, 0, 1, first, [])  # the first personalised print after the start
            following: list[float] = []
            client(base, 0, 5, following, [])
            personal: list[float] = []
            prebuilt: list[float] = []
            threads = [threading.Thread(target=client, args=(base, n, args.requests, personal, prebuilt))
                       for n in range(args.clients)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=10)
    ratio = first[0] / statistics.median(following)
    print(f"first personalised print after start {first[0]:.3f} s; the next 5: median {statistics.median(following):.3f} s; "
          f"{ratio:.2f}x (target <= 2x): {'pass' if ratio <= 2 else 'FAIL'}")
    print(f"{args.clients} clients, {len(personal)} personalised and {len(prebuilt)} prebuilt requests in {wall:.1f} s")
    print(
        f"personalised PDF: p50 {statistics.median(personal):.3f} s, p95 {percentile(personal, 0.95):.3f} s (target p95 < 1.0 s)"
    )
    print(
        f"prebuilt PDF:     p50 {statistics.median(prebuilt) * 1000:.1f} ms, "
        f"p95 {percentile(prebuilt, 0.95) * 1000:.1f} ms (target p95 < 50 ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
