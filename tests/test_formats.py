"""Records, blocks and clinic files of an earlier format still load, with one warning naming the upgrade;
what cannot be read safely is one error per field saying what format 2 expects there."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from conftest import comparable
from helpers import one_leaflet, pdf_text
from leaflets.errors import LeafletErrors
from leaflets.model.blocks import load_block
from leaflets.model.clinic import load_clinic
from leaflets.model.project import load_procedure

FORMATS = Path(__file__).parent / "data" / "formats"
FIRST_RELEASE = FORMATS / "format-1-first-release"
HAND_MADE = FORMATS / "format-1-hand-made"
NO_FORMAT_LINE = FORMATS / "format-2-no-format-line"
FIRST_RELEASE_RECORDS = sorted(p.name for p in FIRST_RELEASE.glob("*.yaml") if p.name != "example-clinic.yaml")
NOT_PRINTED = ("id", "codes", "review")  # said in the footer and the list, not as written
ON_PAPER_IN_SHORT = ("sources",)  # paper prints only the key sources, in short; `leaflets review` lists each in full


def put_record(project: Path, source: Path, name: str | None = None) -> Path:
    """Put a record into the project's content/procedures/, as a clinic would."""
    target = project / "content" / "procedures" / (name or source.name)
    shutil.copy(source, target)
    return target


def format_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "leaflets.model.formats" and r.levelno == logging.WARNING]


def strings(data: object, location: tuple[object, ...] = ()):
    """Every text of a record, with where it is."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from strings(value, location + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from strings(value, location + (index,))
    elif isinstance(data, str):
        yield location, data


@pytest.mark.parametrize("name", FIRST_RELEASE_RECORDS)
def test_a_first_release_record_loads_with_one_warning_naming_the_upgrade(project, caplog, name):
    path = put_record(project, FIRST_RELEASE / name)
    procedure = load_procedure(path, project)
    load_procedure(path, project)  # read again: still one warning for the file
    [warning] = format_warnings(caplog)
    assert warning == (f"{path}:1: written in format 1 (the current one is 2); it still loads, but "
                       f"'leaflets upgrade {path}' rewrites it in format 2")
    old = __import__("yaml").safe_load((FIRST_RELEASE / name).read_text())
    assert [risk.text for risk in procedure.risks] == old["risks"]["common"] + old["risks"]["rare"]  # common first
    assert all(risk.about is None for risk in procedure.risks)  # no number was made up
    assert [source.title for source in procedure.sources] == old["sources"]
    assert all(source.publisher is None and source.url is None for source in procedure.sources)


@pytest.mark.parametrize("name", ["dialysis-fistula-creation.yaml", "coronary-blockage-opening.yaml"])
def test_a_first_release_record_builds_and_prints_every_item_it_holds(project, cli, caplog, name):
    put_record(project, FIRST_RELEASE / name)
    output = project / "leaflet.pdf"
    code, out, err = cli("--root", project, "build", name.removesuffix(".yaml"), "--output", output)
    assert code == 0, err
    assert len(format_warnings(caplog)) == 1
    text = comparable(pdf_text(output))
    data = __import__("yaml").safe_load((FIRST_RELEASE / name).read_text())
    missing = [(where, words) for where, words in strings(data) if where[0] not in NOT_PRINTED + ON_PAPER_IN_SHORT
               and where[-1] != "pictogram" and comparable(words) not in text]
    assert missing == []
    code, review, err = cli("--root", project, "review", name.removesuffix(".yaml"))
    assert code == 0, err
    listed = comparable(review)
    assert [words for where, words in strings(data) if where[0] in ON_PAPER_IN_SHORT and comparable(words) not in listed] == []
    assert "None" not in review  # a format 1 source has no publisher, and none is made up


def test_hand_made_first_release_shapes_load(project, caplog):
    flow = load_procedure(put_record(project, HAND_MADE / "ear-tube-flow-style.yaml"), project)
    assert [risk.text for risk in flow.risks] == ["Some fluid comes out of your ear", "A small amount of blood",
                                                   "The tube falls out early"]
    assert [source.title for source in flow.sources] == ["Ear tube guidance from an ear doctors' society",
                                                         "Notes: from our own clinic"]
    block = load_procedure(put_record(project, HAND_MADE / "ear-tube-block-style.yaml"), project)
    assert [risk.text for risk in block.risks][2:] == ["The tube falls out early", "A hole stays in the ear drum"]
    assert len(format_warnings(caplog)) == 2


def test_a_risks_group_the_first_release_did_not_have_is_one_error_saying_what_to_write(project):
    path = put_record(project, HAND_MADE / "ear-tube-unknown-group.yaml")
    with pytest.raises(LeafletErrors) as caught:
        load_procedure(path, project)
    assert [str(e) for e in caught.value.errors] == [
        f"{path}:10: risks.very_rare: format 1 had only the groups common: and rare:, so 'very_rare' cannot be read "
        "safely; write risks as one list, each risk with its number and source, like "
        "- {text: Bruising where the needle went in, about: {count: 5, per: 100}, source: neat-2017}"]


def test_a_file_that_says_format_2_but_holds_format_1_shapes_gets_one_error_per_field(project):
    path = put_record(project, FIRST_RELEASE / "dialysis-fistula-creation.yaml")
    path.write_text("format: 2\n" + path.read_text())
    with pytest.raises(LeafletErrors) as caught:
        load_procedure(path, project)
    messages = [f"{e.line}: {e.message}" for e in caught.value.errors]
    assert messages == [
        "66: risks: in format 2, risks is one list, each risk with its number and source, like - {text: Bruising "
        "where the needle went in, about: {count: 5, per: 100}, source: neat-2017}; common: and rare: are format 1 "
        f"('leaflets upgrade {path}' rewrites them)",
        "139: sources[1]: in format 2 a source is its id, title, publisher and address (url or doi), like {id: "
        "neat-2017, title: A study of fistulas made through the skin, publisher: American Journal of Kidney "
        "Diseases, year: 2017, url: https://www.ajkd.org/...}; a line of text is format 1",
        "140: sources[2]: in format 2 a source is its id, title, publisher and address (url or doi), like {id: "
        "neat-2017, title: A study of fistulas made through the skin, publisher: American Journal of Kidney "
        "Diseases, year: 2017, url: https://www.ajkd.org/...}; a line of text is format 1",
    ]
    assert not any("expected text, found text" in m for m in messages)


@pytest.mark.parametrize(("line", "message"), [
    ("format: 3", "format: 3 is newer than this version of leaflets reads (formats 1 to 2); update leaflets, "
                  "or write the file in an older format"),
    ("format: two", "format: write the number of the format this file is written in, 2 for the current one, "
                    "like 'format: 2' (no line at all means format 1)"),
])
def test_a_format_it_does_not_know_is_one_error(project, line, message):
    path = project / "content" / "procedures" / "kidney-tube-tract-widening.yaml"
    path.write_text(path.read_text().replace("format: 2", line))
    with pytest.raises(LeafletErrors) as caught:
        load_procedure(path, project)
    assert [(e.line, e.message) for e in caught.value.errors] == [(1, message)]


def test_format_2_files_written_before_the_format_line_load_the_same_with_one_warning_each(project, caplog):
    record = put_record(project, NO_FORMAT_LINE / "kidney-tube-tract-widening.yaml")
    assert load_procedure(record, project) == load_procedure(REPO_RECORD, None)
    clinic = project / "content" / "clinics" / "example.yaml"
    shutil.copy(NO_FORMAT_LINE / "example-clinic.yaml", clinic)
    assert load_clinic(clinic).name == "Riverside Vascular and Kidney Clinic"
    block = project / "content" / "blocks" / "sedation.yaml"
    shutil.copy(NO_FORMAT_LINE / "sedation-block.yaml", block)
    assert load_block(block).sources
    assert len(format_warnings(caplog)) == 3


def test_the_first_release_clinic_file_loads(tmp_path, caplog):
    shutil.copy(FIRST_RELEASE / "example-clinic.yaml", tmp_path / "example.yaml")
    shutil.copy(Path(__file__).parent.parent / "content" / "clinics" / "example-logo.svg", tmp_path)
    clinic = load_clinic(tmp_path / "example.yaml")
    assert (clinic.languages, clinic.phones.daytime) == (["en"], "(555) 010-2000")
    assert len(format_warnings(caplog)) == 1


def test_check_warns_once_about_a_first_release_record(project, cli, caplog):
    one_leaflet(project)  # what check reads: this record, in English
    path = put_record(project, FIRST_RELEASE / "dialysis-fistula-creation.yaml")
    code, out, err = cli("--root", project, "check")
    assert "expected text, found text" not in out + err and "expected a list, found keys" not in out + err
    assert out.startswith("1 procedures and 1 clinics: no problems found")
    assert f"{path}:1: warning: dialysis-fistula-creation: written in format 1 (the current one is 2); it still " \
           f"loads, but 'leaflets upgrade {path}' rewrites it in format 2\n" in out
    assert out.count("leaflets upgrade") == 1 and format_warnings(caplog) == []  # said once, by check
    # (check also fails it: the first release's numbers name no source, which format 2's checks want)


REPO_RECORD = Path(__file__).parent.parent / "content" / "procedures" / "kidney-tube-tract-widening.yaml"


def test_a_first_release_record_may_already_hold_sources_in_format_2(project):
    path = put_record(project, FIRST_RELEASE / "dialysis-fistula-creation.yaml")
    written = "  - {id: source-1, title: A study, publisher: AJKD, year: 2017, url: 'https://www.ajkd.org/x'}\n"
    path.write_text(path.read_text().replace("  - General patient guidance on AV fistula care\n", written))
    procedure = load_procedure(path, project)
    assert [(source.id, source.title) for source in procedure.sources] == [
        ("source-1", "A study"), ("source-2", "AMA CPT code 36836 description (facts only, not wording)")]


def test_a_clinic_file_without_its_format_line_is_one_warning_and_fails_strict(project, cli):
    clinic = project / "content" / "clinics" / "example.yaml"
    one_leaflet(project)  # what check reads: one record, in English
    clinic.write_text(clinic.read_text().replace("format: 2\n", ""))
    code, out, err = cli("--root", project, "check", "--strict")
    assert code == 1 and err == ""
    assert out.splitlines()[-1] == "1 leaflets: 0 error(s), 1 warning(s), 0 note(s)"
    assert f"{clinic}:1: warning: example: written in format 1 (the current one is 2)" in out


def test_a_file_that_cannot_be_read_gets_its_errors_and_no_still_loads_warning(project, cli):
    one_leaflet(project)  # what check reads besides: one record, in English
    path = put_record(project, HAND_MADE / "ear-tube-unknown-group.yaml")
    code, out, err = cli("--root", project, "check")
    assert code == 1 and f"{path}:10: risks.very_rare: format 1 had only the groups common: and rare:" in err
    assert "still loads" not in out + err
