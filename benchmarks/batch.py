#!/usr/bin/env python3
"""How fast `leaflets build --all` is, against the naive way and against the floor.

    .venv/bin/python benchmarks/batch.py                 # the example clinic: 60 leaflets
    .venv/bin/python benchmarks/batch.py --synthesize 500 --languages en --runs 1 --skip-naive
                                                         # 1,000 renders: memory stays flat
    .venv/bin/python benchmarks/batch.py --procedures 1 --languages en --runs 1 --skip-naive
                                                         # 2 leaflets: every figure, in seconds (the tests)

Prints, from one run on the same leaflets (in a temporary copy of the project):
  (a) naive: one fresh `leaflets build` process per leaflet, one after another;
  (b) `leaflets build --all --force` (median of --runs) and a no-op rebuild;
  (c) the floor: the mean warm render time of a leaflet x leaflets / cores, i.e. their CPU over the cores
      (a median falls short of it: large print takes up to twice as long as the shortest leaflet);
  and the peak memory of a whole build (PSS of its process tree), from a run of its own.
Targets: (b) at least 6x faster than (a) and within 1.1x of (c); (b) at most 8 calibration pages of CPU
per PDF (measure.py: this machine's CPU-seconds per page of a fixed WeasyPrint job, taken right after
each timed build and dividing that build's CPU); peak memory
<= 600 MB. Then the top lines of a profile of the warm renders of (c), by cumulative and by own time.

This machine's speed drifts (it is a VM with neighbours), so (a), (b) and (c) are measured in
rounds: each round times one build, a share of the naive builds and a share of the warm renders.
Every figure then spans the same minutes. The timed builds run unobserved: reading their memory
ten times a second cost the machine about a tenth of a core, and it is done in a separate run.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))  # the warm renders and the plan use the package itself
sys.path.insert(0, str(Path(__file__).resolve().parent))
LEAFLETS = [sys.executable, "-m", "leaflets"]


def make_project(target: Path, synthesize: int, languages: str | None, procedures: int | None = None) -> Path:
    for folder in ("content", "templates", "locales"):
        shutil.copytree(REPO / folder, target / folder, ignore=shutil.ignore_patterns("*.mo"))
    shutil.copy(REPO / "babel.cfg", target / "babel.cfg")
    clinic = target / "content" / "clinics" / "example.yaml"
    if languages:
        clinic.write_text(re.sub(r"languages: \[.*\]", f"languages: [{languages}]", clinic.read_text()))
    records = sorted((target / "content" / "procedures").glob("*.yaml"))
    if procedures is not None:
        for left_out in records[procedures:]:
            left_out.unlink()
        records = records[:procedures]  # and the clinic's named packets, which may name a record left out
        clinic.write_text(re.sub(r"(?m)^packets:\n(?:[ #].*\n|\n)*", "", clinic.read_text()))
    for n in range(synthesize):
        source = records[n % len(records)]
        new_id = f"synthetic-{n:04d}"
        text = source.read_text(encoding="utf-8").replace(f"id: {source.stem}", f"id: {new_id}", 1)
        (source.parent / f"{new_id}.yaml").write_text(text, encoding="utf-8")
    return target


def leaflets_of(project: Path) -> list[tuple[str, str, bool]]:
    from leaflets.model.project import Project

    clinic = Project(project).load_clinic("example")
    ids = Project(project).procedure_ids()
    return [(i, lang, large) for i in ids for lang in clinic.languages for large in (False, True)]


def pss_of_tree(root_pid: int) -> int:
    """Proportional set size of a process and all its descendants, in bytes (shared pages split fairly)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            pass
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def watch_memory(args: list[str], cwd: Path) -> tuple[int, list[tuple[float, int]]]:
    """Peak PSS of a command's whole process tree, and (seconds, PSS) read ten times a second."""
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    samples: list[tuple[float, int]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.1):
            samples.append((time.perf_counter() - started, pss_of_tree(process.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    stop.set()
    sampler.join()
    if process.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{err}")
    return max((pss for _, pss in samples), default=0), samples


BATCH_CPU: list[float] = []  # CPU seconds of each timed build, its workers included


def run_timed(args: list[str], cwd: Path) -> float:
    from measure import run

    wall, cpu, _ = run(args, cwd)
    BATCH_CPU.append(cpu)
    return wall


def naive(project: Path, leaflets: list[tuple[str, str, bool]]) -> float:
    started = time.perf_counter()
    for procedure, lang, large in leaflets:
        command = [*LEAFLETS, "build", procedure, "--lang", lang, "--output", str(project / "naive.pdf")]
        subprocess.run(command + (["--large-print"] if large else []), cwd=project, check=True, capture_output=True)
    return time.perf_counter() - started


class WarmRenderer:
    """Renders leaflets in this process, after one render to warm it up, and times each."""

    def __init__(self, project: Path, first: tuple[str, str, bool]):
        from leaflets.build.leaflet import Builder
        from leaflets.model.project import Project

        the_project = Project(project)
        self.builder = Builder(the_project)
        self.clinic = the_project.load_clinic("example")
        self.procedures = {p.id: p for p in the_project.load_all_procedures()}
        self.render(first)

    def render(self, leaflet: tuple[str, str, bool]) -> float:
        procedure, lang, large = leaflet
        started = time.perf_counter()
        self.builder.pdf(self.builder.leaflet(self.procedures[procedure], self.clinic, lang, large))
        return time.perf_counter() - started


def pages_per_pdf(build_cpu: list[float], count: int, calibrations: list[float | None]) -> str:
    """Each timed build's CPU per PDF in the calibration taken right after it; their median, then each."""
    if None in calibrations:
        return "no calibration"
    pages = [cpu / count / calibrated for cpu, calibrated in zip(build_cpu, calibrations, strict=True)]
    each = ", ".join(f"{page:.1f} at {calibrated}" for page, calibrated in zip(pages, calibrations, strict=True))
    return f"{statistics.median(pages):.1f} calibration pages (each build: {each} CPU-s per page)"


def shares(items: list, count: int) -> list[list]:
    """``items`` cut into ``count`` nearly equal runs, in order."""
    return [items[len(items) * i // count: len(items) * (i + 1) // count] for i in range(count)]


def main() -> int:
    from measure import calibration

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthesize", type=int, default=0, help="add N synthetic procedures (copies under new ids)")
    parser.add_argument("--languages", help="limit the clinic's languages, e.g. 'en'")
    parser.add_argument("--procedures", type=int, help="keep only the first N procedures (by id)")
    parser.add_argument("--skip-naive", action="store_true", help="do not run (a), which takes minutes")
    parser.add_argument("--runs", type=int, default=3, help="how many times to run (b); the median is quoted")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    build_all = [*LEAFLETS, "build", "--all", "--force"]

    with tempfile.TemporaryDirectory() as temporary:
        project = make_project(Path(temporary), args.synthesize, args.languages, args.procedures)
        leaflets = leaflets_of(project)
        count = len(leaflets)
        print(f"{count} leaflets ({len({leaflet[0] for leaflet in leaflets})} procedures), {cores} cores, {args.runs} round(s)")

        peak, samples = watch_memory(build_all, project)
        warm = WarmRenderer(project, leaflets[0])
        sampled = leaflets if count <= 120 else leaflets[:120]
        batch_runs, naive_seconds, render_times, calibrations = [], 0.0, [], []
        for naive_share, render_share in zip(shares(leaflets, args.runs), shares(sampled, args.runs), strict=False):
            batch_runs.append(run_timed(build_all, project))
            calibrations.append(calibration())  # beside each build: the machine's speed drifts between rounds
            if not args.skip_naive:
                naive_seconds += naive(project, naive_share)
            render_times += [warm.render(leaflet) for leaflet in render_share]
        build_cpu = list(BATCH_CPU)  # before the no-op rebuilds add theirs
        batch_seconds, batch_cpu = statistics.median(batch_runs), statistics.median(build_cpu)
        profile = cProfile.Profile()
        profile.runcall(lambda: [warm.render(leaflet) for leaflet in sampled[:6]])
        noop_seconds = statistics.median(run_timed([*LEAFLETS, "build", "--all"], project) for _ in range(3))

        print(f"(b) build --all: median {batch_seconds:.1f} s of {args.runs} runs "
              f"({', '.join(f'{r:.1f}' for r in batch_runs)}); no-op rebuild {noop_seconds:.2f} s (median of 3)")
        print(f"    peak memory {peak / 1e6:.0f} MB (PSS of all its processes, sampled ten times a second "
              f"in a separate build)")
        if args.synthesize:
            tenths = [samples[int(len(samples) * f) - 1] for f in (0.1, 0.25, 0.5, 0.75, 1.0)]
            print("    memory over that build: " + ", ".join(f"{t:.0f} s {pss / 1e6:.0f} MB" for t, pss in tenths))
        mean = statistics.fmean(render_times)
        floor = mean * count / cores
        print(f"(c) floor: mean warm render {mean:.3f} s (of {len(render_times)}) x {count} / {cores} cores "
              f"= {floor:.1f} s")
        if not args.skip_naive:
            print(f"(a) naive, one process per leaflet: {naive_seconds:.1f} s ({naive_seconds / count:.2f} s per leaflet)")
            print(f"speed-up (a)/(b): {naive_seconds / batch_seconds:.1f}x (target >= 6x)")
        print(f"(b)/(c): {batch_seconds / floor:.2f}x the floor (target <= 1.1x)")
        in_pages = pages_per_pdf(build_cpu, count, calibrations)
        print(f"(b) CPU: median {batch_cpu:.1f} CPU-s, {batch_cpu / count:.2f} CPU-s per PDF = {in_pages} per PDF "
              f"(target <= 8; load average {os.getloadavg()[0]:.1f})")
        for order, lines in (("cumulative", 22), ("tottime", 14)):  # where the time is spent, and by whom
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(order).print_stats(lines)
            print(f"profile of 6 warm renders, top lines by {order}:\n   ncalls" + out.getvalue().split("ncalls", 1)[-1])
        print(f"peak memory: {peak / 1e6:.0f} MB (target <= 600 MB); no-op rebuild {noop_seconds:.2f} s (target <= 1 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
