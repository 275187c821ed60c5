"""Every file we read that is not valid UTF-8 is one line naming the file; digits of other scripts are refused.

Records, clinic files, catalogs, termbases, approvals and the approved texts beside them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import edit_record, one_leaflet, set_languages

CATALOG = Path("locales") / "es" / "LC_MESSAGES" / "messages.po"
LATIN1 = "Caf\xe9".encode("latin-1")  # what a spreadsheet saved in Windows-1252 writes


def test_a_termbase_that_is_not_utf8_is_one_line_in_check(cli, project):
    one_leaflet(project)
    set_languages(project, "en, es")  # what check reads: one record, in English and Spanish
    (project / "locales" / "es" / "termbase.csv").write_bytes(b"english,approved,note\nfistula,f\xedstula,\n")

    code, out, err = cli("--root", project, "check")

    assert code == 1
    assert "locales/es/termbase.csv:2: error: termbase [es]: the file is not UTF-8 text (byte 0xed); save it as UTF-8" in out
    assert "Traceback" not in out + err


def test_a_catalog_that_is_not_utf8_is_one_line_with_its_line(cli, project, tmp_path):
    path = project / CATALOG
    text = path.read_bytes()
    line = text[: text.index(b'msgstr "Abrir')].count(b"\n") + 1
    path.write_bytes(text.replace(b'msgstr "Abrir', b'msgstr "Abrir \xff', 1))
    output = tmp_path / "x.pdf"

    code, _, err = cli("--root", project, "build", "dialysis-fistula-creation", "--lang", "es", "--output", output)

    assert code == 1 and not output.exists()
    assert err == f"{path}:{line}: the file is not UTF-8 text (byte 0xff); save it as UTF-8\n"


@pytest.mark.parametrize("path", ["procedures/dialysis-fistula-creation.yaml", "clinics/example.yaml"])
def test_a_record_or_clinic_file_that_is_not_utf8_is_one_line(cli, project, tmp_path, path):
    path = project / "content" / path
    path.write_bytes(path.read_bytes().replace(b"\n", b"\n# " + LATIN1 + b"\n", 1))

    code, _, err = cli("--root", project, "build", "dialysis-fistula-creation", "--output", tmp_path / "x.pdf")

    assert code == 1 and not (tmp_path / "x.pdf").exists()
    assert f"{path}:2: the file is not UTF-8 text (byte 0xe9); save it as UTF-8" in err


def test_an_approvals_file_that_is_not_utf8_is_one_line(cli, project):
    approvals = project / "content" / "approvals"
    approvals.mkdir()
    (approvals / "dialysis-fistula-creation.yaml").write_bytes(b"approvals: []\nprocedure: " + LATIN1 + b"\n")

    code, _, err = cli("--root", project, "list")

    assert code == 1
    assert f"{approvals / 'dialysis-fistula-creation.yaml'}:2: the file is not UTF-8 text (byte 0xe9)" in err


def test_an_approved_text_that_is_not_utf8_is_one_line_in_review(cli, project):
    code, _, _ = cli("--root", project, "approve", "dialysis-fistula-creation", "--by", "Dr Ana Ruiz",
                     "--role", "Consultant nephrologist")
    assert code == 0
    kept = next((project / "content" / "approvals" / "dialysis-fistula-creation").glob("en-*.txt"))
    kept.write_bytes(kept.read_bytes() + LATIN1)

    code, _, err = cli("--root", project, "review", "dialysis-fistula-creation")

    assert code == 1
    assert err.startswith(f"{kept}:") and "the file is not UTF-8 text (byte 0xe9)" in err and err.count("\n") == 1


@pytest.mark.parametrize("digits", ["\u0661.\u0660", "\uff11.\uff10", "\u0967.\u0966", "\U0001d7cf.\U0001d7ce"],
                         ids=["arabic-indic", "fullwidth", "devanagari", "mathematical"])
def test_a_version_in_another_scripts_digits_is_refused(cli, project, digits):
    record = edit_record(project, "dialysis-fistula-creation", 'version: "1.0"', f'version: "{digits}"')

    code, _, err = cli("--root", project, "list")

    assert code == 1
    assert f"{record}:140: review.version: '{digits}' is not in the expected form (ASCII digits and dots" in err
