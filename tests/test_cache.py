"""The project-local cache of validated records and check results (.cache/leaflets/)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from helpers import edit_record, set_languages
from leaflets.build.manifest import MANIFEST, Manifest, ManifestReader
from leaflets.model.cache import FOLDER, RACY_SECONDS
from leaflets.model.project import Project

RECORD = "dialysis-fistula-creation"


def settled(project: Path) -> Project:
    """The project with every record's time of change moved back past the racy window."""
    past = time.time() - 10 * RACY_SECONDS
    for record in (project / "content" / "procedures").glob("*.yaml"):
        os.utime(record, (past, past))
    return Project(project)


def entries(project: Path, kind: str = "records") -> list[Path]:
    return sorted((project / FOLDER / kind).glob("*.json"))


def entry_of(project: Path, title: str) -> Path:
    (found,) = [path for path in entries(project) if title in path.read_text(encoding="utf-8")]
    return found


def test_a_record_is_read_from_the_cache_until_its_file_changes(project):
    the_project = settled(project)
    title = the_project.load_procedure(RECORD).title
    entry = entry_of(project, title)
    cached = json.loads(entry.read_text(encoding="utf-8"))
    cached["data"]["title"] = "What the cache holds"
    entry.write_text(json.dumps(cached), encoding="utf-8")

    assert Project(project).load_procedure(RECORD).title == "What the cache holds"

    edit_record(project, RECORD, f"title: {title}", "title: A new title")
    assert Project(project).load_procedure(RECORD).title == "A new title"


def test_a_file_changed_a_moment_ago_is_not_cached(project):
    edit_record(project, RECORD, "title: ", "title: Just now, ")
    assert Project(project).load_procedure(RECORD).title.startswith("Just now, ")
    assert not [path for path in entries(project) if "Just now, " in path.read_text(encoding="utf-8")]


def test_a_corrupt_or_foreign_entry_is_ignored_and_made_again(project):
    the_project = settled(project)
    title = the_project.load_procedure(RECORD).title
    entry = entry_of(project, title)
    good = json.loads(entry.read_text(encoding="utf-8"))

    entry.write_bytes(b'{"format": "')  # cut short, as by a full disk
    assert Project(project).load_procedure(RECORD).title == title
    assert json.loads(entry.read_text(encoding="utf-8")) == good

    foreign_title = {**good["data"], "title": "Foreign"}
    for foreign in ({**good, "format": "another version of leaflets"}, {**good, "path": "/elsewhere/x.yaml"},
                    {**good, "data": {**foreign_title, "id": "another-record"}},
                    {**good, "data": {**foreign_title, "review": "not a review"}}):
        entry.write_text(json.dumps({**foreign, "data": {**foreign["data"], "title": "Foreign"}}), encoding="utf-8")
        assert Project(project).load_procedure(RECORD).title == title


def test_a_second_check_gives_the_same_report_from_the_cache(project, cli):
    set_languages(project, "en, es")
    settled(project)
    first = cli("--root", project, "check")
    assert entries(project, "checks")
    assert cli("--root", project, "check") == first

    edit_record(project, RECORD, "title: ", "title: Checked again, ")  # a new string Spanish lacks
    third = cli("--root", project, "check")
    assert "not translated into es" not in first[1]
    assert "not translated into es" in third[1] and third[0] == 1


def test_the_web_page_reads_the_manifest_again_only_when_it_changes(tmp_path):
    out = tmp_path / "dist" / "example"
    out.mkdir(parents=True)
    reader = ManifestReader(out)
    assert reader.current().entries == {}

    Manifest(out, index_key="first").write()
    first = reader.current()
    assert first.index_key == "first" and reader.current() is first

    Manifest(out, index_key="second, a little longer").write()
    assert reader.current().index_key == "second, a little longer"
    assert (out / MANIFEST).is_file()
