"""Sizes nobody limited: a translation's format directive, a version number, a value quoted back.

Each refusal is one line naming the file (and its line), exit 1, and nothing written.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import edit_record, remove_records, set_languages
from leaflets.language.messages import directive_problem

CATALOG = Path("locales") / "es" / "LC_MESSAGES" / "messages.po"


def translate(project: Path, english: str, translation: str) -> int:
    """Give ``english`` the Spanish ``translation``; returns the line of its msgid."""
    path = project / CATALOG
    text = path.read_text(encoding="utf-8")
    entry = re.search(rf'^msgid "{re.escape(english)}"\nmsgstr ".*"$', text, re.MULTILINE)
    assert entry is not None, english
    path.write_text(text[: entry.start()] + f'msgid "{english}"\nmsgstr "{translation}"' + text[entry.end():],
                    encoding="utf-8")
    return text[: entry.start()].count("\n") + 1


@pytest.mark.parametrize("directive", ["%(page)999999999s", "%(page)-5s", "%(page).3s", "%(page)09s"])
def test_a_width_in_a_templates_translation_is_refused_before_anything_is_formatted(cli, project, tmp_path, directive):
    line = translate(project, "Page %(page)s of %(pages)s", f"Página {directive} de %(pages)s")
    output = tmp_path / "leaflet.pdf"

    code, out, err = cli("--root", project, "build", "dialysis-fistula-creation", "--lang", "es", "--output", output)

    assert code == 1 and not output.exists()
    assert err == (f"{project / CATALOG}:{line}: this translation writes {directive}; write %(page)s as the English "
                   "has it (no width, precision or flags)\n")


@pytest.mark.parametrize(("translation", "problem"), [
    ("Página %(page)s", "'pages' doesn't exist in 'msgstr'"),  # msgfmt's words, found before ours
    ("Página %(page)+d de %(pages)s", "format specifications in 'msgid' and 'msgstr' for argument 'page' are not the same"),
    ("Página %(page)*s de %(pages)s", "is not a valid Python format string"),
    ("Página %(page)s de %(pages)s, 100%", "is not a valid Python format string"),
])
def test_a_translation_whose_placeholders_differ_from_its_english_is_one_line(cli, project, tmp_path, translation,
                                                                              problem):
    translate(project, "Page %(page)s of %(pages)s", translation)

    code, _, err = cli("--root", project, "build", "dialysis-fistula-creation", "--lang", "es",
                       "--output", tmp_path / "x.pdf")

    assert code == 1 and not (tmp_path / "x.pdf").exists()
    assert re.fullmatch(rf"{re.escape(str(project / CATALOG))}:\d+: [^\n]+\n", err) and problem in err


def test_a_format_spec_in_a_records_translation_is_refused_by_check(cli, project):
    remove_records(project, "dialysis-access-clot-removal", "dialysis-fistula-creation", "foot-vein-arterialization",
                   "kidney-tube-tract-widening")
    set_languages(project, "en, es")  # what check reads: the record translated, in English and Spanish
    line = translate(project, "Opening a long-term blockage in a heart artery", "Abrir {x:>999999999}")

    code, out, err = cli("--root", project, "check")

    assert code == 1
    assert f"{CATALOG}:{line}: this translation holds {{x:>999999999}}, which its English does not" in out


@pytest.mark.parametrize(("english", "translation", "problem"), [
    (("Page %(page)s of %(pages)s",), "Página %(page)s de %(pages)s", None),
    (("%(num)s hour", "%(num)s hours"), "una hora", None),  # a plural form may say its number in words
    (("Call %(number)s now",), "Llame al %(number)d", "uses %(number)d, which the English does not have"),
    (("Call %(number)s now",), "Llame al %(number)s ahora al 100%", "write a percent sign as %%"),
    (("50%% of people",), "el 50 %% de las personas", None),
    (("Do not eat for {hours} hours",), "No coma durante {hours:>99999} horas", "holds {hours:>99999}"),
    (("Do not eat for {hours} hours",), "No coma durante {hours} horas", None),
    (("Page %(page)s of %(pages)s",), "Página %(page)s", "leaves out %(pages)s, which the English has"),
])
def test_what_a_translations_placeholders_may_be(english, translation, problem):
    found = directive_problem(english, translation, percent=True)

    assert (found is None) if problem is None else (problem in str(found))


def test_a_version_thousands_of_digits_long_is_one_line(cli, project):
    record = edit_record(project, "dialysis-fistula-creation", 'version: "1.0"', 'version: "1.' + "9" * 5000 + '"')

    code, out, err = cli("--root", project, "list")

    assert code == 1
    assert f"{record}:140: review.version: text is too long (5,002 characters; at most 14)" in err
    assert max(len(line) for line in err.splitlines()) < 300


def test_a_version_with_a_part_of_more_than_four_digits_is_refused(cli, project):
    edit_record(project, "dialysis-fistula-creation", 'version: "1.0"', 'version: "1.99999"')

    code, _, err = cli("--root", project, "list")

    assert code == 1 and "review.version: '1.99999' is not in the expected form (ASCII digits and dots" in err


def test_review_since_a_version_that_is_not_one_is_one_line(cli, project):
    code, _, err = cli("--root", project, "review", "dialysis-fistula-creation", "--since", "9" * 10_000)

    assert code == 1
    assert err == "--since must be a version such as 1.0 or 2.1.3: ASCII digits and dots, at most 4 digits a part\n"


def test_i18n_check_finds_a_width_without_building_anything(cli, project):
    line = translate(project, "Page %(page)s of %(pages)s", "Página %(page)999999999s de %(pages)s")

    code, out, err = cli("--root", project, "i18n", "check")

    assert code == 1 and out == "5 catalog(s): 1 problem(s) found\n"
    assert err == (f"{project / CATALOG}:{line}: this translation writes %(page)999999999s; write %(page)s as the "
                   "English has it (no width, precision or flags)\n")
    assert not (project / "dist").exists()


def test_i18n_check_of_the_shipped_catalogs_finds_nothing(cli, project):
    assert cli("--root", project, "i18n", "check") == (0, "5 catalog(s): no problem(s) found\n", "")
