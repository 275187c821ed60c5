"""Issue 16: risks with numbers and icon arrays, traceable sources, triage that cannot contradict
itself, and a reading level on whole sentences."""

from __future__ import annotations

import io
import re
from datetime import date

import pikepdf
import pytest

from helpers import I16, edit_record, pdf_text, replace_section, set_languages, with_numbered_risks
from leaflets.build.leaflet import Builder
from leaflets.checks.readability import smog_grade, whole_sentences
from leaflets.checks.triage import phrase_matches
from leaflets.errors import LeafletErrors
from leaflets.governance.checking import check_leaflets
from leaflets.language.i18n import extract_records
from leaflets.model.project import Project, load_procedure
from leaflets.render.risks import icon_array

FISTULA = "dialysis-fistula-creation"


def leaflet_pdf(project, lang="en", procedure_id=FISTULA, large_print=False) -> bytes:
    built = Project(project)
    builder = Builder(built, today=date(2027, 1, 1))
    leaflet = builder.leaflet(built.load_procedure(procedure_id), built.load_clinic("example"), lang, large_print=large_print)
    return builder.pdf(leaflet)


def figure_alts(data: bytes) -> list[str]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        found, todo = [], [pdf.Root.StructTreeRoot.K]
        while todo:
            item = todo.pop()
            if isinstance(item, pikepdf.Array):
                todo.extend(item)
            elif isinstance(item, pikepdf.Dictionary) and "/S" in item:
                if str(item.S) == "/Figure":
                    found.append(str(item.get("/Alt", "")))
                todo.append(item.get("/K", pikepdf.Array()))
        return found


def problems(project) -> list[str]:
    return [str(f) for f in check_leaflets(set_languages(project, "en"), "example", date(2027, 1, 1))[1]]


# -- risks -----------------------------------------------------------------------------------------

def test_risks_are_said_as_natural_frequencies_with_band_words_most_frequent_first(project):
    with_numbered_risks(project)
    text = pdf_text(leaflet_pdf(project))
    assert "Each number tells how many people out of 100 who have this procedure have that problem." in text
    assert "Very common · about 13 in 100 people" in text
    assert "Common · between 1 and 5 in 100 people" in text
    assert "Serious: Steal syndrome" in text and "Common · about 2 in 100 people" in text
    assert "Uncommon · fewer than 1 in 100 people" in text
    order = [text.index(s) for s in ("about 13 in 100", "between 1 and 5", "about 2 in 100", "fewer than 1 in 100")]
    assert order == sorted(order)
    assert "We do not have a reliable number for how often these happen." in text
    assert "Serious: Harm to a nerve in your arm, which can leave your hand numb or weak" in text
    assert "usually mild" not in text and "Few people have these" not in text


def test_one_risk_below_1_in_100_puts_every_risk_in_1000(project):
    with_numbered_risks(project, "one-in-a-thousand.yaml")
    data = leaflet_pdf(project)
    text = pdf_text(data)
    assert "about 130 in 1,000 people" in text and "Uncommon · about 5 in 1,000 people" in text
    assert [alt for alt in figure_alts(data) if alt.startswith("Picture of")] == [
        "Picture of 1,000 people. 130 of them are shaded: the people who have this problem."]


def test_each_key_risk_is_a_figure_with_its_alt_text_in_the_pdf(project):
    with_numbered_risks(project)
    alts = figure_alts(leaflet_pdf(project))
    assert "Picture of 100 people. 13 of them are shaded: the people who have this problem." in alts
    assert ("Picture of 100 people. 1 to 5 of them may have this problem: 1 are shaded and the rest up to 5 are grey."
            in alts)


@pytest.mark.parametrize("lang, alt", [
    ("ar", "صورة لـ 100 شخص. عدد المظلَّلين منهم 13"),
    ("zh_Hans", "100 个人的图。其中 13 个人是深色的"),
])
def test_the_alt_text_is_translated(project, lang, alt):
    # the shipped fistula record: its first key risk is 13 in 100
    assert any(a.startswith(alt) for a in figure_alts(leaflet_pdf(project, lang)))


def people_by_fill(total: int, shaded: int, maybe: int, rtl: bool = False) -> dict[str, list[tuple[int, int]]]:
    """An icon array as its reader sees it: for each fill, the (column, row) of each person drawn in it."""
    shapes = str(icon_array(total, shaded, maybe, rtl).shapes)
    tile = r'<pattern id="([^"]+)" patternUnits="userSpaceOnUse" width="10" height="\d+"><g fill="(#[0-9a-f]{6})"'
    fills = dict(re.findall(tile, shapes))
    cell_height = 12 if total == 100 else 10
    people: dict[str, list[tuple[int, int]]] = {}
    for outline, tile in re.findall(r'<path d="([^"]+)" fill="url\(#([^)]+)\)"/>', shapes):
        for x, y, width, height in re.findall(r"M(\d+) (\d+)h(\d+)v(\d+)h-\d+z", outline):
            people.setdefault(fills[tile], []).extend(
                (column, row) for row in range(int(y) // cell_height, (int(y) + int(height)) // cell_height)
                for column in range(int(x) // 10, (int(x) + int(width)) // 10))
    return people


def test_shading_starts_where_a_line_starts_left_or_right():
    assert people_by_fill(100, 1, 0, rtl=False)["#1a1a1a"] == [(0, 0)]
    assert people_by_fill(100, 1, 0, rtl=True)["#1a1a1a"] == [(9, 0)]


def test_shaded_outlined_and_grey_people_differ_in_fill_not_only_colour():
    people = people_by_fill(100, 3, 2)
    assert {fill: len(cells) for fill, cells in people.items()} == {"#1a1a1a": 3, "#9a9a9a": 2, "#ffffff": 95}
    assert people["#9a9a9a"] == [(3, 0), (4, 0)]  # grey right after the shaded, in reading order
    assert len({cell for cells in people.values() for cell in cells}) == 100  # each person drawn once


@pytest.mark.parametrize("total, shaded, maybe", [(100, 13, 5), (100, 0, 0), (100, 100, 0), (1000, 13, 5), (1000, 2, 997)])
def test_every_person_is_drawn_once_the_shaded_first_then_the_grey_in_reading_order(total, shaded, maybe):
    per_row = 10 if total == 100 else 40
    people = people_by_fill(total, shaded, maybe)

    def cells(first: int, end: int) -> set[tuple[int, int]]:
        return {divmod(index, per_row)[::-1] for index in range(first, end)}

    assert sorted(cell for drawn in people.values() for cell in drawn) == sorted(cells(0, total))
    assert set(people.get("#1a1a1a", [])) == cells(0, shaded)
    assert set(people.get("#9a9a9a", [])) == cells(shaded, shaded + maybe)


def test_an_icon_array_draws_one_person_of_each_kind_and_fills_areas_with_it():
    for total in (100, 1000):
        shapes = str(icon_array(total, 13, 5).shapes)
        assert shapes.count("<pattern") == 3 and "<circle" not in shapes
        assert shapes.count('fill="url(#') == 3  # one area for each kind of person, whatever the numbers
        assert shapes.count("<path") == 3 + 3 * (2 if total == 100 else 1)  # the areas; a head and a body each, or a dot


def test_a_number_without_its_source_is_refused_with_its_line(project):
    path = with_numbered_risks(project)
    path.write_text(path.read_text().replace("    source: neat-2017\n    key: true\n", "    key: true\n", 1))
    with pytest.raises(LeafletErrors) as caught:
        load_procedure(path)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "about: {count: 13" in text) - 1
    assert [str(e) for e in caught.value.errors] == [f"{path}:{line}: risks[4]: a risk with a number (about) needs its source"]


def test_a_source_that_names_no_source_is_refused_with_its_line(project):
    path = with_numbered_risks(project)
    path.write_text(path.read_text().replace("source: neat-2017\n    serious", "source: neat-2071\n    serious", 1))
    with pytest.raises(LeafletErrors) as caught:
        load_procedure(path)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "neat-2071" in text)
    known = ", ".join(re.findall(r"^  - id: (\S+)$", path.read_text(), re.MULTILINE))  # the record's own sources
    assert known.startswith("neat-2017, ")
    assert [str(e) for e in caught.value.errors] == [
        f"{path}:{line}: risks[7].source: 'neat-2071' names no source; known: {known}"
    ]


def test_a_frequency_in_words_is_refused_with_what_to_write(project):
    path = edit_record(project, FISTULA, "about: unknown", "about: sometimes")
    with pytest.raises(LeafletErrors) as caught:
        load_procedure(path)
    [error] = [str(e) for e in caught.value.errors]
    assert re.fullmatch(
        rf"{re.escape(str(path))}:\d+: risks\[\d+\]: about: 'sometimes' is not a frequency; write "
        r"\{count, per\}, \{low, high, per\}, \{less_than, per\}, or unknown",
        error,
    ), error


def test_sources_need_unique_ids_and_an_address(project):
    path = project / "content" / "procedures" / f"{FISTULA}.yaml"
    text = path.read_text()
    assert re.search(r"^sources:\n(  .*\n)+\Z", text, re.MULTILINE), "sources is the record's last key"
    neat = re.search(r"^  - id: neat-2017\n(    .*\n)+", text, re.MULTILINE)[0]
    added = f"sources[{text[text.index('sources:') :].count('  - id: ') + 1}]"
    path.write_text(
        text
        + neat.replace("    url: https://www.ajkd.org/article/S0272-6386(17)30692-3/fulltext\n", "").replace(
            "    doi: 10.1053/j.ajkd.2017.03.026\n", ""
        )
    )
    with pytest.raises(LeafletErrors) as caught:
        load_procedure(path)
    messages = [str(e).split(": ", 1)[1] for e in caught.value.errors]
    assert messages == [f"{added}: a source needs its address: url, doi, or both"]
    path.write_text(text + neat)
    with pytest.raises(LeafletErrors) as caught:
        load_procedure(path)
    assert [str(e).split(": ", 1)[1] for e in caught.value.errors] == [f"{added}.id: 'neat-2017' is used by an earlier source"]


def test_the_leaflet_ends_with_the_sources_of_its_numbers_and_the_way_to_all_of_them(project):
    with_numbered_risks(project)
    text = pdf_text(leaflet_pdf(project))
    section = text[text.index("Where the numbers come from"):]
    assert section.startswith("Where the numbers come from American Journal of Kidney Diseases, 2017")  # short form
    # the way to all of them: the web version's short address (the clinic's published_at), beside its QR code
    assert "All sources and the latest version:" in section
    address = f"leaflets.riverside-clinic.example/example/en/{FISTULA}.html"
    assert "".join(f"All sources and the latest version: {address}".split()) in "".join(section.split())  # across a line break
    # Titles and addresses stay in the record, in `leaflets review` and on the web version, not on paper
    assert "Endovascular Proximal Forearm" not in text and "doi:" not in text and "Moderate Sedation, Adult" not in text


def test_prose_may_carry_its_source_and_only_its_text_is_extracted(project):
    path = project / "content" / "procedures" / f"{FISTULA}.yaml"
    assert "  - text: Do not drive for at least 3 days.\n    source: ekh-avf\n" in path.read_text()
    load_procedure(path)
    with path.open("rb") as file:
        messages = [message for _, _, message, _ in extract_records(file, None, None, {})]
    assert "Do not drive for at least 3 days." in messages
    assert not {
        "ekh-avf",
        "neat-2017",
        "East Kent Hospitals University NHS Foundation Trust",
        "American Journal of Kidney Diseases",
        "13",
        "100",
        "unknown",
    } & set(messages)


# -- check: numbers, frequencies ------------------------------------------------------------------

NO_FREQUENCY = (
    "risks[{}]: no frequency; give about: with its source, or write about: unknown once you have looked "
    "and found no reliable number (the leaflet then says so)"
)


def test_check_errs_on_a_number_without_a_source_and_spares_the_clinics_numbers(project):
    path = edit_record(
        project,
        FISTULA,
        "  - Ask which pain medicine is safe for your kidneys. Do not take ibuprofen or naproxen unless "
        "your kidney doctor agrees.",
        "  - Most people go home two hours after the procedure.\n  - If you cannot reach us, call (555) 010-2000.",
    )
    edit_record(project, FISTULA, "  duration: {min_minutes: 15, max_minutes: 30, source: backtable-endoavf}",
                "  duration: {min_minutes: 15, max_minutes: 30}")
    found = problems(project)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "two hours" in text)
    assert (f"{path}:{line}: error: {FISTULA}: recovery[4]: \"Most people go home two hours "
            "after the procedure.\" holds a number but names no source (write it as {text, source})") in found
    assert not any("(555) 010-2000" in f for f in found)
    assert any(
        f"{FISTULA}: what_to_expect.duration: a duration is a number the patient reads; give its source" in f for f in found
    )


def test_check_warns_about_a_risk_without_a_frequency(project):
    path = with_numbered_risks(project)
    found = problems(project)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "Bruising, soreness" in text)
    assert f"{path}:{line}: warning: {FISTULA}: {NO_FREQUENCY.format(1)}" in found
    assert not any(f"{FISTULA}: risks[4]: no frequency" in f for f in found)


def test_about_unknown_silences_the_no_frequency_warning_that_a_plain_text_risk_keeps(project):
    """Every unnumbered risk of the shipped fistula record says about: unknown; one written as plain text is warned."""
    path = edit_record(project, FISTULA, "  - text: A clot that blocks the fistula, or infection where the needle went in\n"
                       "    about: unknown\n", "  - A clot that blocks the fistula, or infection where the needle went in\n")
    assert "about: unknown" in path.read_text()
    found = [f for f in problems(project) if f"{FISTULA}: risks[" in f and "no frequency" in f]
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "infection where the needle went in" in text)
    assert found == [f"{path}:{line}: warning: {FISTULA}: {NO_FREQUENCY.format(5)}"]


# -- triage ---------------------------------------------------------------------------------------


def test_a_sign_is_found_whatever_its_case_plural_or_word_order():
    phrase = "cold|pale|blue|numb hand|arm|leg|foot|finger|toe|limb"
    assert phrase_matches(phrase, "Your hand turns cold, pale or blue")
    assert phrase_matches(phrase, "COLD FINGERS")
    assert phrase_matches(phrase, "A cold, pale, numb, or painful leg, hand, or arm")
    assert not phrase_matches(phrase, "Swelling in your arm or hand that gets worse")
    assert phrase_matches("lump|swelling grows|growing|bigger", "A lump at the access site that keeps getting bigger")
    assert phrase_matches("tube|drain falls|fell|comes out", "Your tubes fall out")


def test_the_fistula_cold_hand_both_911_and_call_us_is_an_error(project):
    path = replace_section(project, FISTULA, "when_to_get_help", (I16 / "fis-triage.yaml").read_text().split("\n", 2)[2])
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "Your hand feels numb, tingly or cold" in text)
    assert (
        f"{path}:{line}: error: {FISTULA}: when_to_get_help.call_us[4]: the sign "
        "'cold-limb' is also under urgent in this leaflet; a patient cannot do both"
    ) in problems(project)


def test_a_sign_key_settles_what_the_item_means(project):
    replace_section(project, FISTULA, "when_to_get_help", (I16 / "fis-triage.yaml").read_text().split("\n", 2)[2])
    edit_record(
        project,
        FISTULA,
        "    - Your hand feels numb, tingly or cold",
        "    - text: Your hand feels a bit cold or tingly, without pain\n      sign: hand-slightly-cold",
    )
    assert not any(f"{FISTULA}: when_to_get_help" in f and "the sign" in f for f in problems(project))


def test_the_heart_cold_limb_and_growing_lump_as_call_us_are_warned(project):
    path = replace_section(project, "coronary-blockage-opening", "when_to_get_help",
                           (I16 / "cto-triage.yaml").read_text().split("\n", 2)[2])
    # The coronary record has no wound-care block, whose urgent "swelling that grows fast" would make the lump an error here.
    assert "blocks: [sedation, contrast-dye, blood-thinners, fasting]" in path.read_text()
    found = [f for f in problems(project) if "coronary-blockage-opening: when_to_get_help" in f and "the sign" in f]
    lines = path.read_text().splitlines()
    lump = next(i for i, text in enumerate(lines, 1) if "keeps getting bigger" in text)
    limb = next(i for i, text in enumerate(lines, 1) if "A cold, pale, numb" in text)
    assert found == [
        f"{path}:{lump}: warning: coronary-blockage-opening: "
        "when_to_get_help.call_us[3]: the sign 'growing-lump' is urgent in content/red_flags.yaml; here it is only 'call us'",
        f"{path}:{limb}: warning: coronary-blockage-opening: "
        "when_to_get_help.call_us[4]: the sign 'cold-limb' is urgent in content/red_flags.yaml; here it is only 'call us'",
    ]


def test_a_blocks_urgent_sign_is_urgent_in_the_leaflet_so_the_same_sign_under_call_us_is_an_error(project):
    path = replace_section(project, "coronary-blockage-opening", "when_to_get_help",
                           (I16 / "cto-triage.yaml").read_text().split("\n", 2)[2])
    edit_record(project, "coronary-blockage-opening", "blocks: [sedation, contrast-dye, blood-thinners, fasting]",
                "blocks: [sedation, contrast-dye, blood-thinners, wound-care, fasting]")
    lump = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "keeps getting bigger" in text)
    assert (
        f"{path}:{lump}: error: coronary-blockage-opening: when_to_get_help.call_us[3]: the sign 'growing-lump' "
        "is also under urgent in this leaflet; a patient cannot do both"
    ) in problems(project)  # wound-care: "grows fast"


def test_a_sign_urgent_in_another_leaflet_is_warned_without_the_shared_list(project):
    (project / "content" / "red_flags.yaml").write_text(
        "signs:\n  - id: no-thrill\n    description: No buzz\n    urgent: false\n    words: [buzz|thrill not|cannot feel]\n"
    )
    edit_record(
        project, "dialysis-access-clot-removal", "  urgent:\n", "  urgent:\n    - You cannot feel the buzz in your access\n"
    )
    edit_record(project, FISTULA, "    - text: You cannot feel the buzz", "    - text: You cannot feel the buzz")
    assert any(
        f"{FISTULA}: when_to_get_help.call_us[1]: the sign 'no-thrill' is urgent in dialysis-access-clot-removal" in f
        for f in problems(project)
    )


# -- reading level --------------------------------------------------------------------------------


def test_smog_reads_whole_sentences_and_leaves_fragments_out():
    texts = ["Bruising at the needle spot", "You lie on your back. The team cleans your arm.", "Chest pain or trouble breathing"]
    assert whole_sentences(texts) == ["You lie on your back.", "The team cleans your arm."]
    assert smog_grade(texts) is None  # too few sentences to mean anything


def test_smog_above_the_clinics_target_is_a_warning_and_fails_strict(cli, project):
    clinic = project / "content" / "clinics" / "example.yaml"
    clinic.write_text(clinic.read_text() + "reading_grade_max: 5\n")
    set_languages(project, "en")
    found = problems(project)
    assert any(
        re.search(
            rf"warning: {FISTULA} \[en\]: SMOG grade [\d.]+ \(on whole sentences; Flesch-Kincaid [\d.]+\) is "
            r"above the clinic's reading_grade_max 5",
            f,
        )
        for f in found
    )


def test_the_clinics_reading_target_is_validated(project):
    clinic = project / "content" / "clinics" / "example.yaml"
    clinic.write_text(clinic.read_text() + "reading_grade_max: 40\n")
    with pytest.raises(LeafletErrors) as caught:
        Project(project).load_clinic("example")
    assert "reading_grade_max: 40 is out of range" in str(caught.value.errors[0])


def test_numbers_that_cannot_share_one_denominator_are_refused(project):
    path = with_numbered_risks(project)
    path.write_text(path.read_text().replace("about: {count: 2, per: 100}", "about: {count: 0.25, per: 10000}", 1))
    with pytest.raises(LeafletErrors) as caught:
        load_procedure(path)
    assert str(caught.value.errors[0]).split(": ", 1)[1] == (
        "risks: these numbers cannot all be said as whole numbers in 100, 1,000 or 10,000; round them as the source allows"
    )
