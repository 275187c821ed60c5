"""What the hostile-input tests share: a project of one leaflet (two PDFs), built or not."""

from __future__ import annotations

import pytest

from helpers import one_leaflet
from leaflets.build.batch import build_clinic
from leaflets.model.project import Project


@pytest.fixture
def built(project) -> Project:
    """``one_leaflet`` of a copy of the project, built into its dist/."""
    the_project = one_leaflet(project)
    report = build_clinic(the_project, "example", jobs=1)
    assert (len(report.built), report.failed) == (2, [])
    return the_project
