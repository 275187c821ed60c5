"""Special files where a file is read: a named pipe, a device, a folder. Each is one line, never read,
never waited on, so the command still ends (and still stops on SIGTERM)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import one_leaflet, set_languages
from leaflets.checks.pdf import check_pdf
from leaflets.model.digests import bytes_digest, file_digest


def leaflets(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The command in its own process: a hang would be stopped by the timeout and fail the test."""
    return subprocess.run([sys.executable, "-m", "leaflets", *map(str, args)], capture_output=True, text=True,
                          timeout=120, check=False, cwd=cwd)


def test_check_pdf_refuses_a_pipe_a_device_and_a_folder_without_reading_them(tmp_path):
    pipe = tmp_path / "leaflet.pdf"
    os.mkfifo(pipe)

    done = leaflets("check", "--pdf", pipe, "/dev/zero", tmp_path)

    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"{pipe}: error: leaflet.pdf: is not a file (a folder, a pipe or a device); a PDF must be a regular file",
        "/dev/zero: error: zero: is not a file (a folder, a pipe or a device); a PDF must be a regular file",
        f"{tmp_path}: error: {tmp_path.name}: is not a file (a folder, a pipe or a device); a PDF must be a regular file",
        "3 PDF(s): 3 problem(s) found",
    ]


def test_check_pdf_of_a_missing_file_or_one_that_is_not_a_pdf_is_one_finding(tmp_path):
    text = tmp_path / "notes.pdf"
    text.write_text("not a PDF at all")

    assert [f.message for f in check_pdf(tmp_path / "gone.pdf")] == ["cannot read the file: No such file or directory"]
    assert [f.message.split(":")[0] for f in check_pdf(text)] == ["not a readable PDF"]


@pytest.mark.parametrize("kind", ["pipe", "folder"])
def test_a_termbase_that_is_not_a_file_is_one_line_in_check(project, kind):
    one_leaflet(project)
    set_languages(project, "en, es")  # what check reads: one record, in English and Spanish
    termbase = project / "locales" / "es" / "termbase.csv"
    termbase.unlink()
    os.mkfifo(termbase) if kind == "pipe" else termbase.mkdir()

    done = leaflets("--root", project, "check")

    assert done.returncode == 1
    assert (f"{termbase}: error: termbase [es]: is not a file (a folder, a pipe or a device); a termbase must be a "
            "regular file") in done.stdout


def test_a_catalog_that_is_a_pipe_is_one_line_naming_it(project, tmp_path):
    catalog = project / "locales" / "es" / "LC_MESSAGES" / "messages.po"
    catalog.unlink()
    os.mkfifo(catalog)

    done = leaflets("--root", project, "build", "dialysis-fistula-creation", "--lang", "es",
                    "--output", tmp_path / "x.pdf")

    assert done.returncode == 1 and not (tmp_path / "x.pdf").exists()
    assert done.stderr == f"{catalog}: is not a file (a folder, a pipe or a device); a catalog is a .po text file\n"


def test_telling_a_change_never_reads_a_pipe_a_device_or_a_folder(tmp_path):
    pipe = tmp_path / "record.yaml"
    os.mkfifo(pipe)
    regular = tmp_path / "plain.yaml"
    regular.write_text("id: x\n")

    assert [file_digest(path) for path in (pipe, Path("/dev/zero"), tmp_path)] == [None, None, None]
    assert file_digest(regular) == bytes_digest(b"id: x\n")
