"""``leaflets upgrade``: earlier formats rewritten in place, comments and layout kept, what a person must
supply listed at its line; ``--check`` writes nothing; a second run changes nothing."""

from __future__ import annotations

import difflib
import re
import shutil
from pathlib import Path

import pytest
import yaml

from helpers import one_leaflet, pdf_text
from leaflets.model.project import load_procedure

pytest.importorskip("ruamel.yaml")  # in pyproject.toml's dependencies; the lock may not have it yet
from leaflets.model.upgrade import upgrade_text  # noqa: E402

FORMATS = Path(__file__).parent / "data" / "formats"
FIRST_RELEASE = FORMATS / "format-1-first-release"
HAND_MADE = FORMATS / "format-1-hand-made"
FISTULA = "dialysis-fistula-creation"
DOCTOR = ("--by", "Dr Ana Reyes", "--role", "Consultant nephrologist")


def first_release_fistula(project: Path) -> Path:
    path = project / "content" / "procedures" / f"{FISTULA}.yaml"
    shutil.copy(FIRST_RELEASE / f"{FISTULA}.yaml", path)
    return path


def changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line[:1] in "+-"]


def supply(path: Path) -> None:
    """What the author does after the upgrade: each source's publisher and address."""
    text = path.read_text()
    text = text.replace("publisher:   # to supply: who published it", "publisher: American Medical Association")
    text = text.replace("url:   # to supply: its address (https://...), or doi: 10.xxxx/...", "url: https://www.ama-assn.org/")
    path.write_text(text)


def test_upgrading_a_first_release_record_says_what_changed_and_what_to_supply(project, cli):
    path = first_release_fistula(project)
    before = path.read_text()
    code, out, err = cli("--root", project, "upgrade", path)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[:4] == [
        f"{path}: format 1 -> 2",
        "  changed: added 'format: 2' before the first key",
        "  changed: risks: the groups common: (4), rare: (5) are one list, in that order, each group's name kept in a comment",
        "  changed: sources: 2 line(s) of text are sources with an id and the line as their title",
    ]
    assert lines[4] == (f'{path}:68: to supply: risks[1] "Bruising at the needle spot": its number (about: {{count, '
                        'per}) and its source, or about: unknown if no reliable number exists')
    assert len([line for line in lines if "to supply: risks[" in line]) == 9
    assert lines[-3:] == [
        f"{path}:139: to supply: sources[1] (source-1): its title as published, its publisher and its address (url or doi)",
        f"{path}:143: to supply: sources[2] (source-2): its title as published, its publisher and its address (url or doi)",
        "1 file(s) upgraded, 0 already in format 2; each leaflet stays a draft until a clinician approves what it "
        "prints (leaflets approve)",
    ]
    after = path.read_text()
    assert changed_lines(before, after) == [
        "+ format: 2",
        "-   common:",
        "+   # common (format 1): give each risk below its number and source",
        "-   rare:",
        "+   # rare (format 1): give each risk below its number and source",
        "-   - AMA CPT code 36836 description (facts only, not wording)",
        "-   - General patient guidance on AV fistula care",
        "+   - id: source-1",
        "+     title: AMA CPT code 36836 description (facts only, not wording)   "
        "# format 1's line: make it the title as published",
        "+     publisher:   # to supply: who published it",
        "+     url:   # to supply: its address (https://...), or doi: 10.xxxx/...",
        "+   - id: source-2",
        "+     title: General patient guidance on AV fistula care   # format 1's line: make it the title as published",
        "+     publisher:   # to supply: who published it",
        "+     url:   # to supply: its address (https://...), or doi: 10.xxxx/...",
    ]
    old, new = yaml.safe_load(before), yaml.safe_load(after)
    assert new["risks"] == old["risks"]["common"] + old["risks"]["rare"]
    assert [source["title"] for source in new["sources"]] == old["sources"]
    assert {k: v for k, v in new.items() if k not in ("format", "risks", "sources")} == \
        {k: v for k, v in old.items() if k not in ("risks", "sources")}


def test_a_second_upgrade_changes_nothing(project, cli):
    path = first_release_fistula(project)
    cli("--root", project, "upgrade", path)
    once = path.read_text()
    code, out, _ = cli("--root", project, "upgrade", path)
    assert (code, out) == (0, f"{path}: already in format 2\n0 file(s) upgraded, 1 already in format 2\n")
    assert path.read_text() == once


def test_check_reports_without_writing_and_fails_while_something_needs_upgrading(project, cli):
    path = first_release_fistula(project)
    before = path.read_text()
    code, out, _ = cli("--root", project, "upgrade", "--check")
    assert code == 1 and path.read_text() == before
    assert out.splitlines()[0] == f"{path}: format 1; upgrading it to format 2 would change:"
    assert "  then, at line 139, to supply: sources[1] (source-1): its title as published" in out
    assert out.splitlines()[-1] == ("1 file(s) to upgrade, 10 already in format 2; run 'leaflets upgrade' without "
                                    "--check to make these changes")
    assert cli("--root", project, "upgrade")[0] == 0
    assert cli("--root", project, "upgrade", "--check") == (0, "0 file(s) to upgrade, 11 already in format 2\n", "")


def test_the_shipped_content_is_in_the_current_format(project, cli):
    assert cli("--root", project, "upgrade", "--check")[0] == 0


def test_hand_made_shapes_keep_their_comments_and_layout(tmp_path):
    for name in ("ear-tube-flow-style.yaml", "ear-tube-block-style.yaml"):
        path = tmp_path / name
        before = (HAND_MADE / name).read_text()
        after = upgrade_text(before, path).text
        kept = [line for line in before.splitlines() if "#" in line and not re.match(r"\s*(common|rare):", line)]
        assert all(line.split("#")[1] in after for line in kept)  # every comment is still there
        assert upgrade_text(after, path).changed is False
    block = upgrade_text((HAND_MADE / "ear-tube-block-style.yaml").read_text(), tmp_path / "b.yaml").text
    assert "  # common (format 1): give each risk below its number and source; seen in many people\n" \
           "  - Some fluid comes out of your ear\n" in block
    assert "  # rare (format 1): give each risk below its number and source\n" \
           "  - The tube falls out early   # deeper indent than the common ones\n" in block  # moved to one indent
    assert "  # which one? ask the team\n  - id: source-1\n" in block


def test_a_record_that_cannot_be_upgraded_safely_is_left_as_it_was(project, cli):
    path = project / "content" / "procedures" / "ear-tube-unknown-group.yaml"
    shutil.copy(HAND_MADE / path.name, path)
    before = path.read_text()
    code, out, err = cli("--root", project, "upgrade", path)
    assert code == 1 and path.read_text() == before
    assert err == (f"{path}:10: risks.very_rare: format 1 had only the groups common: and rare:, so this file cannot "
                   "be upgraded safely; write its risks as one list by hand, like - {text: Bruising where the needle "
                   "went in, about: {count: 5, per: 100}, source: neat-2017}\n")


def test_after_the_upgrade_the_record_loads_once_its_sources_are_supplied_and_prints_every_item(project, cli):
    one_leaflet(project)  # what check reads: this record, in English
    path = first_release_fistula(project)
    cli("--root", project, "upgrade", path)
    code, _, err = cli("--root", project, "check")
    assert code == 1
    assert f"{path}:141: sources[1].publisher: expected text, found nothing; write it like: publisher: American " \
           "Journal of Kidney Diseases" in err
    supply(path)
    procedure = load_procedure(path, project)
    assert [source.title for source in procedure.sources] == ["AMA CPT code 36836 description (facts only, not wording)",
                                                             "General patient guidance on AV fistula care"]
    output = project / "upgraded.pdf"
    assert cli("--root", project, "build", FISTULA, "--output", output)[0] == 0
    text = " ".join(pdf_text(output).split())
    assert all(risk.text in text for risk in procedure.risks)
    assert "All sources and the latest version:" in text  # paper prints only the key sources, in short
    code, review, err = cli("--root", project, "review", FISTULA)
    assert code == 0, err
    assert "General patient guidance on AV fistula care. American Medical Association. https://www.ama-assn.org/" in review


def test_an_approval_does_not_survive_an_upgrade_that_changes_what_is_printed(project, cli):
    first_release_fistula(project)
    assert cli("--root", project, "approve", FISTULA, *DOCTOR)[0] == 0
    assert re.search(rf"^{FISTULA} .* approved v1.0 ", cli("--root", project, "list")[1], re.M)
    cli("--root", project, "upgrade")
    path = project / "content" / "procedures" / f"{FISTULA}.yaml"
    supply(path)  # the sources in full: not printed on paper (only key sources are), so the approval stands
    assert re.search(rf"^{FISTULA} .* approved v1.0 ", cli("--root", project, "list")[1], re.M)
    numbered = "    - {text: Bruising at the needle spot, about: {count: 5, per: 100}, source: source-2}\n"
    path.write_text(path.read_text().replace("    - Bruising at the needle spot\n", numbered))  # what the upgrade asks for
    assert re.search(rf"^{FISTULA} .* changed since v1.0 was approved ", cli("--root", project, "list")[1], re.M)
    output = project / "after.pdf"
    cli("--root", project, "build", FISTULA, "--output", output)
    assert "DRAFT: not yet approved by a clinician" in pdf_text(output)


def test_windows_line_ends_a_byte_order_mark_and_an_explicit_format_1_are_kept_or_upgraded(tmp_path):
    text = (FIRST_RELEASE / f"{FISTULA}.yaml").read_text()
    windows = upgrade_text("\ufeff" + text.replace("\n", "\r\n"), tmp_path / "x.yaml").text
    assert windows.startswith("\ufeffformat: 2\r\nid: ") and "\n" not in windows.replace("\r\n", "")
    explicit = upgrade_text("format: 1  # the first release\n" + text, tmp_path / "x.yaml")
    assert explicit.changes[0] == "format: 1 is now format: 2"
    assert explicit.text.startswith("format: 2  # the first release\nid: ")


def test_sources_already_written_in_format_2_stay_as_they_are(tmp_path):
    written = "  - {id: neat-2017, title: A study, publisher: AJKD, year: 2017, url: 'https://www.ajkd.org/x'}\n"
    text = (FIRST_RELEASE / f"{FISTULA}.yaml").read_text().replace("  - General patient guidance on AV fistula care\n", written)
    upgraded = upgrade_text(text, tmp_path / "x.yaml")
    assert written in upgraded.text and "  - id: source-1\n" in upgraded.text
    assert [need.split(": to supply: ")[1][:21] for need in upgraded.to_supply if "sources" in need] == ["sources[1] (source-1)"]


def test_every_earlier_file_upgrades_once_and_then_stays(tmp_path):
    for path in sorted(FORMATS.glob("*/*.yaml")):
        if path.name == "ear-tube-unknown-group.yaml":
            continue
        kind = "clinic" if "clinic" in path.name else "block" if "block" in path.name else "procedure"
        upgraded = upgrade_text(path.read_text(), tmp_path / path.name, kind)
        assert upgraded.changed and upgraded.changes[0] == "added 'format: 2' before the first key", path
        assert upgrade_text(upgraded.text, tmp_path / path.name, kind).changed is False, path
        if "no-format-line" in str(path):  # format 2 already: only the format line is new
            assert changed_lines(path.read_text(), upgraded.text) == ["+ format: 2"]
