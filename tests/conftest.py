"""Shared fixtures: the repository, copies of projects to build into, and PDF readers."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from helpers import REPO, SAMPLE
from leaflets.cli import main

# "Today" for every test and every process a test starts: the day the expected outputs hold
# (review due in N days, "Out of date", the shipped content passing `check --strict`), so the suite
# passes in any year. The code reads the day from SOURCE_DATE_EPOCH (leaflets.model.content.build_day);
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


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the shipped project, safe to build into and to break."""
    return copy_project(REPO, tmp_path / "project")


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """The small test project of tests/data/sample (with one broken record on purpose)."""
    return copy_project(SAMPLE, tmp_path / "sample")


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
