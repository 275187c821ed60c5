"""Advice that never contradicts itself: medicines a procedure keeps, infection signs with a way out,
the checklist grouped by when, fasting as clock times, and a glossary only of words that need it."""

from __future__ import annotations

from pathlib import Path

from helpers import REPO, edit_record, one_leaflet, pdf_text
from leaflets.build.leaflet import Builder
from leaflets.checks.advice import infection_without_escalation, stop_plan_contradictions
from leaflets.checks.readability import explained_in_place, needless_glossary_entries, unexplained_words
from leaflets.model.project import Project
from leaflets.render.html import parse_personal

CORONARY, FISTULA, CLOT = "coronary-blockage-opening", "dialysis-fistula-creation", "dialysis-access-clot-removal"


def english_text(root: Path, procedure_id: str, appointment: str | None = None) -> str:
    project = Project(root)
    builder = Builder(project)
    personal = parse_personal({"appointment": appointment}) if appointment else parse_personal({})
    leaflet = builder.leaflet(project.load_procedure(procedure_id), project.load_clinic("example"), "en", False, personal)
    return " ".join(pdf_text(builder.pdf(leaflet)).split())


def advice_words():
    return Project(REPO).load_red_flags().advice


# -- medicines a procedure keeps -------------------------------------------------------------------


def test_the_coronary_leaflet_says_to_keep_taking_aspirin_before_the_procedure():
    text = english_text(REPO, CORONARY)
    ready = text[text.index("How to get ready"):text.index("What happens")]
    assert "Keep taking aspirin every day before and after the procedure." in ready
    assert "If you also take clopidogrel, prasugrel or ticagrelor, keep taking it too." in ready
    assert "the day to stop it and the day to start again" in ready  # the plan: for an anticoagulant only
    assert "Do not stop a blood thinner on your own" not in text  # the generic stop-and-restart plan is left out


def test_a_record_without_keep_taking_gets_the_stop_and_restart_plan_for_every_blood_thinner():
    text = english_text(REPO, FISTULA)
    assert ("Do not stop a blood thinner on your own, because stopping can cause a clot, a heart attack or a stroke. "
            "Ask your care team for a written plan with the day to stop and the day to start again") in text
    assert "Keep taking aspirin" not in text


def test_check_reports_a_stop_plan_for_a_medicine_the_record_keeps(project):
    edit_record(project, CORONARY, "      - text: For 5 days, do not lift anything heavy, such as full shopping bags.",
                "      - text: Ask which day to stop your blood thinners before you have your teeth cleaned.")
    procedure = Project(project).load_procedure(CORONARY)
    [message] = stop_plan_contradictions(procedure, advice_words())
    assert "step 3: plans a day to stop antiplatelets, but the record keeps them (keep_taking: antiplatelets)" in message


def test_a_stop_plan_that_names_only_the_medicine_that_stops_is_fine():
    procedure = Project(REPO).load_procedure(CORONARY)  # prints "If you take an anticoagulant ... the day to stop it"
    assert stop_plan_contradictions(procedure, advice_words()) == []
    stopping = procedure.model_copy(update={"keep_taking": []})
    assert stop_plan_contradictions(stopping, advice_words()) == []  # nothing kept, nothing to contradict


def test_the_shipped_records_have_no_contradiction_and_no_infection_sign_without_escalation():
    project = Project(REPO)
    for procedure_id in project.procedure_ids():
        procedure = project.load_procedure(procedure_id)
        assert stop_plan_contradictions(procedure, advice_words()) == [], procedure_id
        assert infection_without_escalation(procedure, advice_words()) == [], procedure_id


def test_check_reports_a_fever_with_nowhere_to_go_when_we_cannot_be_reached(project, cli):
    edit_record(
        project,
        FISTULA,
        "    - Fever or chills, or swelling in your arm that gets worse. If you cannot reach us, or you feel "
        "very unwell, go to the emergency room.",
        "    - Fever or chills",
    )
    [message] = infection_without_escalation(Project(project).load_procedure(FISTULA), advice_words())
    assert message.startswith("when_to_get_help.call_us[3]: a sign of infection with no step for when we cannot be reached")
    one_leaflet(project)  # what check reads: the fistula record, in English
    code, out, _ = cli("--root", project, "check", "--clinic", "example")
    assert code == 1 and f"error: {FISTULA}: when_to_get_help.call_us[3]: a sign of infection" in out


# -- the checklist, grouped by when; fasting times ---------------------------------------------------


def test_the_checklist_is_grouped_by_when_in_order():
    text = english_text(REPO, FISTULA)
    ready = text[text.index("How to get ready"):text.index("What happens")]
    week, day, on_the_day = ready.index("A week before"), ready.index("The day before"), ready.index("On the day")
    assert week < day < on_the_day
    assert ready.index("Go to the ultrasound scan of your arm.") < day  # when: week-before
    assert ready.index("Wear a loose top with wide sleeves.") > on_the_day  # when: on-the-day


def test_fasting_times_are_clock_times_when_the_appointment_is_known():
    text = english_text(REPO, FISTULA, appointment="2026-12-01 09:30")
    assert (
        "No food from (6 hours before you arrive) 3:30\u202fAM" in text
        or "No food from (6 hours before you arrive) 3:30 AM" in text
    )
    assert "Nothing to drink from (2 hours before you arrive) 7:30" in text


def test_a_fasting_time_on_the_day_before_carries_its_date():
    text = english_text(REPO, FISTULA, appointment="2026-12-01 05:00")
    assert "No food from (6 hours before you arrive) Monday, November 30, 2026, 11:00" in text
    assert "Nothing to drink from (2 hours before you arrive) 3:00" in text  # the same day: the time alone


def test_without_an_appointment_there_is_a_line_to_write_the_times_on():
    html = Builder(Project(REPO)).html(Builder(Project(REPO)).leaflet(
        Project(REPO).load_procedure(FISTULA), Project(REPO).load_clinic("example"), "en"))
    assert html.count('<dd class="write-here"></dd>') == 2


# -- glossary ------------------------------------------------------------------------------------------


def test_a_word_explained_where_it_is_used_needs_no_glossary_entry():
    assert explained_in_place("stent", "Sometimes a small mesh tube (stent) is left in.")
    assert explained_in_place("sedation", "For 24 hours after sedation (medicine to relax you), do not drive.")
    assert explained_in_place("anticoagulant", "Anticoagulants include warfarin and apixaban.")
    assert not explained_in_place(
        "nitroglycerin", "If you have nitroglycerin (GTN) spray, use 1 dose."
    )  # a short name, not a meaning
    assert not explained_in_place("vein", "Do not put an IV (a thin tube in a vein) in that arm.")  # explains IV, not vein
    record = {"summary": "A small mesh tube (stent) holds it open.", "glossary": []}
    assert unexplained_words(record, {"stent": "a small tube"}) == []
    assert unexplained_words({"summary": "A stent holds it open.", "glossary": []}, {"stent": "a small tube"}) == [
        ("stent", "a small tube", "summary")]


def test_check_warns_about_a_glossary_entry_the_leaflet_does_not_need():
    record = {
        "summary": "A small mesh tube (stent) holds the artery open.",
        "glossary": [
            {"term": "Stent", "meaning": "A small tube."},
            {"term": "Graft", "meaning": "A soft tube."},
            {"term": "Artery", "meaning": "A blood vessel."},
        ],
    }
    assert needless_glossary_entries(record) == [
        ("Stent", "is explained where it is used"),
        ("Graft", "is not used in the leaflet"),
    ]
