#!/usr/bin/env python3
"""How `list`, `check`, a no-op `build --all` and the web page grow with the library.

    .venv/bin/python benchmarks/scale.py                          # 200, 1,000 and 2,000 records
    .venv/bin/python benchmarks/scale.py --sizes 2000 --languages en --profile
                                                                  # English only, with profiles
    .venv/bin/python benchmarks/scale.py --sizes 200 --before /tmp/old/src
                                                                  # and the same with older code

For each size it generates a library (benchmarks/library.py: N records x the example clinic's
6 languages, with catalogs that translate every record) in a temporary folder and prints, for
the code under test (this checkout's src/, or --code DIR):

  list warm     `leaflets list`, median of 3, after one run that filled the cache
  check warm    `leaflets check`, median of 3, after one run
  no-op build   `leaflets build --all` with every PDF current, median of 3
  server start  from starting `leaflets serve` to its first answer (the search page, every leaflet
                listed with its state), median of --runs starts; its CPU seconds are the server
                process's until then (its render workers start once it has answered)
  PDF p50/p95   GET of a prebuilt PDF, one client, --requests requests over random leaflets

A command that fails is shown as "inf" (the code before this benchmark could not make the
catalog page of 2,000 records, so its no-op build fails there).

Targets at 2,000 records: list < 1 s, check < 10 s, no-op build < 2 s, server start < 2 s,
prebuilt PDF p95 < 20 ms. Besides wall seconds, each command's CPU seconds (its whole process tree)
are printed, also in calibration pages (measure.py): on a shared machine they are the steadier
figure. --profile adds the top lines of a profile of the warm list, check and no-op build, and of the
server until its first answer (build and server also by time in the function itself). The library is the
one `benchmarks/library.py N DIR [--languages en]` writes (its command is printed).

How the no-op build stays honest without rendering 12,000 PDFs: the five shipped records are
built for real (60 PDFs, WeasyPrint). The library's `dist/` is then made by the code under test's
own `build_clinic`, in one process, with only its render step replaced: each generated record's
job gets the real PDF of the record it copies, in the same language and print size, with its
"For you" line positions, and (regular print) that record's web version with its fonts and pictures
(a regular print whose web version is missing is planned again: without it, half the PDFs were
rebuilt). Planning, input keys, atomic writes, the manifest and the catalog page are the real ones,
so the timed `build --all` that follows is an ordinary CLI run that must find every one of the
N x 12 PDFs current (the script checks it says "built 0"). The web page then serves those files as
it would any batch build's.

--before DIR runs the same figures with an older checkout's src/ (for example
`git archive 6ce0fbf | tar -x -C /tmp/old`), each measured once, since it caches nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from library import generate_library  # noqa: E402
from measure import calibration, in_pages, profile_top  # noqa: E402
from measure import run as run_measured  # noqa: E402

from helpers import free_port  # noqa: E402  (the tests' own helpers)

CALIBRATED: float | None = None  # this machine's CPU-s per calibration page, measured in main()
TARGETS = {"list": 1.0, "check": 10.0, "build": 2.0, "start": 2.0, "p95": 0.020}

# Run by the code under test: build_clinic with its render step replaced by a copy of the real
# PDF of the shipped record a generated record copies (see the module's docstring).
PREWRITE = r"""
import json, re, sys
from pathlib import Path
from types import SimpleNamespace
import leaflets.build.batch as batch
from leaflets.build.jobs import Outcome
from leaflets.model.project import Project
from leaflets.errors import State
from leaflets.render.web_page import WebPage

root, base = Path(sys.argv[1]), Path(sys.argv[2])
entries = {e["file"]: e for e in json.loads((base / "manifest.json").read_text())["files"]}

def web_version(page):  # the shipped record's web version, with the fonts and pictures it names
    html = page.read_bytes()
    text = html.decode()
    fonts = {name: (base / "fonts" / name).read_bytes() for name in set(re.findall(r"fonts/([0-9a-f]{16}[.]woff2)", text))}
    pictures = tuple(sorted(set(re.findall(r'src="[.][.]/((?:pictograms|diagrams)/[A-Za-z0-9._-]+)"', text))))
    return WebPage(html, fonts, pictures)

def copied(job):
    shipped = job.procedure_id.split("-", 2)[2] if job.procedure_id.startswith("site-") else job.procedure_id
    name = f"{job.lang}/{shipped}{'-large-print' if job.large_print else ''}.pdf"
    web = None if job.large_print else web_version(base / job.lang / f"{shipped}.html")
    entry = entries[name]  # its state as the shipped record's (the manifest keeps it for the web page)
    standing = SimpleNamespace(version=entry["version"], approval_state=entry.get("approval"),
                               translation_state=entry.get("translation"), released=False)
    return Outcome(job, State.BUILT, entry["render_key"], (base / name).read_bytes(),
                   blank_fields=entry["blank_fields"], web=web, standing=standing if entry.get("approval") else None)

batch.render_job = copied
try:
    report = batch.build_clinic(Project(root), "example", jobs=1)
    print(len(report.built), len(report.failed), len(report.refused))
except Exception as exc:  # older code wrote the manifest, then failed on a big library's catalog page
    print("catalog-page-failed 0 0", exc)
"""


def leaflets(code: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(code)!r}); "
            "from leaflets.cli import main; sys.exit(main())", *args]


CPU: dict[str, list[float]] = {}  # CPU seconds of each timed run, by the command's name


def timed(command: list[str], cwd: Path, expect: str | None = None) -> float:
    wall, cpu, said = run_measured(command, cwd)  # exits if the command fails
    if expect and not re.search(expect, said):
        sys.exit(f"{' '.join(command[3:])} in {cwd} said otherwise:\n{said[-2000:]}")
    CPU.setdefault(command[3] if len(command) > 3 else "?", []).append(cpu)
    return wall


def warm(command: list[str], cwd: Path, runs: int, expect: str | None = None, fill: bool = True) -> float:
    """The median of ``runs`` timed runs, after one untimed run that fills the caches (when ``fill``)."""
    if fill:
        timed(command, cwd, expect)
    CPU.pop(command[3], None)
    return statistics.median(timed(command, cwd, expect) for _ in range(runs))


def base_build(target: Path) -> Path:
    """The five shipped records built for real; returns their dist/example/."""
    generate_library(target, 5)
    timed(leaflets(REPO / "src", "build", "--all"), target, expect=r"built 60, unchanged 0")
    return target / "dist" / "example"


def prewrite(code: Path, project: Path, base: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run([sys.executable, "-c", PREWRITE, str(project), str(base)], env=env, capture_output=True,
                          text=True, cwd=project)
    if done.returncode != 0 or done.stdout.split()[1:3] != ["0", "0"]:
        sys.exit(f"writing the library's dist/ failed:\n{done.stdout}{done.stderr[-3000:]}")


def process_cpu(pid: int) -> float:
    """CPU seconds a running process has used so far (all its threads; not its children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def serve(code: Path, project: Path, requests: int) -> tuple[float, float, float, float]:
    """Seconds until the page answers, the server's CPU seconds until then, and p50/p95 of prebuilt PDF requests."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    server = subprocess.Popen(leaflets(code, "serve", "--port", str(port)), cwd=project,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=30).read()
                start_cpu = process_cpu(server.pid)
                break
            except OSError:
                if server.poll() is not None or time.perf_counter() - started > 120:
                    sys.exit("the server did not start")
                time.sleep(0.02)
        start = time.perf_counter() - started
        if not requests:
            return start, start_cpu, float("nan"), float("nan")
        ids = sorted(p.stem for p in (project / "content" / "procedures").glob("*.yaml"))
        dist = project / "dist" / "example"  # the library's languages: those it built PDFs in
        languages = sorted(folder.name for folder in dist.iterdir() if folder.name != "archive" and any(folder.glob("*.pdf")))
        chosen = random.Random(1)
        times = []
        for number in range(requests + 5):
            url = f"{base}/pdf/{chosen.choice(languages)}/{chosen.choice(ids)}.pdf"
            began = time.perf_counter()
            with urllib.request.urlopen(url, timeout=60) as response:
                body = response.read()
                made = response.headers.get("X-Leaflets-Made")
            if number >= 5:  # the first few warm the connection pool and caches
                times.append(time.perf_counter() - began)
            if not body.startswith(b"%PDF-") or made is not None:
                sys.exit(f"{url} was not served from the batch build ({made})")
        times.sort()
        return start, start_cpu, statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    finally:
        server.terminate()
        server.wait(timeout=30)


def measure(code: Path, size: int, base: Path, runs: int, requests: int, fill: bool = True,
            languages: str | None = None, profile: bool = False) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix=f"leaflets-scale-{size}-") as temporary:
        project = generate_library(Path(temporary), size, languages)
        print(f"  library: .venv/bin/python benchmarks/library.py {size} DIR"
              + (f" --languages '{languages}'" if languages else ""), flush=True)
        prewrite(code, project, base)
        time.sleep(2.1)  # files changed in the last 2 s are not cached (see cache.py)
        figures = {
            "list": failing_as_nan(warm, leaflets(code, "list"), project, runs, fill=fill),
            "check": failing_as_nan(warm, leaflets(code, "check"), project, runs, fill=fill),
            "build": failing_as_nan(warm, leaflets(code, "build", "--all"), project, runs, expect=r"built 0, unchanged \d+",
                                    fill=fill),
        }
        figures |= {f"{name}_cpu": statistics.median(CPU.get(name, [float("nan")])) for name in ("list", "check", "build")}
        if profile:
            print_profiles(code, project, size)
        starts = [serve(code, project, requests if run == 0 else 0) for run in range(runs)]
        figures["start"] = statistics.median(start[0] for start in starts)
        figures["start_cpu"] = statistics.median(start[1] for start in starts)
        figures["p50"], figures["p95"] = starts[0][2:]
        return figures


def print_profiles(code: Path, project: Path, size: int) -> None:
    """The top lines of a profile of each warm command, and of the server until its first answer:
    by cumulative time, and for the no-op build and the server also by time in the function itself."""
    for args in (["list"], ["check"], ["build", "--all"], ["serve"]):
        sorts = ("cumulative", "tottime") if args[0] in ("build", "serve") else ("cumulative",)
        for sort in sorts:
            top = profile_top(code, project, args, sort=sort)
            print(f"  profile of a warm {' '.join(args)} ({size} records), top lines by {sort}:\n{top}", flush=True)


def failing_as_nan(measure: Any, *args: Any, **options: Any) -> float:
    """The figure, or NaN (printed as "fails") when the command fails: older code could not build
    the catalog page of 2,000 records, so its no-op build fails there."""
    try:
        return measure(*args, **options)
    except SystemExit as failure:
        print(f"  (failed: {str(failure.code).strip().splitlines()[-1][:200]})", flush=True)
        return float("nan")


def table(title: str, results: dict[int, dict[str, float]]) -> str:
    lines = [title, f"{'records':>8} {'leaflets':>9} {'list warm':>10} {'check warm':>11} {'no-op build':>12} "
                    f"{'server start':>13} {'PDF p50':>8} {'PDF p95':>8}"]
    for size, f in results.items():
        f = {name: value if value == value else float("inf") for name, value in f.items()}  # NaN: it failed
        lines.append(f"{size:>8,} {size * 12:>9,} {f['list']:>9.2f}s {f['check']:>10.2f}s {f['build']:>11.2f}s "
                     f"{f['start']:>12.2f}s {f['p50'] * 1000:>6.1f}ms {f['p95'] * 1000:>6.1f}ms")
    lines.append(f"{'target':>8} {'(2,000)':>9} {'< 1':>9}s {'< 10':>10}s {'< 2':>11}s {'< 2':>12}s "
                 f"{'':>8} {'< 20':>6}ms")
    lines.append("CPU seconds (median of the timed runs; in calibration pages):")
    for size, f in results.items():
        lines.append(f"{size:>8,} " + "  ".join(
            f"{name} {f.get(name + '_cpu', float('nan')):.2f} CPU-s ({in_pages(f.get(name + '_cpu', float('nan')), CALIBRATED)})"
            for name in ("list", "check", "build", "start")))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,1000,2000", help="numbers of records, comma-separated")
    parser.add_argument("--code", type=Path, default=REPO / "src", help="the src/ folder to measure")
    parser.add_argument("--before", type=Path, help="also measure this older src/ folder, each figure once")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each command (the median is shown)")
    parser.add_argument("--requests", type=int, default=200, help="prebuilt PDF requests per size")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--languages", help="the library's languages, such as 'en' (default: the shipped six)")
    parser.add_argument("--profile", action="store_true", help="print the top lines of a profile of list and check")
    parser.add_argument("--no-warm-up", action="store_true", help="time each command from its first run "
                        "(for code that caches nothing, such as --before's)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    global CALIBRATED
    CALIBRATED = calibration()
    print(f"{os.cpu_count()} cores; sizes {sizes}; languages {args.languages or 'the shipped six'}, regular and "
          f"large print; calibration {CALIBRATED} CPU-s per page; load average {os.getloadavg()[0]:.1f}", flush=True)
    results: dict[str, dict[int, dict[str, float]]] = {"after": {}, "before": {}}
    with tempfile.TemporaryDirectory(prefix="leaflets-scale-base-") as temporary:
        base = base_build(Path(temporary))
        for size in sizes:
            if args.before:
                results["before"][size] = measure(args.before, size, base, 1, args.requests, fill=False,
                                                  languages=args.languages)
                print(f"before, {size}: {results['before'][size]}", flush=True)
            results["after"][size] = measure(args.code, size, base, args.runs, args.requests, fill=not args.no_warm_up,
                                             languages=args.languages, profile=args.profile)
            print(f"after, {size}: {results['after'][size]}", flush=True)
    if args.before:
        print(table(f"before ({args.before})", results["before"]))
    print(table(f"now ({args.code})", results["after"]))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
