"""Loading and validating records and clinic files: every mistake is one clear line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, SAMPLE
from helpers import BILLION_LAUGHS  # benchmarks/hostile.py times the same attacks
from leaflets.errors import LeafletError, LeafletErrors
from leaflets.model.clinic import load_clinic
from leaflets.model.project import Project, load_procedure

GOOD = SAMPLE / "content" / "procedures" / "hand-x-ray.yaml"


def problems(path: Path) -> list[str]:
    with pytest.raises(LeafletError) as caught:
        load_procedure(path)
    errors = caught.value.errors
    return [f"{e.path.name}:{e.line}: {e.message}" for e in errors]


def edited(tmp_path: Path, old: str, new: str, name: str = "hand-x-ray") -> Path:
    text = GOOD.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / f"{name}.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_every_shipped_record_and_clinic_loads():
    project = Project(REPO)
    procedures = project.load_all_procedures()
    assert len(procedures) == 5
    assert {p.codes["cpt"][0] for p in procedures} == {"36836", "36904", "0620T", "92943", "50436"}
    assert all(p.review.status == "draft" for p in procedures)
    assert [c.id for c in project.load_all_clinics()] == ["example"]


def test_a_record_keeps_its_items_and_pictograms():
    record = load_procedure(GOOD)
    assert record.title == "An X-ray of your hand"
    assert record.preparation[0].pictogram == "wound-care"
    assert record.preparation[1].text == "Tell us if you might be pregnant."
    assert record.what_to_expect.duration.max_minutes == 15


def test_the_broken_sample_record_reports_every_problem_at_once():
    assert problems(SAMPLE / "content" / "procedures" / "broken-record.yaml") == [
        "broken-record.yaml:2: preparation: required, but missing",
        "broken-record.yaml:2: when_to_get_help: required, but missing",
        "broken-record.yaml:3: title: expected text, found a list",
        "broken-record.yaml:5: preperation: unknown key 'preperation' (did you mean preparation?)",
        "broken-record.yaml:9: what_to_expect.duration: max_minutes must not be less than min_minutes",
        "broken-record.yaml:16: review: review_due must be after written_on",
    ]


def test_yaml_syntax_error_has_a_line_number(tmp_path):
    path = edited(tmp_path, "title: An X-ray of your hand", "title: An X-ray: of: [your hand")
    assert problems(path) == ["hand-x-ray.yaml:3: YAML syntax error: mapping values are not allowed in this context"]


def test_missing_when_to_get_help(tmp_path):
    text = GOOD.read_text(encoding="utf-8")
    start, end = text.index("when_to_get_help:"), text.index("questions_to_ask:")
    path = tmp_path / "hand-x-ray.yaml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    assert problems(path) == ["hand-x-ray.yaml:2: when_to_get_help: required, but missing"]


def test_a_list_where_text_belongs(tmp_path):
    path = edited(tmp_path, "  setting: The X-ray room.", "  setting: [The X-ray room.]")
    assert problems(path) == ["hand-x-ray.yaml:19: what_to_expect.setting: expected text, found a list"]


def test_text_where_a_list_belongs(tmp_path):
    path = edited(tmp_path, "benefits: [Your doctor can see what is wrong.]", "benefits: Your doctor can see.")
    assert problems(path) == ["hand-x-ray.yaml:27: benefits: expected a list, found text"]


def test_a_list_item_must_be_text(tmp_path):
    path = edited(tmp_path, "  - Tell us if you might be pregnant.", "  - [Tell us, twice]")
    assert problems(path) == ["hand-x-ray.yaml:13: preparation[2]: expected text, found a list"]


def test_an_unknown_pictogram(tmp_path):
    path = edited(tmp_path, "pictogram: wound-care", "pictogram: plaster")
    [message] = problems(path)
    assert message.startswith("hand-x-ray.yaml:12: preparation[1].pictogram: 'plaster' is not allowed; expected 'no-food-drink'")


def test_id_must_match_the_file_name(tmp_path):
    path = edited(tmp_path, "id: hand-x-ray", "id: hand-xray")
    assert problems(path) == [
        "hand-x-ray.yaml:2: id: 'hand-xray' does not match the file name 'hand-x-ray.yaml'; use id: hand-x-ray"
    ]


def test_an_impossible_date(tmp_path):
    path = edited(tmp_path, "written_on: 2026-01-15", "written_on: 2026-02-30")
    assert problems(path) == [
        "hand-x-ray.yaml:40: review.written_on: '2026-02-30' is not a valid date; write it as YYYY-MM-DD"
    ]


def test_review_due_must_follow_written_on(tmp_path):
    path = edited(tmp_path, "review_due: 2027-01-15", "review_due: 2025-01-15")
    assert problems(path) == ["hand-x-ray.yaml:40: review: review_due must be after written_on"]


def test_approved_needs_who_and_when(tmp_path):
    path = edited(tmp_path, "status: draft", "status: approved")
    assert problems(path) == ["hand-x-ray.yaml:40: review: an approved record needs approved_by and approved_on"]


def test_a_code_written_as_a_number(tmp_path):
    path = edited(tmp_path, 'codes: {cpt: "73120"}', "codes: {cpt: 73120}")
    assert problems(path) == ['hand-x-ray.yaml:5: codes.cpt: write the code in quotes, as "73120"']


def test_an_empty_file(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("  \n", encoding="utf-8")
    assert problems(path) == ["empty.yaml:1: the file is empty"]


def test_a_file_that_is_only_a_comment_is_empty(tmp_path):
    path = tmp_path / "comment.yaml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    assert problems(path) == ["comment.yaml:1: the file is empty"]


def test_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("id: latin1\ntitle: Caf\xe9\n".encode("latin-1"))
    assert problems(path) == ["latin1.yaml:2: the file is not UTF-8 text (byte 0xe9); save it as UTF-8"]


def test_a_5_mb_text_field(tmp_path):
    path = edited(tmp_path, "purpose: It shows if a bone is broken or hurt.", "purpose: " + "word " * 1_000_000)
    assert problems(path) == [
        "hand-x-ray.yaml:7: purpose: text is too long (4,999,999 characters; at most 2,000)"
    ]


def test_a_top_level_list_is_refused(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- one\n- two\n", encoding="utf-8")
    assert problems(path) == ["list.yaml:1: expected keys and values (such as 'id: ...') at the top level"]


def test_anchors_and_aliases_are_refused(tmp_path):
    path = edited(tmp_path, "benefits: [Your doctor can see what is wrong.]", "benefits: &b [x]\nrisks2: *b")
    assert problems(path) == ["hand-x-ray.yaml:27: YAML anchors and aliases (& and *) are not allowed in content files"]


def test_a_key_given_twice(tmp_path):
    path = edited(tmp_path, "title: An X-ray of your hand", "title: One\ntitle: Two")
    assert problems(path) == ["hand-x-ray.yaml:4: 'title' is given twice"]


def test_a_clinic_whose_logo_does_not_exist(tmp_path):
    path = tmp_path / "sample.yaml"
    path.write_text((SAMPLE / "content/clinics/sample.yaml").read_text() + "logo: missing.png\n", encoding="utf-8")
    with pytest.raises(LeafletErrors) as caught:
        load_clinic(path)
    assert [str(e) for e in caught.value.errors] == [f"{path}:8: logo: file 'missing.png' does not exist"]


def test_a_clinic_with_a_bad_colour_and_paper(tmp_path):
    path = tmp_path / "sample.yaml"
    text = (SAMPLE / "content/clinics/sample.yaml").read_text().replace("paper: A4", "paper: A5")
    path.write_text(text + 'accent_colour: "red; background: url(x)"\n', encoding="utf-8")
    with pytest.raises(LeafletErrors) as caught:
        load_clinic(path)
    assert [e.message for e in caught.value.errors] == [
        "paper: 'A5' is not allowed; expected 'letter' or 'A4'",
        "accent_colour: 'red; background: url(x)' is not in the expected form (like #1f4e79)",
    ]


# -- hostile files: refused with one line, in a fresh process whose memory stays small ----------------

ATTACKS = {
    "billion-laughs": (BILLION_LAUGHS, "1: YAML anchors and aliases (& and *) are not allowed in content files"),
    "deep-nesting": ("title: " + "[" * 100_000 + "]" * 100_000, None),  # PyYAML or our own limit may say so first
    "ten-megabytes": ("title: " + "x" * 10 * 1024 * 1024, "1: the file is 10.0 MB; a content file may be at most 8 MB"),
    "millions-of-values": ("title: [" + "1," * 3_000_000 + "]", "1: more than 10,000 values; a content file needs far fewer"),
    "nul-byte": ("id: nul\ntitle: A\x00B\n", "2: the file holds a NUL byte; it is not a text file"),
}
CHECK_IN_A_FRESH_PROCESS = """
import re, sys
from leaflets.cli import main
code = main(["--root", sys.argv[1], "list"])
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent that started this process
print(int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) // 1024)
sys.exit(code)
"""


def list_in_a_fresh_process(project: Path) -> tuple[int, str, int]:
    """Exit code, error output and peak memory (MB) of `leaflets list` in its own process."""
    done = subprocess.run([sys.executable, "-c", CHECK_IN_A_FRESH_PROCESS, str(project)], capture_output=True, text=True)
    return done.returncode, done.stderr, int(done.stdout.split()[-1])


@pytest.mark.parametrize("name", ATTACKS)
def test_a_hostile_record_is_refused_in_one_line_with_bounded_memory(project, name):
    text, error = ATTACKS[name]
    (project / "content" / "procedures" / f"{name}.yaml").write_text(text, encoding="utf-8")
    code, err, peak_mb = list_in_a_fresh_process(project)
    assert code == 1 and "Traceback" not in err
    assert re.fullmatch(rf"{re.escape(str(project))}/content/procedures/{name}\.yaml:\d+: [^\n]+\n", err), err
    if error is not None:
        assert err == f"{project}/content/procedures/{name}.yaml:{error}\n"
    assert peak_mb < 200


def test_a_record_that_links_outside_the_project_is_refused(project, tmp_path, cli, monkeypatch):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text((project / "content/procedures/dialysis-fistula-creation.yaml").read_text().replace(
        "id: dialysis-fistula-creation", "id: linked"))
    (project / "content/procedures/linked.yaml").symlink_to(outside)
    (project / "content/procedures/passwords.yaml").symlink_to("/etc/passwd")
    monkeypatch.chdir(project)
    code, out, err = cli("list")
    assert "dialysis-fistula-creation" in out and "linked" not in out
    assert (code, err) == (1, (
        f"content/procedures/linked.yaml:1: is a link to '{outside}', outside the project; copy the file in instead\n"
        "content/procedures/passwords.yaml:1: is a link to '/etc/passwd', outside the project; copy the file in instead\n"
    ))
    assert cli("build", "passwords")[0] == 1


def test_a_link_inside_the_project_is_followed(project, cli, monkeypatch):
    procedures = project / "content/procedures"
    (project / "content/shared").mkdir()
    (procedures / "dialysis-fistula-creation.yaml").rename(project / "content/shared/dialysis-fistula-creation.yaml")
    (procedures / "dialysis-fistula-creation.yaml").symlink_to(project / "content/shared/dialysis-fistula-creation.yaml")
    monkeypatch.chdir(project)
    code, out, _ = cli("list")
    assert code == 0 and "dialysis-fistula-creation" in out


def test_a_logo_that_links_outside_the_clinics_folder_is_refused(project, tmp_path):
    clinics = project / "content/clinics"
    (clinics / "example-logo.svg").unlink()
    (clinics / "example-logo.svg").symlink_to("/etc/passwd")
    with pytest.raises(LeafletErrors, match="logo: 'example-logo.svg' is outside the clinics folder"):
        load_clinic(clinics / "example.yaml")
