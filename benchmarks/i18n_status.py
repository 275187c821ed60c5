"""How `leaflets i18n status` grows with the library when a language has just been started.

Explaining each refused leaflet names where its English comes from, which takes an extraction
of the whole project; it is now done once per state of the files, not once per leaflet. This
prints the time and peak memory of `i18n status` with a new, empty German catalog for libraries
of 10, 50 and 100 records (copies of the shipped ones), so the growth can be read off:

    .venv/bin/python benchmarks/i18n_status.py [--sizes 10 50 100]

Target: linear growth; 100 records in under 10 s.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PEAK = (
    "import re,sys,runpy;sys.argv=['leaflets',*sys.argv[1:]];\ntry: runpy.run_module('leaflets', run_name='__main__')\n"
    "except SystemExit: pass\n"
    "print(int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))//1024, file=sys.stderr)"
)


def library(target: Path, size: int) -> Path:
    """A project with ``size`` records (the shipped ones, copied under new ids) and an empty German catalog."""
    for folder in ("templates", "locales"):
        shutil.copytree(REPO / folder, target / folder)
    shutil.copy(REPO / "babel.cfg", target / "babel.cfg")
    shutil.copytree(REPO / "content" / "clinics", target / "content" / "clinics")
    records = sorted((REPO / "content" / "procedures").glob("*.yaml"))
    (target / "content" / "procedures").mkdir(parents=True)
    for number in range(size):
        source = records[number % len(records)]
        new_id = f"{source.stem}-{number:04d}"
        text = source.read_text(encoding="utf-8").replace(f"id: {source.stem}", f"id: {new_id}", 1)
        (target / "content" / "procedures" / f"{new_id}.yaml").write_text(text, encoding="utf-8")
    clinic = target / "content" / "clinics" / "example.yaml"
    clinic.write_text(re.sub(r"languages: \[.*\]", "languages: [en, de]", clinic.read_text()))
    leaflets = [sys.executable, "-m", "leaflets", "--root", str(target)]
    subprocess.run([*leaflets, "i18n", "extract"], check=True, capture_output=True)
    subprocess.run([*leaflets, "i18n", "init", "de"], check=True, capture_output=True)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 100])
    args = parser.parse_args()
    print(f"{'records':>8} {'seconds':>8} {'per record':>11} {'peak MB':>8}")
    with tempfile.TemporaryDirectory() as scratch:
        for size in args.sizes:
            root = library(Path(scratch) / f"library-{size}", size)
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", PEAK, "--root", str(root), "i18n", "status"], capture_output=True, text=True
            )
            seconds = time.perf_counter() - started
            peak = int(done.stderr.strip().splitlines()[-1])
            print(f"{size:>8} {seconds:>8.2f} {seconds / size * 1000:>9.0f} ms {peak:>8}")


if __name__ == "__main__":
    main()
