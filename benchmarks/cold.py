#!/usr/bin/env python3
"""One leaflet from a cold `leaflets build`, against a cold WeasyPrint, and a translated leaflet.

    .venv/bin/python benchmarks/cold.py                    # this checkout's src/
    .venv/bin/python benchmarks/cold.py --code /tmp/old/src
                                                           # older code (git archive REV | tar -x -C /tmp/old)

In a temporary copy of the project, each a fresh process, --runs times (the median is quoted):
  (w) `import weasyprint` and a one-page render: the floor any leaflet from the command line pays;
  (e) `leaflets build dialysis-fistula-creation --output x.pdf`, English;
  (t) the same with --lang es.
CPU seconds include every process the command waited for; each figure is also in calibration pages
(measure.py). Targets: (e) <= 2.5x (w); (t) <= 1.3x (e). Then the top lines of a profile of (e).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from batch import make_project  # noqa: E402
from measure import REPO, calibration, in_pages, leaflets, profile_top, run  # noqa: E402

RECORD = "dialysis-fistula-creation"
WEASYPRINT = [sys.executable, "-c", "import weasyprint; weasyprint.HTML(string='<p>One page</p>').write_pdf()"]


def median_cpu(command: list[str], cwd: Path, runs: int) -> float:
    run(command, cwd)  # the first run fills the project's caches, as any earlier command would have
    return statistics.median(run(command, cwd)[1] for _ in range(runs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=REPO / "src", help="the src/ folder to measure")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    calibrated = calibration()
    with tempfile.TemporaryDirectory() as temporary:
        project = make_project(Path(temporary), 0, None)
        floor = median_cpu(WEASYPRINT, project, args.runs)
        english = median_cpu(leaflets(args.code, "build", RECORD, "--output", "en.pdf"), project, args.runs)
        spanish = median_cpu(leaflets(args.code, "build", RECORD, "--lang", "es", "--output", "es.pdf"), project, args.runs)
        top = profile_top(args.code, project, ["build", RECORD, "--output", "profiled.pdf"])
    print(f"code {args.code}; calibration {calibrated} CPU-s per page; CPU seconds, median of {args.runs} cold runs")
    for name, cpu in (("(w) import weasyprint + 1-page render", floor), ("(e) leaflets build, English", english),
                      ("(t) leaflets build --lang es", spanish)):
        print(f"{name:<40} {cpu:6.2f} CPU-s  ({in_pages(cpu, calibrated)})")
    print(f"(e)/(w) = {english / floor:.2f}x (target <= 2.5x): {'pass' if english <= 2.5 * floor else 'FAIL'}")
    print(f"(t)/(e) = {spanish / english:.2f}x (target <= 1.3x): {'pass' if spanish <= 1.3 * english else 'FAIL'}")
    print(f"profile of (e), top lines by cumulative time:\n{top}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
