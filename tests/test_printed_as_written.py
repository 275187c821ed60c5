"""What a patient takes home says exactly what was written or typed: no character that hides,
reorders or cuts text gets in, no empty box is printed, and free text keeps its own direction."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import pytest

from helpers import edit_record, one_leaflet, pdf_text, remove_records, set_languages
from leaflets.build.ondemand import make_pool
from leaflets.checks.pdf import check_pdf
from leaflets.model.project import Project
from leaflets.web.app import create_app

# Each kind of character that would change what the text says once printed.
HIDING_OR_REORDERING = {
    "right-to-left override": "12 \u202e21 hours",
    "left-to-right embedding": "take \u202a2\u202c tablets",
    "isolate": "take \u2067two\u2069 tablets",
    "right-to-left mark": "Room 4\u200f",
    "zero-width space": "war\u200bfarin",
    "word joiner": "war\u2060farin",
    "byte order mark": "\ufeffwarfarin",
    "soft hyphen": "war\u00adfarin",
    "escape (C0)": "A\x1b[31mB",
    "next line (C1)": "A\x85B",
    "line separator": "STOP warfarin\u2028tomorrow",
    "paragraph separator": "STOP warfarin\u2029tomorrow",
    "newline": "STOP warfarin\ntomorrow",
    "private use": "pain \ue000",
    "unassigned": "pain \U000e0001",  # a language tag
    "marks piled on one letter": "Z" + "\u0336\u0337\u0338\u0339\u033a\u033b" + "algo",
}


@pytest.mark.parametrize("kind", HIDING_OR_REORDERING)
def test_a_detail_that_would_print_otherwise_than_typed_is_refused_in_one_line(cli, project, kind):
    code, out, err = cli("--root", project, "build", "kidney-tube-tract-widening", "--location", HIDING_OR_REORDERING[kind],
                         "--output", project / "x.pdf")
    assert (code, out) == (1, "")
    assert (
        err.startswith("--location holds a character that would hide, reorder or cut the printed text") and err.count("\n") == 1
    )
    assert HIDING_OR_REORDERING[kind] not in err  # the option is named, never what was typed
    assert not (project / "x.pdf").exists()


@pytest.mark.parametrize("separator", ["\n", "\r\n", "\u2028", "\u2029"])
def test_a_note_on_several_lines_is_printed_line_by_line_never_clipped(cli, project, separator):
    note = separator.join(["STOP warfarin 2 days before.", "Bring your scans.", "Nothing to eat after midnight."])
    code, _, err = cli(
        "--root", project, "build", "kidney-tube-tract-widening", "--lang", "ar", "--note", note, "--output", project / "x.pdf"
    )
    assert (code, err) == (0, "")
    text = visible(
        subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(project / "x.pdf"), "-"], capture_output=True, text=True).stdout
    )
    for line in ("STOP warfarin 2 days before.", "Bring your scans.", "Nothing to eat after midnight."):
        assert line in text.splitlines()


def test_a_note_with_too_many_lines_is_refused(cli, project):
    code, _, err = cli(
        "--root", project, "build", "kidney-tube-tract-widening", "--note", "\n".join("abcdefg"), "--output", project / "x.pdf"
    )
    assert (code, err) == (1, "--note has too many lines (at most 6)\n")


def test_the_web_page_prints_every_line_of_a_note(project):
    from leaflets.build.batch import build_clinic

    remove_records(project, "coronary-blockage-opening", "dialysis-access-clot-removal", "dialysis-fistula-creation",
                   "foot-vein-arterialization")
    assert build_clinic(set_languages(project, "en"), "example").ok  # a prebuilt leaflet a one-line note could go on
    pool = make_pool(Project(project), "example", workers=1)
    try:
        client = create_app(Project(project), "example", pool).test_client()
        answer = client.post("/leaflet/kidney-tube-tract-widening", data={"lang": "en", "note": "First line\r\nSecond line"})
        assert answer.status_code == 200 and answer.headers["X-Leaflets-Made"] == "rendered"  # not the one-line overlay
        assert "First line Second line" in pdf_text(answer.data)
    finally:
        pool.close()


NAMES_WE_PRINT = [
    "Ana Díaz-Ñúñez",
    "Ελένη Παπαδοπούλου",
    "Иван Петров",
    "محمد الأحمد",
    "王伟",
    "Nguyễn Thị Hồng",
    "Zoë O'Brien-Łukasz",
    "דוד כהן",
    "राम शर्मा",
    "สมชาย ใจดี",
    "김민준",
    "Ана-Мария 李 Ölçer",
]
NAMES_WE_CANNOT_PRINT = {"Georgian": "ქეთევანი", "Tamil": "முருகன்", "Ethiopic": "አበበ", "CJK": "李小龍"}


@pytest.mark.parametrize("name", NAMES_WE_PRINT)
def test_names_in_the_shipped_scripts_print_as_typed(cli, project, name):
    code, _, err = cli(
        "--root", project, "build", "kidney-tube-tract-widening", "--patient-name", name, "--output", project / "x.pdf"
    )
    assert (code, err) == (0, "")
    assert check_pdf(project / "x.pdf") == []  # no empty box


@pytest.mark.parametrize("script", NAMES_WE_CANNOT_PRINT)
def test_a_name_no_shipped_font_can_draw_is_refused_not_printed_as_boxes(cli, project, script):
    name = NAMES_WE_CANNOT_PRINT[script]
    code, out, err = cli(
        "--root", project, "build", "kidney-tube-tract-widening", "--patient-name", name, "--output", project / "x.pdf"
    )
    assert (code, out) == (1, "")
    assert err == (
        f"--patient-name holds letters no font shipped with leaflets can print ({script}); they would print as empty boxes\n"
    )
    assert not (project / "x.pdf").exists()


def test_the_web_form_refuses_them_beside_the_field(project):
    pool = make_pool(Project(project), "example", workers=1)
    try:
        client = create_app(Project(project), "example", pool).test_client()
        for value in ("ქეთევანი", "Ann\u202eA", "a\u2029b"):
            answer = client.post("/leaflet/kidney-tube-tract-widening?ui=en", data={"lang": "en", "patient_name": value})
            assert answer.status_code == 400
            assert "This holds characters that cannot be printed." in answer.text
    finally:
        pool.close()


def visible(text: str) -> str:
    """pdftotext's text without the direction marks it adds around runs."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


@pytest.mark.parametrize(
    "lang, note",
    [
        ("ar", "Nothing to eat after midnight (water is OK)."),
        ("ar", "Room 12B, floor 2."),
        ("en", "تعال مع ورقة المواعيد (بدون طعام)."),
    ],
)
def test_free_text_keeps_its_own_direction_and_punctuation(cli, project, lang, note):
    assert (
        cli(
            "--root",
            project,
            "build",
            "kidney-tube-tract-widening",
            "--lang",
            lang,
            "--note",
            note,
            "--output",
            project / "x.pdf",
        )[0]
        == 0
    )
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(project / "x.pdf"), "-"], capture_output=True, text=True).stdout
    if lang == "ar":
        assert note in visible(text)
    else:  # pdftotext gives a right-to-left run's closing ")." where it is drawn: at its left end, its
        # brackets as drawn or as mirrored (an embedded run); either way in the note's own order
        drawn, mirrored = ".)" + note[:-2], ".(" + note[:-2].translate(str.maketrans("()", ")("))
        assert drawn in visible(text) or mirrored in visible(text)


RECORD_ATTACKS = {
    "escape written as \\e": ('"Widening \\e[8mthe path"', "a control character (U+001B)"),
    "override written as \\u202e": (
        '"Widening \\u202e21 the path"',
        "an invisible formatting character (U+202E RIGHT-TO-LEFT OVERRIDE)",
    ),
    "zero-width space": ('"Widening\u200bthe path"', "an invisible formatting character (U+200B ZERO WIDTH SPACE)"),
    "paragraph separator": ('"Widening\\Pthe path"', "a line or paragraph separator (U+2029 PARAGRAPH SEPARATOR)"),
    "next line, C1": ('"Widening\\Nthe path"', "a control character (U+0085)"),
}


@pytest.mark.parametrize("attack", RECORD_ATTACKS)
def test_a_record_cannot_smuggle_such_characters_even_as_yaml_escapes(cli, project, attack):
    value, why = RECORD_ATTACKS[attack]
    path = edit_record(
        project, "kidney-tube-tract-widening", "title: Making the path for your kidney tube wider", f"title: {value}"
    )
    code, _, err = cli("--root", project, "list")
    assert code == 1
    assert err.startswith(f"{path}:3: the text holds {why}") and err.count("\n") == 1


@pytest.mark.parametrize("tagged", ["!!binary V2lkZW5pbmc=", "!!set {a, b}", "!!omap [a: 1]", "!python/name:os.system"])
def test_a_record_cannot_use_other_yaml_types(cli, project, tagged):
    path = edit_record(
        project, "kidney-tube-tract-widening", "title: Making the path for your kidney tube wider", f"title: {tagged}"
    )
    code, _, err = cli("--root", project, "list")
    assert code == 1 and err.startswith(f"{path}:3: ") and err.count("\n") == 1


def test_check_reports_text_that_would_print_as_boxes(cli, project):
    remove_records(project, "coronary-blockage-opening", "dialysis-access-clot-removal", "dialysis-fistula-creation",
                   "foot-vein-arterialization")
    set_languages(project, "en")  # what check reads: the edited record, in English
    path = edit_record(
        project,
        "kidney-tube-tract-widening",
        "title: Making the path for your kidney tube wider",
        "title: Widening the ქა tube path",
    )
    code, out, _ = cli("--root", project, "check", "--clinic", "example")
    assert code == 1
    assert (
        f"{path}: error: kidney-tube-tract-widening [en]: would print empty boxes for U+10E5 GEORGIAN LETTER KHAR, "
        "U+10D0 GEORGIAN LETTER AN"
    ) in out


def test_check_pdf_finds_empty_boxes(tmp_path):
    import weasyprint

    weasyprint.HTML(string="<p style=\"font-family: 'Leaflet Nothing'\">Hello \ue000</p>").write_pdf(tmp_path / "boxes.pdf")
    found = [str(f) for f in check_pdf(tmp_path / "boxes.pdf")]
    assert any(re.search(r"page 1: some text has no glyph in /\w+\+[\w-]+: it prints as empty boxes", f) for f in found), found


CATALOG = "locales/es/LC_MESSAGES/messages.po"


def catalog_problem(cli, project: Path, edit) -> str:
    path = project / CATALOG
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    code, _, err = cli("--root", project, "build", "coronary-blockage-opening", "--lang", "es", "--output", project / "x.pdf")
    assert code == 1 and not (project / "x.pdf").exists()
    return err


@pytest.mark.parametrize(
    "attack, why",
    [
        ("\u202e", "an invisible formatting character (U+202E RIGHT-TO-LEFT OVERRIDE)"),
        ("\u2029", "a line or paragraph separator (U+2029 PARAGRAPH SEPARATOR)"),
        ("\x1b", "a control character (U+001B)"),
    ],
)
def test_a_translation_cannot_hold_them_either(cli, project, attack, why):
    err = catalog_problem(cli, project, lambda t: t.replace('msgstr "Riesgos"', f'msgstr "Ries{attack}gos"', 1))
    assert re.fullmatch(
        rf"{re.escape(str(project / CATALOG))}:\d+: this translation holds {re.escape(why)}[^\n]*; remove it\n", err
    ), err


def test_a_huge_translation_is_refused(cli, project):
    err = catalog_problem(cli, project, lambda t: t.replace('msgstr "Riesgos"', 'msgstr "' + "x" * 1_000_000 + '"', 1))
    assert re.fullmatch(
        rf"{re.escape(str(project / CATALOG))}:\d+: this translation is 1,000,000 characters long; at most 8,000\n", err
    )


def test_a_placeholder_the_english_does_not_have(cli, project):
    err = catalog_problem(cli, project, lambda t: re.sub(r'(msgid "Who"\nmsgstr )"[^"]*"', r'\1"Quién %(nombre)s"', t))
    assert re.fullmatch(
        rf"{re.escape(str(project / CATALOG))}:\d+: this translation uses %\(nombre\)s, which the English does not have\n", err
    ), err


@pytest.mark.parametrize(
    "header, problem",
    [
        (
            "nplurals=3; plural=(n > 5000 ? 3 : n == 1 ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2);",
            "Plural-Forms gives 9999 form 3, but there are only 3",
        ),
        ("nplurals=3; plural=" + "(" * 600 + "n == 1 ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2" + ")" * 600 + ";", None),
    ],
)
def test_plural_forms_wrong_only_for_large_numbers_or_too_long(cli, project, header, problem):
    err = catalog_problem(
        cli, project, lambda t: re.sub(r'"Plural-Forms: [^"]*"\n("[^"]*"\n)?', f'"Plural-Forms: {header}\\\\n"\n', t, count=1)
    )
    assert err.count("\n") >= 1 and "Traceback" not in err
    assert err.startswith(str(project / CATALOG) + ":")
    if problem:
        assert problem in err


def test_check_reports_a_template_word_whose_translation_would_print_as_boxes(cli, project):
    one_leaflet(project)
    set_languages(project, "en, es")  # what check reads: one record, in English and Spanish
    path = project / CATALOG
    path.write_text(path.read_text(encoding="utf-8").replace('msgstr "Riesgos"', 'msgstr "Riesgos ქა"', 1), encoding="utf-8")
    code, out, _ = cli("--root", project, "check", "--clinic", "example")
    assert code == 1
    assert re.search(rf"{re.escape(str(path))}:\d+: error: catalog \[es\]: would print empty boxes for U\+10E5 GEORGIAN", out), (
        out
    )


def test_check_reports_a_clinic_name_that_would_print_as_boxes(cli, project):
    one_leaflet(project)  # what check reads: one record, in English
    clinic = project / "content" / "clinics" / "example.yaml"
    clinic.write_text(re.sub(r"^name: .*$", "name: Clinic ქა", clinic.read_text(), count=1, flags=re.MULTILINE))
    code, out, _ = cli("--root", project, "check", "--clinic", "example")
    assert code == 1 and f"{clinic}: error: clinic example: would print empty boxes for U+10E5 GEORGIAN LETTER KHAR" in out
