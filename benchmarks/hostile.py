#!/usr/bin/env python3
"""How fast and how cheaply hostile inputs are refused: content files, then a case of every category.

    .venv/bin/python benchmarks/hostile.py

First, for each attack on the YAML reader, a record is written into a temporary folder and read
in a fresh process, 3 times. Prints the median time to the refusal (wall time of the whole
command, Python start-up included, and the time inside the reader alone) and the process's peak
memory. Target: refused in well under 1 s, memory under 200 MB.

Then a case of every category of SECURITY.md's "What is promised" (sizes, encodings, special
files, control characters, dates, ports and addresses, network waits; tests/hostile/): each is
run once as a command in a fresh process against a temporary copy of the project, and prints its
outcome (the exit code and the first line it said) and its wall time. Target: each a one-line
refusal with exit 1, in seconds; the whole script in under a minute or two.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNS = 3
CATALOG = Path("locales") / "es" / "LC_MESSAGES" / "messages.po"

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from helpers import BILLION_LAUGHS  # noqa: E402  (the tests refuse the same attacks)

ATTACKS = {
    "billion laughs": BILLION_LAUGHS,
    "100,000-deep nesting": "title: " + "[" * 100_000 + "]" * 100_000,
    "10 MB file": "title: " + "x" * 10 * 1024 * 1024,
    "7.9 MB of one text": "title: " + "x" * (8 * 1024 * 1024 - 100),
    "3 million values": "title: [" + "1," * 3_000_000 + "]",
    "NUL byte": "id: nul\ntitle: A\x00B\n",
    "not UTF-8": b"id: x\ntitle: Caf\xe9\n",
}
MEASURE = """
import re, sys, time
from pathlib import Path
from leaflets.model.project import load_procedure
from leaflets.errors import LeafletError
started = time.perf_counter()
try:
    load_procedure(Path(sys.argv[1]))
    outcome = "ACCEPTED"
except LeafletError as exc:
    outcome = " | ".join(line.split(": ", 1)[-1] for line in str(exc).splitlines())
peak_mb = int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) // 1024
print(time.perf_counter() - started, peak_mb, outcome, sep="\\t")
"""


def measure(path: Path) -> tuple[float, float, int, str]:
    walls, reads, peaks, outcome = [], [], [], ""
    for _ in range(RUNS):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, check=True)
        walls.append(time.perf_counter() - started)
        read, peak, outcome = done.stdout.strip().split("\t")
        reads.append(float(read))
        peaks.append(int(peak))
    return statistics.median(walls), statistics.median(reads), max(peaks), outcome


def main() -> int:
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        baseline = folder / "dialysis-fistula-creation.yaml"
        shutil.copy(REPO / "content" / "procedures" / baseline.name, baseline)
        rows = [("a real record (for comparison)", *measure(baseline))]
        for name, text in ATTACKS.items():
            path = folder / "attack.yaml"
            path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
            rows.append((name, *measure(path)))
    print(f"{'ATTACK':32} {'COMMAND':>8} {'READER':>8} {'PEAK':>7}  OUTCOME")
    for name, wall, read, peak, outcome in rows:
        print(f"{name:32} {wall:7.2f}s {read * 1000:6.1f}ms {peak:5d}MB  {outcome[:70]}")
    slowest = max(row[2] for row in rows[1:])
    print(f"slowest refusal inside the reader: {slowest * 1000:.1f} ms (target < 1,000 ms); "
          f"peak memory {max(row[3] for row in rows)} MB (target < 200 MB)")
    print()
    return categories()


def categories() -> int:
    """A case of every category, each a command in a fresh process; its outcome and wall time."""
    from categories import CASES, slow_clients

    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary) / "project"
        for part in ("content", "templates", "locales"):
            shutil.copytree(REPO / part, root / part, ignore=shutil.ignore_patterns("*.mo"))
        shutil.copy(REPO / "babel.cfg", root)
        print(f"{'CATEGORY':16} {'CASE':44} {'TIME':>6}  EXIT  FIRST LINE")
        wrong = 0
        for category, name, prepare, args in CASES:
            undo = prepare(root)
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "leaflets", "--root", str(root), *args],
                                  capture_output=True, text=True, timeout=120, check=False, cwd=root)
            took = time.perf_counter() - started
            undo()
            said = done.stderr.strip().splitlines() or [line for line in done.stdout.splitlines() if ": error: " in line]
            one_line = len([line for line in done.stderr.splitlines() if line.strip()]) <= 1
            wrong += done.returncode == 0 or "Traceback" in done.stderr or not one_line
            print(f"{category:16} {name:44} {took:5.1f}s  {done.returncode:4}  {(said[0] if said else '-')[:90]}")
        served, took = slow_clients(root)
        print(f"{'network':16} {'a request while 100 slow clients hang':44} {took:5.1f}s  {'':4}  {served}")
    print(f"{wrong} case(s) not refused in one line with a non-zero exit (target 0)")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
