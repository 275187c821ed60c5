"""One broken input stops only the leaflets that need it: in build --all, check, i18n status and serve."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import pdf_text, remove_records, set_languages
from leaflets.build.ondemand import make_pool
from leaflets.model.project import Project
from leaflets.web.app import create_app

CATALOG = "locales/fr/LC_MESSAGES/messages.po"
RECORDS = "content/procedures"


def break_the_french_catalog(project: Path) -> Path:
    path = project / CATALOG
    path.write_text(path.read_text(encoding="utf-8").replace('msgstr "Risques"', 'msgstr "Risques', 1), encoding="utf-8")
    return path


def pdfs(project: Path, lang: str) -> list[str]:
    return sorted(p.name for p in (project / "dist" / "example" / lang).glob("*.pdf"))


def leaflets(project: Path, *args: str) -> subprocess.CompletedProcess:
    """The command in its own process, with a time limit: a pipe among the records must not hang it."""
    return subprocess.run([sys.executable, "-m", "leaflets", "--root", str(project), *args],
                          capture_output=True, text=True, timeout=300)


def test_a_broken_catalog_stops_only_its_language(project):
    remove_records(project, "dialysis-access-clot-removal", "dialysis-fistula-creation", "foot-vein-arterialization",
                   "kidney-tube-tract-widening")
    set_languages(project, "en, es, fr")  # one record in three languages
    path = break_the_french_catalog(project)

    build = leaflets(project, "build", "--all")  # the default --jobs: every core
    assert build.returncode == 1
    problems = [line for line in build.stderr.splitlines() if not line.startswith("[")]
    assert problems[0].startswith(f"{path}:") and "end-of-line within string" in problems[0]
    assert problems[-1].startswith("built 4, unchanged 0, refused 0, failed ")
    assert len(pdfs(project, "en")) == len(pdfs(project, "es")) == 2 and pdfs(project, "fr") == []

    check = leaflets(project, "check")
    assert check.returncode == 1
    assert re.search(r"error: coronary-blockage-opening \[fr\]: cannot be built: .*messages\.po:\d+: end-of-line", check.stdout)
    assert re.search(
        r"^coronary-blockage-opening +es .* draft; translation not signed off$", check.stdout, re.MULTILINE
    )  # the others are checked
    assert re.search(r"^coronary-blockage-opening +fr .* refused$", check.stdout, re.MULTILINE)

    status = leaflets(project, "i18n", "status")
    assert status.returncode == 1
    header, *rows = status.stdout.splitlines()
    assert header.split() == ["PROCEDURE", "ar", "es", "fr", "vi", "zh_Hans"]
    assert len(rows) == 1 and all(row.split()[2] == "complete" and "catalog error" in row for row in rows)


def test_serve_starts_with_a_broken_catalog_and_says_so_for_that_language(project):
    set_languages(project, "en, es, fr")
    break_the_french_catalog(project)
    pool = make_pool(Project(project), "example", workers=1)
    try:
        client = create_app(Project(project), "example", pool).test_client()
        assert client.get("/").status_code == 200
        assert client.get("/pdf/es/dialysis-fistula-creation.pdf").status_code == 200
        refused = client.get("/pdf/fr/dialysis-fistula-creation.pdf")
        assert refused.status_code == 503 and "This translation is not ready" in refused.text
        assert "The translation file for this language has a mistake." in refused.text
        assert 'href="/pdf/en/dialysis-fistula-creation.pdf"' in refused.text
        form = client.get("/leaflet/dialysis-fistula-creation").text
        assert '<option value="fr">français (French)</option>' in form  # still offered, and explained when chosen
        answer = client.post("/leaflet/dialysis-fistula-creation", data={"lang": "fr", "patient_name": "A B"})
        assert answer.status_code == 503 and "The translation file for this language has a mistake." in answer.text
        # what was typed is kept (in an answer no one stores), with the English leaflet one click away
        assert 'value="A B"' in answer.text and answer.headers["Cache-Control"] == "no-store"
        assert 'name="instead" value="en"' in answer.text
    finally:
        pool.close()


def add_bad_files(project: Path) -> list[str]:
    """A record named unlike its id, a folder and a named pipe that look like records, and a broken record."""
    records = project / RECORDS
    shutil.copy(records / "dialysis-fistula-creation.yaml", records / "My_Proc.yaml")
    (records / "x.yaml").mkdir()
    os.mkfifo(records / "pipe.yaml")
    broken = records / "foot-vein-arterialization.yaml"
    broken.write_text(broken.read_text().replace("recovery:", "recovery: [", 1))
    return [
        f"{records}/My_Proc.yaml: the file name is the id, so it may hold only lowercase letters, digits and hyphens "
        "(such as my-proc.yaml)",
        f"{records}/pipe.yaml: is not a file (a folder, a pipe or a device); a content file is a .yaml text file",
        f"{records}/x.yaml: is not a file (a folder, a pipe or a device); a content file is a .yaml text file",
    ]


@pytest.mark.parametrize("command", [["build", "--all"], ["check"], ["i18n", "status"], ["list"]])
def test_badly_named_and_broken_records_are_one_line_each_and_stop_only_themselves(project, command):
    if command in (["build", "--all"], ["check"]):  # what they read: a good record and a translation, not four in six
        remove_records(project, "coronary-blockage-opening", "dialysis-access-clot-removal", "kidney-tube-tract-widening")
        set_languages(project, "en, es")  # each bad file is still one line
    expected = add_bad_files(project)
    done = leaflets(project, *command)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    for line in expected:
        assert lines.count(line) == 1, (line, done.stderr)
    assert sum("foot-vein-arterialization.yaml:" in line for line in lines) == 1
    if command == ["build", "--all"]:
        assert pdfs(project, "en") == ["dialysis-fistula-creation-large-print.pdf", "dialysis-fistula-creation.pdf"]
    else:
        assert "dialysis-fistula-creation" in done.stdout and "foot-vein-arterialization" not in done.stdout


def test_serve_starts_with_badly_named_and_broken_records(project):
    add_bad_files(project)
    pool = make_pool(Project(project), "example", workers=1)
    try:
        client = create_app(Project(project), "example", pool).test_client()
        page = client.get("/").text
        assert "/leaflet/dialysis-fistula-creation" in page and "/leaflet/foot-vein-arterialization" not in page
        assert client.get("/pdf/en/kidney-tube-tract-widening.pdf").status_code == 200
    finally:
        pool.close()


def test_serve_prints_although_the_prebuilt_leaflet_its_workers_warm_up_on_is_damaged(built_project):
    """Each worker warms up by writing throwaway details onto a prebuilt English leaflet (the first regular print by name);
    English leaflets cut short, that one among them, stop only themselves: the workers start and print the others."""
    for pdf in (built_project / "dist" / "example" / "en").glob("*.pdf"):
        if not pdf.name.startswith("dialysis-fistula-creation"):
            pdf.write_bytes(pdf.read_bytes()[:5000])  # as a disk that filled up would leave it
    pool = make_pool(Project(built_project), "example", workers=1)
    try:
        client = create_app(Project(built_project), "example", pool).test_client()
        answer = client.post("/leaflet/dialysis-fistula-creation", data={"lang": "en", "patient_name": "Ada Lovelace"})
        assert answer.status_code == 200 and "Ada Lovelace" in pdf_text(answer.data)
    finally:
        pool.close()
