"""What the hostile-input tests share: a project of one leaflet (two PDFs), built or not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import REPO, copy_project
from helpers import one_leaflet
from leaflets.build.batch import build_clinic
from leaflets.model.project import Project


@pytest.fixture(scope="session")
def one_leaflet_built(tmp_path_factory) -> Path:
    """``one_leaflet`` of the shipped project, built into its dist/ once per test process. Read only."""
    root = copy_project(REPO, tmp_path_factory.mktemp("one-leaflet") / "project")
    report = build_clinic(one_leaflet(root), "example", jobs=1)
    assert (len(report.built), report.failed) == (2, [])
    return root


@pytest.fixture
def built(one_leaflet_built: Path, tmp_path: Path) -> Project:
    """A copy of ``one_leaflet_built``, safe to change and to build into again. Its PDFs are as fresh to the
    manifest as a just-built clinic's: written within two seconds of it, so the next build hashes them."""
    target = tmp_path / "project"
    shutil.copytree(one_leaflet_built, target, symlinks=True, ignore=shutil.ignore_patterns(".build.lock"))
    return Project(target)
