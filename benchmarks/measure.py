"""What every benchmark reports beside its figures: this machine's calibration, the CPU time of a
command (its whole process tree), and the top lines of a profile.

The calibration is ``shared/tools/calibrate.py`` (a fixed WeasyPrint job; it prints this machine's
CPU-seconds per page): a figure divided by it is in *calibration pages*, which compare across
machines and across a machine's busy and quiet hours. Set ``LEAFLETS_CALIBRATE`` to its path if it
is not in ``../shared/tools/`` or ``/work/shared/tools/``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Runs `leaflets ARGS` from the code in sys.argv[1] under cProfile; prints the top lines (sorted by
# sys.argv[3]) to stderr. `leaflets serve` is profiled up to its first answer: the page made and its
# search page asked for once, in this process (its render workers, which start after, left out).
PROFILED = r"""
import cProfile, contextlib, io, pstats, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
profile = cProfile.Profile()
profile.enable()
if sys.argv[4] == "serve":
    from leaflets.model.project import Project
    from leaflets.web.app import create_app
    from leaflets.build.leaflet import Builder
    class NoWorkers:
        def close(self): pass
    project = Project(Path("."))
    Builder(project).check_clinic_files(project.load_clinic("example").id)
    assert create_app(project, "example", NoWorkers()).test_client().get("/").status_code == 200
else:
    from leaflets.cli import main
    with contextlib.redirect_stdout(io.StringIO()):
        main(sys.argv[4:])
profile.disable()
out = io.StringIO()
pstats.Stats(profile, stream=out).sort_stats(sys.argv[3]).print_stats(int(sys.argv[2]))
print(out.getvalue(), file=sys.stderr)
"""


def calibration() -> float | None:
    """This machine's CPU-seconds per page of the calibration job, or None if the tool is not found."""
    candidates = [os.environ.get("LEAFLETS_CALIBRATE", ""), REPO.parent / "shared" / "tools" / "calibrate.py",
                  Path("/work/shared/tools/calibrate.py")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            done = subprocess.run([sys.executable, str(candidate)], capture_output=True, text=True, check=True)
            return float(done.stdout.split()[0])
    return None


def in_pages(cpu_seconds: float, calibrated: float | None) -> str:
    return f"{cpu_seconds / calibrated:.1f} calibration pages" if calibrated else "no calibration"


def leaflets(code: Path, *args: str) -> list[str]:
    """The command running ``leaflets ARGS`` with the package in ``code`` (a src/ folder)."""
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(code)!r}); "
            "from leaflets.cli import main; sys.exit(main())", *args]


def run(command: list[str], cwd: Path, expect_ok: bool = True) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds of the command and every process it waited for, and its output."""
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    if expect_ok and done.returncode != 0:
        sys.exit(f"{' '.join(command[3:])} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout + done.stderr


def profile_top(code: Path, cwd: Path, args: list[str], lines: int = 18, sort: str = "cumulative") -> str:
    """The top ``lines`` of a cProfile of ``leaflets ARGS`` (by cumulative time, or ``sort``: "tottime"),
    as text. ``serve`` is profiled until its first answer (see ``PROFILED``)."""
    done = subprocess.run([sys.executable, "-c", PROFILED, str(code), str(lines), sort, *args], cwd=cwd,
                          capture_output=True, text=True)
    table = done.stderr.split("ncalls", 1)
    return ("   ncalls" + table[1]).rstrip() if len(table) == 2 else done.stderr[-2000:]
