"""Shared blocks, clinic policies, how-to steps, diagrams, captioned pictograms and the termbase."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from babel.messages.pofile import read_po, write_po

from conftest import copy_project
from helpers import REPO, one_leaflet, pdf_text, set_languages
from leaflets.build.leaflet import Builder
from leaflets.checks.characters import termbase_findings
from leaflets.checks.structure import conditional_prohibitions
from leaflets.errors import LeafletError
from leaflets.language.termbase import Term, catalog_problems, changed_numbers, missing_terms, numbers, read_termbase
from leaflets.model.blocks import load_block
from leaflets.model.formats import read_content
from leaflets.model.project import Project, load_procedure
from leaflets.model.record import Item, Procedure

FIXTURE = Path(__file__).parent / "data" / "blocks"
RECORD = "fistula-with-blocks"


@pytest.fixture
def blocks_project(tmp_path: Path) -> Path:
    """A project with the fixture record (blocks, how-to, diagram), the shipped blocks and a test drawing."""
    root = copy_project(FIXTURE, tmp_path / "blocks")
    shutil.copytree(REPO / "content" / "blocks", root / "content" / "blocks")
    (root / "templates" / "diagrams").mkdir(exist_ok=True)
    shutil.copy(Path(__file__).parent / "data" / "diagram-test.svg", root / "templates" / "diagrams")
    return root


def record_path(root: Path) -> Path:
    return root / "content" / "procedures" / f"{RECORD}.yaml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems(callable_, *args) -> list[str]:
    with pytest.raises(LeafletError) as caught:
        callable_(*args)
    return [str(error) for error in caught.value.errors]


# -- blocks ----------------------------------------------------------------------------------------


def test_every_shipped_block_is_valid_and_cites_its_sources():
    for path in sorted((REPO / "content" / "blocks").glob("*.yaml")):
        block = load_block(path)
        assert block.sources and all(source.url or source.doi for source in block.sources)
    assert {p.stem for p in (REPO / "content" / "blocks").glob("*.yaml")} == {
        "sedation", "contrast-dye", "blood-thinners", "wound-care", "fasting"}


def test_a_block_adds_its_items_after_the_records_own(blocks_project):
    own = Procedure.model_validate(read_content(record_path(blocks_project)).document.data)  # the record alone, blocks not added
    merged = Project(blocks_project).load_procedure(RECORD)
    sedation = load_block(REPO / "content" / "blocks" / "sedation.yaml")
    assert merged.recovery[: len(own.recovery)] == own.recovery
    assert merged.recovery[len(own.recovery)] == sedation.recovery[0]
    assert [h.title for h in merged.how_to] == ["How to check your fistula"]  # the shipped blocks have no how-to of their own
    assert {s.id for s in merged.block_sources} >= {"sw-sedation", "gstt-sedation", "sw-angiography"}


def test_an_unknown_block_is_named_with_its_line_and_a_close_match(blocks_project):
    edit(record_path(blocks_project), "blocks: [sedation, wound-care]", "blocks: [sedation, wound-cares]")
    [message] = problems(Project(blocks_project).load_procedure, RECORD)
    assert f"{RECORD}.yaml:" in message and "unknown block 'wound-cares' (did you mean wound-care?)" in message


def test_a_record_may_not_repeat_what_its_block_says(blocks_project):
    edit(
        record_path(blocks_project),
        "  - Most people go home a few hours after the procedure.",
        "  - A small bruise or soft bump is normal. The bump should shrink over 1 to 2 weeks, "
        "and the bruise fade in 2 to 4 weeks.",
    )
    [message] = problems(Project(blocks_project).load_procedure, RECORD)
    assert "recovery[1]: an included block already says this" in message


def test_an_unknown_placeholder_in_a_block_is_an_error_with_its_line(blocks_project):
    block = blocks_project / "content" / "blocks" / "sedation.yaml"
    edit(block, "{adult_stays_hours_after_sedation} hour.", "{adult_stays_hour_after_sedation} hour.")
    edit(block, "{adult_stays_hours_after_sedation} hours.", "{adult_stays_hour_after_sedation} hours.")
    one, other = problems(load_block, block)
    assert one.startswith(f"{block}:7: preparation[1].text.one: unknown placeholder '{{adult_stays_hour_after_sedation}}' "
                          "(did you mean adult_stays_hours_after_sedation?)")
    assert other.startswith(f"{block}:8: preparation[1].text.other: unknown placeholder")


def test_a_record_may_not_use_policy_placeholders(blocks_project):
    edit(record_path(blocks_project), "Most people go home a few hours", "Most people go home {fasting_food_hours} hours")
    [message] = problems(Project(blocks_project).load_procedure, RECORD)
    assert "only shared blocks (content/blocks/) may use them" in message


def test_a_record_may_not_use_plural_texts(blocks_project):
    edit(
        record_path(blocks_project),
        "  - Most people go home a few hours after the procedure.",
        "  - text: {one: Go home in an hour., other: Go home in hours.}",
    )
    [message] = problems(Project(blocks_project).load_procedure, RECORD)
    assert "recovery[1].text: a plural text ({one, other}) follows a clinic-policy number" in message


def test_a_plural_text_with_two_numbers_must_say_which_it_counts(blocks_project):
    block = blocks_project / "content" / "blocks" / "sedation.yaml"
    edit(
        block,
        "for {adult_stays_hours_after_sedation} hours.",
        "for {adult_stays_hours_after_sedation} hours, {sedation_care_hours}.",
    )
    edit(
        block,
        "for {adult_stays_hours_after_sedation} hour.",
        "for {adult_stays_hours_after_sedation} hour, {sedation_care_hours}.",
    )
    [message] = problems(load_block, block)
    assert "needs 'count: <policy>'" in message


# -- clinic policies ------------------------------------------------------------------------------


def test_an_unknown_or_out_of_range_policy_is_an_error_with_its_line(blocks_project, cli):
    clinic = blocks_project / "content" / "clinics" / "example.yaml"
    edit(clinic, "  fasting_food_hours: 8", "  fasting_food_hour: 8")
    edit(clinic, "  no_driving_hours_after_sedation: 48", "  no_driving_hours_after_sedation: 12")
    code, out, err = cli("--root", blocks_project, "check", "--clinic", "example")
    assert code != 0 and "Traceback" not in err
    assert (
        "example.yaml:9: policies.fasting_food_hour: unknown key 'fasting_food_hour' (did you mean fasting_food_hours?)"
        in out + err
    )
    assert "example.yaml:10: policies.no_driving_hours_after_sedation: 12 is out of range (at least 24)" in out + err


def test_the_clinics_policy_fills_the_block_and_the_default_applies_otherwise(blocks_project):
    project = Project(blocks_project)
    builder = Builder(project)
    text = pdf_text(builder.pdf(builder.leaflet(project.load_procedure(RECORD), project.load_clinic("example"), "en")))
    assert ("For 48 hours after sedation (medicine to relax you), do not drive a car or ride a bicycle or motorbike yourself. "
            "You may ride home as a passenger.") in text  # the clinic's 48; being driven home is allowed
    assert (
        "For 24 hours, do not drink alcohol, take sleeping pills, use machines, cook, or sign legal papers." in text
    )  # the default 24
    assert "{" not in text


# -- translation of block text ----------------------------------------------------------------------


NO_DRIVING = (
    "For {no_driving_hours_after_sedation} hour after sedation (medicine to relax you), do not drive a car or ride a bicycle "
    "or motorbike yourself. You may ride home as a passenger."
)


def test_block_strings_are_extracted_once_from_the_block_as_plurals(blocks_project):
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run([str(pybabel), "--quiet", "extract", "-F", "babel.cfg", "-o", "x.pot", "."], cwd=blocks_project, check=True)
    catalog = read_po((blocks_project / "x.pot").open("rb"))
    message = catalog.get(NO_DRIVING)
    assert message.id[1] == NO_DRIVING.replace("hour after", "hours after")
    assert message.locations == [("content/blocks/sedation.yaml", 12)]
    assert "python-brace-format" in message.flags


def translate(root: Path, lang: str, translations: dict[str, str | tuple[str, ...]]) -> None:
    path = root / "locales" / lang / "LC_MESSAGES" / "messages.po"
    subprocess.run(
        [str(Path(sys.executable).parent / "leaflets"), "--root", str(root), "i18n", "extract"], check=True, capture_output=True
    )
    subprocess.run(
        [str(Path(sys.executable).parent / "leaflets"), "--root", str(root), "i18n", "update"], check=True, capture_output=True
    )
    catalog = read_po(path.open("rb"), locale=lang)
    for message in catalog:
        if message.id:
            key = message.id if isinstance(message.id, str) else message.id[0]
            guessed = message.fuzzy  # Babel's guess from a similar old string: not a translation of this one
            message.flags.discard("fuzzy")
            if key in translations:
                message.string = translations[key]
            elif guessed or not message.string or (isinstance(message.string, tuple) and not all(message.string)):
                message.string = key if isinstance(message.id, str) else (key,) * len(message.string)
    write_po(path.open("wb"), catalog)


# the template's fasting line, from the clinic's hours
NOTHING_TO_DRINK = "Nothing to drink from (%(num)s hour before you arrive)"
SIX_FORMS = tuple(f"form {n}: %(num)s" for n in range(6))


@pytest.mark.parametrize("hours, form", [(1, 1), (2, 2), (3, 3), (6, 3)])
def test_arabic_picks_its_plural_form_from_the_clinics_number(blocks_project, hours, form):
    """Arabic has six plural forms: one (1), two (2), few (3-10), ...; the clinic's number is written in."""
    edit(record_path(blocks_project), "blocks: [sedation, wound-care]", "blocks: [sedation, wound-care, fasting]")
    translate(blocks_project, "ar", {NOTHING_TO_DRINK: SIX_FORMS})
    clinic_file = blocks_project / "content" / "clinics" / "example.yaml"
    edit(clinic_file, "policies:", f"policies:\n  fasting_clear_fluids_hours: {hours}")
    project = Project(blocks_project)
    builder = Builder(project)
    html = builder.html(builder.leaflet(project.load_procedure(RECORD), project.load_clinic("example"), "ar"))
    assert f"form {form}: {hours}" in html


def test_a_translation_that_drops_a_placeholder_stops_the_catalog(blocks_project):
    bruise = ("A small bruise or soft bump is normal. "
              "The bump should shrink over 1 to 2 weeks, and the bruise fade in 2 to 4 weeks.")
    no_driving = ("No conduzca durante 24 hora.", "No conduzca durante 24 horas.", "No conduzca.")
    translate(blocks_project, "es", {bruise: "Un pequeño moretón es normal.", NO_DRIVING: no_driving})
    project = Project(blocks_project)
    with pytest.raises(LeafletError) as caught:
        Builder(project).language("es")
    message = str(caught.value)  # msgfmt -c finds it first (python-brace-format); ours for catalogs without the flag
    assert "messages.po:" in message and "no_driving_hours_after_sedation" in message


# -- how-to, diagrams and pictograms in the PDF ----------------------------------------------------------


def test_how_to_steps_diagram_legend_and_pictogram_captions_are_printed(blocks_project):
    project = Project(blocks_project)
    builder = Builder(project)
    pdf = builder.pdf(builder.leaflet(project.load_procedure(RECORD), project.load_clinic("example"), "en"))
    text = pdf_text(pdf)
    assert "How to check your fistula 1. Place two fingers flat on the skin over your fistula. 2. Feel for a buzz" in text
    # The caption beside the drawing: its marker digits may come first in the text, as on the page
    assert "Your doctor joins an artery and a vein near your elbow." in text and "The numbers in the picture:" in text
    assert "1. Artery 2. Vein 3. The new link (fistula)" in text
    assert "No driving" in text and "Wound care" in text
    with pikepdf.open(__import__("io").BytesIO(pdf)) as document:
        alts = {str(element.get("/Alt")) for element in _figures(document.Root.StructTreeRoot)}
    assert "Drawing of a forearm with an artery and a vein side by side and a short new link between them." in alts


def _figures(node, found=None):
    found = [] if found is None else found
    kids = node.get("/K")
    if isinstance(node, pikepdf.Dictionary) and node.get("/S") == "/Figure":
        found.append(node)
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
        if isinstance(kid, pikepdf.Dictionary):
            _figures(kid, found)
    return found


@pytest.mark.parametrize(
    "change, problem",
    [
        ("diagram-test.svg", "no drawing 'missing.svg' in templates/diagrams"),
        ("not-a-drawing.svg", "templates/diagrams/not-a-drawing.svg cannot be printed: it is not an SVG drawing"),
        ("outside.svg", "is a link to a file outside templates/diagrams"),
    ],
)
def test_a_diagram_must_be_an_svg_inside_the_diagrams_folder(blocks_project, tmp_path, change, problem):
    folder = blocks_project / "templates" / "diagrams"
    (folder / "not-a-drawing.svg").write_text("GIF89a")
    (tmp_path / "elsewhere.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (folder / "outside.svg").symlink_to(tmp_path / "elsewhere.svg")
    name = "missing.svg" if change == "diagram-test.svg" else change
    edit(record_path(blocks_project), "image: diagram-test.svg", f"image: {name}")
    [message] = problems(Project(blocks_project).load_procedure, RECORD)
    assert f"{RECORD}.yaml:" in message and problem in message


def test_a_do_not_pictogram_beside_conditional_text_is_reported():
    procedure = load_procedure(REPO / "content" / "procedures" / "dialysis-fistula-creation.yaml")

    def with_picture(text: str):
        return procedure.model_copy(update={"preparation": [Item(text=text, pictogram="no-food-drink")]})

    assert conditional_prohibitions(with_picture("Do not eat or drink for 6 hours before you arrive.")) == []
    [finding] = conditional_prohibitions(with_picture("You may need to stop eating a few hours before."))
    assert "preparation[1]: the 'no-food-drink' picture says 'do not eat or drink' without condition" in finding.message
    assert "conditional ('may')" in finding.message


# -- termbase ------------------------------------------------------------------------------------


BLOOD_THINNER = Term("blood thinner", ("para diluir la sangre", "anticoagulantes o antiagregantes"), "both kinds")


def test_a_term_needs_one_of_its_approved_translations():
    assert missing_terms("Tell us if you take blood thinners.", ["Díganos si toma anticoagulantes."], [BLOOD_THINNER])
    assert not missing_terms(
        "Tell us if you take blood thinners.", ["Díganos si toma medicamentos para diluir la sangre."], [BLOOD_THINNER]
    )
    assert not missing_terms("Tell us about Blood Thinners.", ["anticoagulantes o antiagregantes"], [BLOOD_THINNER])
    assert not missing_terms("Thinners of paint", ["x"], [BLOOD_THINNER])  # whole words only


def test_the_longest_term_wins_so_access_site_is_not_dialysis_access():
    terms = [Term("access", ("مدخل",), ""), Term("access site", ("مكان إدخال",), "")]
    assert not missing_terms("Bleeding at the access site", ["نزيف في مكان إدخال الأنبوب"], terms)
    assert missing_terms("Clots in your access", ["جلطات في منفذ الغسيل"], terms)


def test_numbers_are_compared_in_any_digits_and_conversions_may_be_added():
    assert numbers("١٠ دقائق و٣٨٫٥") == [10, 38.5]
    assert numbers("１０分钟") == [10]
    assert changed_numbers("Press for 10 minutes.", "Appuyez pendant 10 minutes.") == []
    assert changed_numbers("A fever of 100.4 degrees F or higher", "Fiebre de 100,4 °F (38 °C) o más") == []
    assert changed_numbers("Do not lift more than 10 lb.", "لا ترفع أكثر من ١٠ رطل (٤٫٥ كغ).") == []
    assert changed_numbers("Press for 10 minutes.", "Appuyez pendant 15 minutes.") == [
        "the translation lacks the number 10 of the English",
        "the translation has the number 15, which the English does not have",
    ]


def test_every_shipped_catalog_uses_its_termbase_and_keeps_its_numbers():
    project = Project(REPO)
    for lang in ["es", "fr", "ar", "zh_Hans", "vi"]:
        assert read_termbase(REPO / "locales" / lang / "termbase.csv")
        assert termbase_findings(project, lang) == []


def test_check_names_the_catalog_line_of_a_wrong_term(project, cli):
    one_leaflet(project)
    set_languages(project, "en, es")  # what check reads: one record, in English and Spanish
    catalog = project / "locales" / "es" / "LC_MESSAGES" / "messages.po"
    text = catalog.read_text(encoding="utf-8")
    assert 'msgid "Fistula"\nmsgstr "Fístula"\n' in text
    changed = text.replace('msgid "Fistula"\nmsgstr "Fístula"', 'msgid "Fistula"\nmsgstr "Conducto"', 1)
    catalog.write_text(changed, encoding="utf-8")
    lines = catalog.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text_line in enumerate(lines, 1) if text_line == 'msgstr "Conducto"') - 1
    found = catalog_problems(catalog, read_termbase(project / "locales" / "es" / "termbase.csv"), "es")
    assert [p.line for p in found] == [line] and "should be translated as 'fístula'" in found[0].message
    code, out, _ = cli("--root", project, "check", "--clinic", "example", "--strict")
    assert code == 1 and f"messages.po:{line}: warning: catalog [es]: 'fistula' should be" in out
