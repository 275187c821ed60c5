#!/usr/bin/env python3
"""The local worker pool against two Dask workers on the same cores: what the cluster costs.

    .venv/bin/python benchmarks/dask_build.py [--rounds 2] [--languages "en, es"]

Copies the project to a temporary folder, starts a Dask scheduler and two single-threaded
workers on loopback (real processes, as `dask scheduler` / `dask worker` on a cluster), then
times, in alternating rounds so both span the same minutes of a machine whose speed drifts:

  local  `leaflets build --all --force --jobs N`   (N = this machine's cores)
  dask   `leaflets build --all --force --scheduler tcp://127.0.0.1:PORT`

Each is a whole command, start to end: planning, warming the renderers (the local pool forks
warm workers; the Dask workers are warmed by the plugin), rendering, writing dist/. Prints the
median of each, the ratio dask/local (the cluster's overhead; near 1 is the aim) and the cost
of one leaflet (seconds x cores / leaflets), from which the README works out 10 machines.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from batch import make_project  # noqa: E402  (the batch benchmark's copy of the project)

from helpers import free_port  # noqa: E402  (the tests' own helpers)

DASK = str(Path(sys.executable).parent / "dask")
LEAFLETS = [sys.executable, "-m", "leaflets"]


def start_cluster(workers: int, logs: Path) -> tuple[str, list[subprocess.Popen]]:
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"}
    processes = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=(logs / "scheduler.log").open("w"))]
    processes += [subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"],
                                   env=env, stdout=subprocess.DEVNULL, stderr=(logs / f"worker{n}.log").open("w"))
                  for n in range(workers)]
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, processes


def timed_build(project: Path, *options: str) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run([*LEAFLETS, "build", "--all", "--force", *options], cwd=project, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    built = re.search(r"built (\d+), unchanged 0, refused 0, failed 0", done.stderr)
    if done.returncode != 0 or not built:
        sys.exit(f"build {' '.join(options)} failed:\n{done.stderr[-3000:]}")
    return seconds, int(built[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="timed builds of each kind (the median is shown)")
    parser.add_argument("--languages", help="limit the clinic's languages, e.g. 'en, es'")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="leaflets-dask-") as temporary:
        project = make_project(Path(temporary) / "project", 0, args.languages)
        address, processes = start_cluster(cores, Path(temporary))
        try:
            local, dask = [], []
            for _ in range(args.rounds):
                seconds, leaflets = timed_build(project, "--jobs", str(cores))
                local.append(seconds)
                dask.append(timed_build(project, "--scheduler", address)[0])
        finally:
            for process in reversed(processes):
                process.terminate()
            for process in processes:
                process.wait(timeout=30)
    local_median, dask_median = statistics.median(local), statistics.median(dask)
    per_leaflet = local_median * cores / leaflets
    print(f"{leaflets} leaflets, {cores} cores, {args.rounds} round(s)")
    print(f"local pool ({cores} workers): median {local_median:.1f} s ({', '.join(f'{s:.1f}' for s in local)})")
    print(f"Dask ({cores} workers):       median {dask_median:.1f} s ({', '.join(f'{s:.1f}' for s in dask)})")
    print(f"ratio Dask / local: {dask_median / local_median:.2f}")
    print(f"one leaflet costs {per_leaflet:.2f} core-seconds (local build, start-up included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
