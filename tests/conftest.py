"""Shared fixtures: the repository, copies of projects to build into, and PDF readers."""

from __future__ import annotations

import fcntl
import os
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from helpers import REPO, SAMPLE
from leaflets.build.batch import build_clinic
from leaflets.cli import main
from leaflets.model.project import Project

# "Today" for every test and every process a test starts: the day the expected outputs hold
# (review due in N days, "Out of date", the shipped content passing `check --strict`), so the suite
# passes in any year. The code reads the day from SOURCE_DATE_EPOCH (leaflets.model.day.build_day);
# a test that needs another day sets it itself.
TODAY = date(2026, 12, 1)
os.environ["SOURCE_DATE_EPOCH"] = str(int(datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC).timestamp()))


def copy_project(source: Path, target: Path) -> Path:
    """A throw-away project: ``source``'s content with the repository's templates and locales."""
    shutil.copytree(source / "content", target / "content")
    shutil.copytree(REPO / "templates", target / "templates")
    if (REPO / "locales").is_dir():
        shutil.copytree(REPO / "locales", target / "locales", ignore=shutil.ignore_patterns("*.mo"))
    shutil.copy(REPO / "babel.cfg", target / "babel.cfg")
    return target


# The files that hold the longest tests, longest first. scripts/test.sh hands each xdist worker a file at a
# time in collection order (--no-loadscope-reorder), so these start first and the many short tests of the
# other files fill in at the end: the two workers finish together. The first builds ``built_example`` early
# (its fifth test needs it) while the second runs the browser tests, which need it only at their end.
LONGEST_FIRST = (
    "test_hostile_surroundings.py", "test_clinicians_page.py", "test_batch.py", "test_cli.py", "test_failing_alone.py",
    "test_printed_as_written.py", "test_web_version.py", "test_i18n.py", "test_cluster.py", "test_web.py", "test_pdf.py",
    "test_processes.py", "test_approvals.py", "test_pages.py", "test_fuzz.py", "test_approval_binding.py", "test_pictures.py",
    "test_network.py", "test_change_by_content.py", "test_special_files.py", "test_own_files.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: place for place, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONGEST_FIRST)))  # stable: each file's own order stays


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the shipped project, safe to build into and to break."""
    return copy_project(REPO, tmp_path / "project")


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """The small test project of tests/data/sample (with one broken record on purpose)."""
    return copy_project(SAMPLE, tmp_path / "sample")


@pytest.fixture(scope="session")
def built_example(tmp_path_factory) -> Path:
    """The shipped project with the example clinic built (every language, regular and large print), made once per
    run and shared by every test that needs a built clinic, across xdist workers too. Read only: a test that
    changes it takes ``built_project``, its own copy."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, above each worker's own
    root, done = shared / "built-example", shared / "built-example.done"
    with open(shared / "built-example.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker builds; the others wait for it, then read
        if not done.exists():
            shutil.rmtree(root, ignore_errors=True)
            report = build_clinic(Project(copy_project(REPO, root)), "example")
            assert report.ok and len(report.built) == 60, report
            done.touch()
    return root


def copy_built(built: Path, target: Path) -> Path:
    """A copy of a built project (content, catalogs and dist/), safe to change and to build into again."""
    shutil.copytree(built, target, symlinks=True, ignore=shutil.ignore_patterns(".build.lock"))
    return target


@pytest.fixture
def built_project(built_example: Path, tmp_path: Path) -> Path:
    """A copy of ``built_example``, the test's own."""
    return copy_built(built_example, tmp_path / "project")


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, driven by Playwright: one per test module."""
    sync = pytest.importorskip("playwright.sync_api")
    with sync.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        yield chromium
        chromium.close()


@pytest.fixture
def cli(capsys):
    """Run the command line in-process; returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def folded(text: str) -> str:
    return " ".join(text.split())


def comparable(text: str) -> str:
    """Folded, without hyphens: pdftotext joins a word broken after a hyphen ('X-' 'ray' -> 'Xray')."""
    return folded(text).replace("-", "")


# Property tests: a bounded, repeatable run by default (as in CI); a long exploratory one with
#   .venv/bin/python -m pytest tests/test_fuzz.py --hypothesis-profile=long
settings.register_profile(
    "ci", max_examples=40, derandomize=True, database=None, deadline=timedelta(seconds=30),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "long", max_examples=2_000, deadline=timedelta(seconds=30),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("ci")
