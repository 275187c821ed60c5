"""Building every leaflet of a clinic: incremental, parallel, atomic, with a catalog page."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import REPO, remove_records, set_languages
from leaflets.build.batch import build_clinic, exclusive
from leaflets.errors import UsageError
from leaflets.model.project import Project


def two_languages(project: Path) -> Project:
    return set_languages(project, "en, es")


def two_records_two_languages(project: Path) -> Project:
    """Enough leaflets to tell what a build made from what it left alone (2 records x 2 languages x 2 sizes)."""
    remove_records(project, "coronary-blockage-opening", "foot-vein-arterialization", "kidney-tube-tract-widening")
    return two_languages(project)


def names(paths: list[Path], project: Path) -> list[str]:
    return sorted(str(p.relative_to(project / "dist" / "example")) for p in paths)


def test_rebuilds_only_what_changed(project):
    the_project = two_records_two_languages(project)
    first = build_clinic(the_project, "example", jobs=2)
    assert (len(first.built), first.refused, first.failed) == (8, [], [])

    again = build_clinic(the_project, "example", jobs=2)
    assert (again.built, len(again.unchanged)) == ([], 8)

    record = project / "content" / "procedures" / "dialysis-fistula-creation.yaml"
    record.write_text("# a comment, and white space changes nothing\n\n" + record.read_text().replace("\n", "  \n", 3))
    assert build_clinic(the_project, "example").built == []

    codes = 'codes: {cpt: ["36836", "36837"]}'
    record.write_text(record.read_text().replace(codes, 'codes: {cpt: ["36836", "36837"], hcpcs: "G0000"}'))
    assert names(build_clinic(the_project, "example").built, project) == [
        "en/dialysis-fistula-creation-large-print.pdf", "en/dialysis-fistula-creation.pdf",
        "es/dialysis-fistula-creation-large-print.pdf", "es/dialysis-fistula-creation.pdf",
    ]

    catalog = project / "locales" / "es" / "LC_MESSAGES" / "messages.po"
    catalog.write_text(catalog.read_text().replace('msgstr "Riesgos"', 'msgstr "Los riesgos"', 1))
    assert names(build_clinic(the_project, "example").built, project) == sorted(
        f"es/{p}{s}.pdf" for p in the_project.procedure_ids() for s in ("", "-large-print"))

    template = project / "templates" / "leaflet.html"
    template.write_text(template.read_text().replace('class="about"', 'class="about colophon"'))
    assert len(build_clinic(the_project, "example").built) == 8


@pytest.mark.timeout(900)  # whichever test asks first for built_example builds the clinic (60 PDFs) in its setup
def test_manifest_and_catalog_page(built_example):
    out = built_example / "dist" / "example"  # the shared build: Spanish among its languages
    manifest = json.loads((out / "manifest.json").read_text())
    entry = next(e for e in manifest["files"] if e["file"] == "es/kidney-tube-tract-widening-large-print.pdf")
    assert entry["version"] == "1.0" and entry["status"] == "built" and entry["large_print"] is True
    assert len(entry["sha256"]) == 64 and len(entry["input_key"]) == 64
    import hashlib
    assert hashlib.sha256((out / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]

    index = (out / "index.html").read_text()
    assert '<span lang="es">español</span>' in index
    assert 'href="es/kidney-tube-tract-widening-large-print.pdf"' in index
    for link in re.findall(r'href="([^"]+\.pdf)"', index):
        assert (out / link).is_file()
    assert "Draft" in index and "Making a fistula in your arm for dialysis" in index


@pytest.mark.timeout(900)  # whichever test asks first for built_example builds the clinic (60 PDFs) in its setup
def test_a_refused_translation_is_listed_and_its_old_pdf_removed(built_project):
    project, the_project = built_project, Project(built_project)  # the example clinic, built in six languages
    record = project / "content" / "procedures" / "coronary-blockage-opening.yaml"
    record.write_text(record.read_text().replace("    A heart artery,", "    Changed today. A heart artery,", 1))
    report = build_clinic(the_project, "example")
    assert len(report.refused) == 2 * 5 and not report.ok  # regular and large print in each of the five translations
    out = project / "dist" / "example"
    assert not (out / "es" / "coronary-blockage-opening.pdf").exists()
    assert (out / "en" / "coronary-blockage-opening.pdf").exists()
    assert "Translation refused" in (out / "index.html").read_text()
    assert len(build_clinic(the_project, "example").refused) == 2 * 5  # still refused, and still said so


def test_a_broken_record_fails_alone(project):
    remove_records(project, "coronary-blockage-opening", "dialysis-access-clot-removal", "kidney-tube-tract-widening")
    the_project = two_languages(project)  # the broken record and one good one
    record = project / "content" / "procedures" / "foot-vein-arterialization.yaml"
    record.write_text(record.read_text().replace("recovery:", "recovry:", 1))
    report = build_clinic(the_project, "example")
    assert len(report.built) == 4
    assert len(report.failed) == 2 and "recovry: unknown key 'recovry' (did you mean recovery?)" in report.failed[1]


def test_a_second_build_into_the_same_dist_stops_with_a_clear_message(project):
    the_project = two_languages(project)
    busy = r"another build is writing .*dist/example \(pid \d+\); wait for it"
    with exclusive(project / "dist" / "example"), pytest.raises(UsageError, match=busy):
        build_clinic(the_project, "example")


def test_a_killed_build_leaves_every_pdf_whole_and_the_next_build_completes(project):
    two_records_two_languages(project)  # 8 leaflets, killed after the third
    build = subprocess.Popen(
        [sys.executable, "-m", "leaflets", "--root", str(project), "build", "--all", "--force", "--jobs", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env=os.environ | {"TMPDIR": str(project)},  # where a killed process leaves WeasyPrint's copy of the fonts
    )
    seen = 0
    while seen < 3:  # wait until it is well under way
        line = build.stderr.readline()
        assert line, "the build ended before it could be killed"
        seen += "] built " in line
    build.send_signal(signal.SIGKILL)
    build.wait()
    pdfs = list((project / "dist").rglob("*.pdf"))
    assert pdfs
    for pdf in pdfs:
        assert subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True).returncode == 0, pdf
    time.sleep(0.2)  # the killed build's workers notice their parent is gone
    finished = subprocess.run(
        [sys.executable, "-m", "leaflets", "--root", str(project), "build", "--all"], capture_output=True, text=True
    )
    assert finished.returncode == 0, finished.stderr
    assert len(list((project / "dist").rglob("*.pdf"))) == 8
    assert not list((project / "dist").rglob(".*.part"))


@pytest.mark.benchmark
@pytest.mark.timeout(660)  # a benchmark run shortened, with its own 600 s limit
def test_the_benchmark_prints_every_figure():
    """benchmarks/batch.py, shortened to one procedure in English (two leaflets) and one round; its targets are read
    by people, not asserted."""
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "batch.py"), "--procedures", "1", "--languages", "en", "--runs", "1",
         "--skip-naive"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("2 leaflets (1 procedures)")
    for figure in (
        r"\(b\) build --all: median [\d.]+ s of 1 runs",
        r"no-op rebuild [\d.]+ s",
        r"peak memory \d+ MB",
        r"\(c\) floor: mean warm render [\d.]+ s \(of 2\)",
        r"\(b\)/\(c\): [\d.]+x the floor",
        r"\(b\) CPU: median [\d.]+ CPU-s, [\d.]+ CPU-s per PDF = "
        r"([\d.]+ calibration pages \(each build: [\d.]+ at [\d.]+ CPU-s per page\)|no calibration)",
    ):
        assert re.search(figure, done.stdout), (figure, done.stdout)
