"""Translations: catalogs for everything a patient reads, never stale, never mixed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import jinja2
import pikepdf
import pytest
from babel.messages.pofile import read_po, write_po
from fontTools.ttLib import TTFont

from helpers import REPO, one_leaflet, pdf_text, set_languages
from leaflets.build.leaflet import Builder, build_one
from leaflets.language.catalogs import catalog_languages, load_language
from leaflets.model.project import Project
from leaflets.render.html import make_environment

LANGUAGES = ["es", "fr", "ar", "zh_Hans", "vi"]
CATALOGS = sorted((REPO / "locales").glob("*/LC_MESSAGES/messages.po"))


def test_every_language_has_a_catalog():
    assert catalog_languages(REPO / "locales") == sorted(LANGUAGES)


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_msgfmt_accepts_every_shipped_catalog(catalog):
    result = subprocess.run(["msgfmt", "-c", "--check-format", "-o", "/dev/null", str(catalog)], capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_every_catalog_says_it_is_a_draft_translation(catalog):
    text = catalog.read_text(encoding="utf-8")
    assert "DRAFT" in text.split('msgid ""')[0]
    assert "not yet reviewed" in text


def test_pybabel_extract_works_from_the_repository_root(tmp_path):
    pybabel = Path(sys.executable).parent / "pybabel"
    result = subprocess.run([str(pybabel), "extract", "-F", "babel.cfg", "-o", str(tmp_path / "x.pot"), "."],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    pot = (tmp_path / "x.pot").read_text(encoding="utf-8")
    assert "#. dialysis-fistula-creation: preparation[1].text\n#: content/procedures/dialysis-fistula-creation.yaml:" in pot
    assert "#: templates/leaflet.html:" in pot and 'msgid "When to get help"' in pot
    assert 'msgid_plural "%(low)s to %(num)s hours"' in pot


def test_the_shipped_template_is_current(tmp_path):
    """locales/messages.pot holds exactly what extraction finds today."""
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [str(pybabel), "--quiet", "extract", "-F", "babel.cfg", "-o", str(tmp_path / "now.pot"), "."], cwd=REPO, check=True
    )

    def ids(path):
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(path.open("rb")) if m.id}

    assert ids(tmp_path / "now.pot") == ids(REPO / "locales" / "messages.pot")


def test_every_leaflet_in_every_language_is_complete(cli):
    code, out, _ = cli("--root", REPO, "i18n", "status")
    assert code == 0
    assert out.splitlines()[0].split() == ["PROCEDURE", "ar", "es", "fr", "vi", "zh_Hans"]
    assert all(line.split()[1:] == ["complete"] * 5 for line in out.splitlines()[1:])


BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


@pytest.mark.parametrize("lang, lang_tag", [("es", "es"), ("fr", "fr"), ("ar", "ar"), ("zh_Hans", "zh-Hans"), ("vi", "vi")])
def test_a_translated_leaflet(tmp_path, lang, lang_tag):
    target, _ = build_one(Project(REPO), "dialysis-fistula-creation", lang=lang, output=str(tmp_path / f"{lang}.pdf"))
    language = load_language(REPO / "locales", lang)
    text = pdf_text(target).translate(BIDI_CONTROLS)
    with pikepdf.open(target) as pdf:
        assert str(pdf.Root.Lang) == lang_tag
        assert str(pdf.docinfo["/Title"]) == language.gettext("Making a fistula in your arm for dialysis")
        fonts = {str(f.get("/BaseFont")).split("+")[-1] for page in pdf.pages for f in page.Resources.Font.values()}
    assert fonts <= {
        "Leaflet-Sans",
        "Leaflet-Sans-Bold",
        "Leaflet-Sans-Italic",
        "Leaflet-Arabic",
        "Leaflet-Arabic-Bold",
        "Leaflet-Chinese",
        "Leaflet-Chinese-Bold",
        "Leaflet-Chinese-Oblique",
    }
    assert "When to get help" not in text and "How to get ready" not in text
    if lang != "ar":  # pdftotext reverses and splits Arabic words, so Arabic is compared through metadata above
        for english in ("When to get help", "Words to know", "Translated from English version %(version)s · draft translation"):
            assert (language.gettext(english) % {"version": "1.0"}) in text


def test_arabic_is_right_to_left_with_isolated_numbers():
    builder = Builder(Project(REPO))
    project = Project(REPO)
    html = builder.html(
        builder.leaflet(project.load_procedure("coronary-blockage-opening"), project.load_clinic("example"), "ar")
    )
    assert '<html lang="ar" dir="rtl">' in html
    assert '<bdi class="phone" dir="ltr">\u2066(555) 010-2000\u2069</bdi>' in html


def test_phone_numbers_survive_right_to_left_layout(tmp_path):
    target, _ = build_one(Project(REPO), "coronary-blockage-opening", lang="ar", output=str(tmp_path / "ar.pdf"))
    text = pdf_text(target).translate(BIDI_CONTROLS)
    # pdftotext mirrors the brackets of a left-to-right run inside right-to-left text; the digits
    # and hyphen must still come out whole and in order (see the PNG check in the README).
    assert "555" in text and "010-2000" in text and "010-2999" in text


def edit_record(project: Path, procedure_id: str, old: str, new: str) -> None:
    path = project / "content" / "procedures" / f"{procedure_id}.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_editing_one_english_sentence_refuses_exactly_the_leaflets_that_print_it(cli, project, tmp_path):
    edit_record(
        project,
        "kidney-tube-tract-widening",
        "Tell your team if you might be pregnant",
        "Please tell your team if you might be pregnant",
    )
    code, _, err = cli("--root", project, "build", "kidney-tube-tract-widening", "--lang", "es", "--output", tmp_path / "es.pdf")
    assert code == 1 and not (tmp_path / "es.pdf").exists()
    [line] = err.splitlines()
    assert re.fullmatch(
        r".*content/procedures/kidney-tube-tract-widening\.yaml:\d+: not translated into es "
        r"\(missing from .*locales/es/LC_MESSAGES/messages\.po; run 'leaflets i18n update'\): "
        r"\"Please tell your team if you might be pregnant.*\"",
        line,
    ), line
    assert cli("--root", project, "build", "kidney-tube-tract-widening", "--output", tmp_path / "en.pdf")[0] == 0
    assert (
        cli("--root", project, "build", "dialysis-fistula-creation", "--lang", "es", "--output", tmp_path / "other.pdf")[0] == 0
    )

    # The translators' workflow: the changed string comes back fuzzy, which is still refused ...
    assert cli("--root", project, "i18n", "extract")[0] == 0
    assert cli("--root", project, "i18n", "update")[0] == 0
    code, _, err = cli("--root", project, "build", "kidney-tube-tract-widening", "--lang", "es", "--output", tmp_path / "es.pdf")
    assert code == 1 and "(fuzzy at " in err and "Please tell your team if you might be pregnant" in err
    # ... until a translator confirms it.
    catalog_file = project / "locales" / "es" / "LC_MESSAGES" / "messages.po"
    catalog = read_po(catalog_file.open("rb"))
    for message in catalog:
        if message.id and message.fuzzy:
            message.flags.discard("fuzzy")
            message.previous_id = []
    with catalog_file.open("wb") as handle:
        write_po(handle, catalog)
    code, _, err = cli("--root", project, "build", "kidney-tube-tract-widening", "--lang", "es", "--output", tmp_path / "es.pdf")
    assert (code, err) == (0, "")


def test_updating_catalogs_after_a_long_sentence_changes_keeps_the_old_english_for_the_translator(cli, project):
    edit_record(project, "dialysis-fistula-creation", "through tiny holes in the skin.", "through tiny holes in your skin.")
    assert cli("--root", project, "i18n", "extract")[0] == 0
    assert cli("--root", project, "i18n", "update")[0] == 0

    catalog_file = project / "locales" / "es" / "LC_MESSAGES" / "messages.po"
    subprocess.run(["msgfmt", "-c", "-o", os.devnull, str(catalog_file)], check=True)
    [changed] = [m for m in read_po(catalog_file.open("rb")) if m.id and "tiny holes in your skin" in m.id]
    assert changed.fuzzy
    old_english = "".join(
        line.removeprefix("#| ").strip('"') for line in catalog_file.read_text().splitlines() if line.startswith("#| ")
    )
    assert "through tiny holes in the skin. This makes" in old_english


def test_editing_a_template_word_refuses_every_translated_leaflet(cli, project, tmp_path):
    template = project / "templates" / "leaflet.html"
    template.write_text(template.read_text().replace('_("Words to know")', '_("Words you may hear")'))
    status = cli("--root", project, "i18n", "status")
    assert status[0] == 1
    assert all(line.split()[1:] == ["1", "missing"] * 5 for line in status[1].splitlines()[1:])
    code, _, err = cli("--root", project, "build", "coronary-blockage-opening", "--lang", "vi", "--output", tmp_path / "vi.pdf")
    assert code == 1 and "templates/leaflet.html:" in err and '"Words you may hear"' in err


def write_catalog(project: Path, lang: str, edit) -> Path:
    path = project / "locales" / lang / "LC_MESSAGES" / "messages.po"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return path


def catalog_problems(cli, project: Path, lang: str) -> tuple[int, str]:
    code, _, err = cli("--root", project, "build", "coronary-blockage-opening", "--lang", lang, "--output", project / "x.pdf")
    assert not (project / "x.pdf").exists()
    return code, err


def test_a_catalog_with_a_syntax_error(cli, project):
    path = write_catalog(project, "fr", lambda t: t.replace('msgstr "Quand demander de l', 'msgstr "Quand demander de l\n', 1))
    code, err = catalog_problems(cli, project, "fr")
    assert code == 1
    assert re.fullmatch(rf"{re.escape(str(path))}:\d+: end-of-line within string\n(.*\n)*", err), err


def test_a_renamed_placeholder(cli, project):
    path = write_catalog(
        project, "es", lambda t: re.sub(r'(msgid "Page %\(page\)s of %\(pages\)s"\nmsgstr ".*?)%\(page\)s', r"\1%(pagina)s", t)
    )
    code, err = catalog_problems(cli, project, "es")
    assert code == 1 and re.fullmatch(
        rf"{re.escape(str(path))}:\d+: a format specification for argument 'page' doesn't exist in 'msgstr'\n", err
    ), err


def test_a_missing_placeholder(cli, project):
    path = write_catalog(project, "es", lambda t: re.sub(r'(msgid "version %\(version\)s"\nmsgstr ")[^"]*"', r'\1versión"', t))
    code, err = catalog_problems(cli, project, "es")
    assert code == 1 and re.fullmatch(
        rf"{re.escape(str(path))}:\d+: a format specification for argument 'version' doesn't exist in 'msgstr'\n", err
    ), err


def test_a_lone_percent_sign_in_a_template_word(cli, project):
    path = write_catalog(project, "es", lambda t: re.sub(r'(msgid "Who"\nmsgstr )"[^"]*"', r'\1"Quién 100%"', t))
    code, err = catalog_problems(cli, project, "es")
    assert code == 1 and re.fullmatch(
        rf"{re.escape(str(path))}:\d+: write a percent sign as %% in this translation; a lone % cannot be printed\n", err
    ), err


def test_a_line_msgfmt_accepts_but_babel_cannot_read(cli, project):
    path = write_catalog(project, "es", lambda t: "\\\n" + t.split("\n", 1)[1])
    code, err = catalog_problems(cli, project, "es")
    assert (code, err) == (1, f"{path}:1: cannot read this line: Unknown or misformatted keyword\n")


def test_a_catalog_that_names_no_charset(cli, project):
    path = write_catalog(project, "es", lambda t: re.sub(r'"Content-Type: [^"]*"\n', "", t))
    code, err = catalog_problems(cli, project, "es")
    assert (code, err) == (1, f'{path}:1: the header must say "Content-Type: text/plain; charset=UTF-8"\n')


def test_plural_forms_that_word_printed_numbers_wrongly_are_refused(cli, project):
    path = set_plural_forms(project, "ar", "nplurals=2; plural=(n != 1);", 2)
    code, err = catalog_problems(cli, project, "ar")
    assert code == 1 and re.fullmatch(
        rf"{re.escape(str(path))}:\d+: Plural-Forms words 0 and 2 alike, but ar does not; use \"Plural-Forms: nplurals=6; .*\n",
        err,
    ), err


def set_plural_forms(project: Path, lang: str, header: str, forms: int) -> Path:
    """Give a catalog another Plural-Forms header, each plural entry ``forms`` forms (copies of its last)."""
    path = project / "locales" / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as stream:
        catalog = read_po(stream)
    for message in catalog:
        if message.id and isinstance(message.string, tuple):
            message.string = tuple(message.string[min(i, len(message.string) - 1)] for i in range(forms))
    catalog.mime_headers = [(k, header if k.lower() == "plural-forms" else v) for k, v in catalog.mime_headers]
    with path.open("wb") as stream:
        write_po(stream, catalog)
    return path


# French as Babel 2.18 wrote it, and as CLDR 47 (Babel 2.19) gives it: both must build.
FRENCH_PLURAL_RULES = {
    "babel-2.18": ("nplurals=2; plural=(n > 1);", 2),
    "cldr-47": ("nplurals=3; plural=(n == 0 || n == 1) ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2;", 3),
}


@pytest.mark.parametrize("rule", FRENCH_PLURAL_RULES)
def test_a_catalog_builds_under_either_plural_rule(cli, project, rule):
    header, forms = FRENCH_PLURAL_RULES[rule]
    path = set_plural_forms(project, "fr", header, forms)
    code, _, err = cli("--root", project, "build", "coronary-blockage-opening", "--lang", "fr", "--output", project / "x.pdf")
    assert (code, err) == (0, "")
    assert "2 à 4 heures" in pdf_text(project / "x.pdf")
    language = load_language(project / "locales", "fr")
    if language.warnings:  # a header other than the installed Babel's rule: a warning with the header to use
        assert len(language.warnings) == 1 and str(language.warnings[0]).startswith(f"{path}:")
        assert 'suggested header: "Plural-Forms: nplurals=' in str(language.warnings[0])


def test_i18n_update_offers_and_adopts_the_current_plural_rule(cli, project):
    from babel.messages.plurals import get_plural

    current = get_plural("fr")
    other = next(h for h, n in FRENCH_PLURAL_RULES.values() if n != current.num_plurals)
    set_plural_forms(project, "fr", other, 5 - current.num_plurals)
    before = build_one(Project(project), "coronary-blockage-opening", lang="fr", output=str(project / "before.pdf"))
    code, out, err = cli("--root", project, "i18n", "update")
    assert code == 0 and "messages.po" in err and "(adopt it with: leaflets i18n update --plural-forms)" in err
    code, out, err = cli("--root", project, "i18n", "update", "--plural-forms")
    assert code == 0 and "locales/fr/LC_MESSAGES/messages.po: Plural-Forms set to CLDR's current rule" in out
    assert "adopt it with" not in err
    assert load_language(project / "locales", "fr").warnings == ()
    build_one(Project(project), "coronary-blockage-opening", lang="fr", output=str(project / "after.pdf"))
    assert pdf_text(project / "before.pdf") == pdf_text(project / "after.pdf")
    assert before[0] is not None


def test_a_language_without_a_catalog(cli, project):
    code, _, err = cli("--root", project, "build", "coronary-blockage-opening", "--lang", "de", "--output", project / "x.pdf")
    assert (code, err) == (
        1,
        f"no catalog for 'de': expected {project}/locales/de/LC_MESSAGES/messages.po (create it with: leaflets i18n init de)\n",
    )


def test_a_clinic_language_without_a_catalog_fails_alone(cli, project):
    one_leaflet(project)
    set_languages(project, "en, de")  # de has no catalog
    code, out, err = cli("--root", project, "build", "--all")
    assert code == 1
    assert len(out.splitlines()) == 2  # the record in English, regular and large print
    assert "no catalog for 'de'" in err and not (project / "dist" / "example" / "de").exists()


def test_init_starts_a_new_catalog(cli, project):
    assert cli("--root", project, "i18n", "init", "de")[0] == 0
    assert (project / "locales" / "de" / "LC_MESSAGES" / "messages.po").is_file()
    code, _, err = cli("--root", project, "i18n", "init", "de")
    assert code == 1 and "exists already" in err


def words_in(code: str):
    """The template's word-building macros, speaking ``code``."""
    language = load_language(REPO / "locales", code)
    environment = make_environment(REPO / "templates", language=language)
    return environment.get_template("macros.html").make_module({"language": language})


def test_a_template_is_compiled_once_for_every_language_and_again_when_it_changes(project, monkeypatch):
    compiled = []
    compile_template = jinja2.Environment.compile

    def counted(environment, source, name=None, *more):
        compiled.append(name)
        return compile_template(environment, source, name, *more)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    templates, locales = project / "templates", project / "locales"

    def durations(code: str) -> str:
        language = load_language(locales, code)
        macros = make_environment(templates, language=language).get_template("macros.html")
        return str(macros.make_module({"language": language}).duration(60, 120))

    assert [durations(code) for code in ("en", "es", "fr")] == ["1 to 2 hours", "1 a 2 horas", "1 à 2\xa0heures"]
    assert compiled == ["macros.html"]

    macros = templates / "macros.html"
    macros.write_text(macros.read_text(encoding="utf-8").replace("{% macro duration", "{# changed #}{% macro duration", 1),
                      encoding="utf-8")
    assert durations("es") == "1 a 2 horas"
    assert compiled == ["macros.html", "macros.html"]


def test_durations_are_exact_never_rounded():
    en = words_in("en")
    assert [en.duration(60, 120), en.duration(45, 90), en.duration(60, 60), en.duration(150, 150), en.duration(50, 135)] == [
        "1 to 2 hours",
        "45 to 90 minutes",
        "1 hour",
        "150 minutes",
        "50 to 135 minutes",
    ]
    assert words_in("es").duration(60, 120) == "1 a 2 horas"
    assert words_in("fr").duration(45, 90) == "45 à 90\xa0minutes"
    assert words_in("zh_Hans").duration(60, 120) == "1至2小时"
    assert words_in("vi").duration(45, 90) == "45 đến 90 phút"
    assert words_in("ar").duration(45, 90) == "من 45 إلى 90 دقيقة"


def test_arabic_plural_forms_follow_the_number():
    ar = words_in("ar")
    assert len({ar.duration(60, 60), ar.duration(120, 120), ar.duration(180, 180), ar.duration(660, 660)}) == 4


def test_locale_formatting():
    es, ar, zh, vi = (load_language(REPO / "locales", code) for code in ("es", "ar", "zh_Hans", "vi"))
    assert es.own_name == "español" and vi.own_name == "Tiếng Việt" and ar.own_name == "العربية"
    assert ar.direction == "rtl" and es.direction == "ltr"
    assert es.date(datetime(2027, 11, 23).date()) == "23 de noviembre de 2027"
    assert "2027" in zh.date(datetime(2027, 11, 23).date()) and "11" in zh.date(datetime(2027, 11, 23).date())
    assert es.list(["a", "b", "c"]) == "a, b y c"
    assert "9:30" in es.datetime(datetime(2026, 12, 1, 9, 30))


def test_the_shipped_fonts_cover_every_character_of_every_catalog_and_record():
    fonts = sorted((REPO / "templates" / "fonts").glob("*.[ot]tf"))
    covered = set()
    for font in fonts:
        covered |= {chr(code) for code in TTFont(font).getBestCmap()}
    texts = [p.read_text(encoding="utf-8") for p in CATALOGS]
    texts += [p.read_text(encoding="utf-8") for p in (REPO / "content").rglob("*.yaml")]
    texts += [(REPO / "templates" / "leaflet.html").read_text(encoding="utf-8")]
    used = set("".join(texts)) - {"\n", "\t", "\r"}
    assert sorted(used - covered) == []


def test_markup_in_a_translation_is_printed_as_text(cli, project):
    hostile = '<b>Información</b> <img src=\\"http://127.0.0.1:9/x.png\\"> </style>'
    write_catalog(project, "es", lambda t: re.sub(r'(msgid "Patient information"\nmsgstr )"[^"]*"', rf'\1"{hostile}"', t))
    code, _, err = cli("--root", project, "build", "coronary-blockage-opening", "--lang", "es", "--output", project / "x.pdf")
    assert (code, err) == (0, "")
    assert '<B>INFORMACIÓN</B> <IMG SRC="HTTP://127.0.0.1:9/X.PNG"> </STYLE>' in pdf_text(
        project / "x.pdf"
    )  # printed in capitals


def test_check_warns_about_a_plural_rule_cldr_has_moved_on_from(cli, project):
    from babel.messages.plurals import get_plural

    other = next(h for h, n in FRENCH_PLURAL_RULES.values() if n != get_plural("fr").num_plurals)
    one_leaflet(project)
    set_languages(project, "en, fr")  # what check reads: one record, in English and French
    path = set_plural_forms(project, "fr", other, 5 - get_plural("fr").num_plurals)
    code, out, _ = cli("--root", project, "check")
    assert f"{path}:" in out and "warning: catalog [fr]: Plural-Forms differs from CLDR's current rule" in out
    assert "error: catalog [fr]" not in out and "[fr]: cannot be built" not in out  # a warning, not an error
    assert cli("--root", project, "check", "--strict")[0] == 1


def test_an_edited_sentence_comes_back_fuzzy_in_catalogs_msgfmt_accepts_even_when_it_goes_and_comes_back(cli, project, tmp_path):
    """Babel 2.19 wraps a long previous msgid ("#|") so msgfmt cannot read it, and keeps an obsolete
    ("#~") entry beside the same English when it comes back, which msgfmt refuses as a duplicate."""

    def update_and_check() -> None:
        assert cli("--root", project, "i18n", "extract")[0] == 0
        assert cli("--root", project, "i18n", "update")[0] == 0
        for lang in ["es", "fr", "ar", "zh_Hans", "vi"]:
            catalog = project / "locales" / lang / "LC_MESSAGES" / "messages.po"
            result = subprocess.run(["msgfmt", "-c", "-o", "/dev/null", str(catalog)], capture_output=True, text=True)
            assert result.returncode == 0, result.stderr[:500]

    old, new = "Wear the fistula armband the team gives you.", "Wear the fistula armband that the team gives you."
    edit_record(project, "dialysis-fistula-creation", old, new)
    update_and_check()
    code, _, err = cli("--root", project, "build", "dialysis-fistula-creation", "--lang", "es", "--output", tmp_path / "es.pdf")
    assert code == 1 and "(fuzzy at " in err and new in err
    sentence = f"  - {new} Do not let anyone take blood pressure, draw blood or put an IV in that arm.\n"
    edit_record(project, "dialysis-fistula-creation", sentence, "")  # its entries become obsolete ...
    update_and_check()
    edit_record(project, "dialysis-fistula-creation", "recovery:\n", "recovery:\n" + sentence)  # ... and come back
    update_and_check()
