"""Our own files read back are checked (issue 26): a manifest or release list of the wrong shape is
one clear line (CLI) or a working page (web), never a traceback; nothing outside the folder a file
belongs to is deleted or overwritten, and the archive is never written through a link."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import one_leaflet, pdf_text, remove_records
from leaflets.build.batch import build_clinic
from leaflets.model.project import Project

FISTULA = "dialysis-fistula-creation"
DOCTOR = ("--by", "Dr Ana Reyes", "--role", "Consultant nephrologist")


def manifest_path(project: Project) -> Path:
    return project.root / "dist" / "example" / "manifest.json"


def with_manifest_entries(project: Project, *entries: object) -> None:
    document = json.loads(manifest_path(project).read_text())
    document["files"] += list(entries)
    manifest_path(project).write_text(json.dumps(document))


def entry_like(project: Project, **changes: object) -> dict:
    first = json.loads(manifest_path(project).read_text())["files"][0]
    return {**first, **changes}


def test_a_manifest_entry_cannot_make_a_build_delete_an_archived_release(built, cli):
    archived = built.root / "dist" / "example" / "archive" / "gone" / "1.0" / "en" / "gone-0123456789ab.pdf"
    archived.parent.mkdir(parents=True)
    archived.write_bytes(b"%PDF-1.7 an approved release, given to patients\n")
    linked = built.root / "dist" / "example" / "en" / "gone.pdf"
    linked.symlink_to(archived)
    with_manifest_entries(
        built,
        entry_like(built, file="archive/gone/1.0/en/gone-0123456789ab.pdf", procedure="gone"),
        entry_like(built, file="../../content/clinics/example.pdf", procedure="gone"),
        entry_like(built, file="archive/gone.pdf", procedure="gone", lang="archive"),
        entry_like(built, file=f"en/{FISTULA}.pdf", procedure="gone"),
        entry_like(built, file="en/gone.pdf", procedure="gone"),  # right shape, a link into the archive
    )
    code, _, err = cli("--root", built.root, "build", "--all")
    assert code == 0 and "Traceback" not in err
    assert archived.read_bytes() == b"%PDF-1.7 an approved release, given to patients\n"
    for index, file in ((3, "archive/gone/1.0/en/gone-0123456789ab.pdf"), (4, "../../content/clinics/example.pdf"),
                        (5, "archive/gone.pdf")):
        assert f"manifest.json: files[{index}]: file: '{file}' is not a leaflet of this clinic; left out, its leaflet " \
               "built again" in err
    assert f"manifest.json: files[6]: file: 'en/{FISTULA}.pdf' is not where its leaflet goes" in err


def test_a_leaflet_no_longer_built_is_still_removed(built):
    remove_records(built.root, FISTULA)
    (built.root / "content" / "procedures" / "kidney-tube-tract-widening.yaml").write_bytes(
        (Path(__file__).resolve().parents[2] / "content" / "procedures" / "kidney-tube-tract-widening.yaml").read_bytes())
    build_clinic(built, "example", jobs=1)
    assert not (built.root / "dist" / "example" / "en" / f"{FISTULA}.pdf").exists()
    assert (built.root / "dist" / "example" / "en" / "kidney-tube-tract-widening.pdf").is_file()


@pytest.mark.parametrize(("wrong", "words"), [
    ({"stat": "x"}, "files[2]: stat: input should be a valid list"),
    ({"large_print": "no"}, "files[2]: large_print: input should be a valid boolean"),
    ({"blank_fields": {"patient_name": [1, 2]}}, "files[2]: blank_fields: each line needs left, top, width, height and page"),
    ({"sha256": 5}, "files[2]: sha256: input should be a valid string"),
    ({"sha256": "../../etc/passwd"}, "files[2]: sha256: not a sha256 digest"),
])
def test_a_manifest_entry_of_the_wrong_shape_is_left_out_in_one_line(built, cli, wrong, words):
    document = json.loads(manifest_path(built).read_text())
    regular = next(i for i, entry in enumerate(document["files"]) if not entry["large_print"])
    document["files"].append({**document["files"].pop(regular), **wrong})
    manifest_path(built).write_text(json.dumps(document))
    code, out, err = cli("--root", built.root, "build", "--all")
    assert code == 0 and "Traceback" not in err
    [line] = [line for line in err.splitlines() if "manifest.json" in line]
    assert line.endswith(f"dist/example/manifest.json: {words}; left out, its leaflet built again")
    assert out.strip().endswith(f"en/{FISTULA}.pdf")  # built again


@pytest.mark.parametrize("document", ['{"files": "x"}', "[1, 2]", '{"files": [5, null, "x"]}', "not json"])
def test_a_manifest_that_is_not_one_rebuilds_everything_without_a_traceback(built, cli, document):
    manifest_path(built).write_text(document)
    code, _, err = cli("--root", built.root, "build", "--all")
    assert code == 0 and "Traceback" not in err
    assert "built 2, unchanged 0" in err


def test_the_web_page_works_with_a_manifest_of_the_wrong_shape(built, tmp_path):
    from leaflets.build.ondemand import make_pool
    from leaflets.web.app import create_app

    document = json.loads(manifest_path(built).read_text())
    for entry in document["files"]:
        entry["blank_fields"] = {"patient_name": [1, 2]}
    document["files"].append({"file": "en/x.pdf", "stat": "x"})
    manifest_path(built).write_text(json.dumps(document))
    pool = make_pool(built, "example", workers=1)
    try:
        client = create_app(built, "example", pool).test_client()
        assert client.get("/?q=fistula").status_code == 200
        pdf = client.get(f"/pdf/en/{FISTULA}.pdf")
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
        personal = client.post(f"/leaflet/{FISTULA}", data={"lang": "en", "print": "regular", "patient_name": "Ada Byron",
                                                            "date": "", "time": "", "location": "", "bring": "", "note": ""})
        assert personal.status_code == 200
        (tmp_path / "ada.pdf").write_bytes(personal.data)
        assert "Ada Byron" in pdf_text(tmp_path / "ada.pdf")
    finally:
        pool.close()


VALID_RELEASE = {
    "procedure": FISTULA, "version": "1.0", "lang": "en", "large_print": False, "fingerprint": "f" * 64,
    "code": "3fa94c1e", "approved_by": "Dr Ana Reyes", "approved_role": "Consultant nephrologist",
    "approved_on": "2026-11-30", "review_due": "2027-11-23", "released_on": "2026-12-01",
    "file": f"{FISTULA}/1.0/en/{FISTULA}-0123456789ab.pdf", "sha256": "0" * 64,
}


@pytest.mark.parametrize(("releases", "words"), [
    ('{"releases": 5}', "the release list is not as leaflets wrote it"),
    ('{"releases": [5]}', "releases[1]: input should be a valid dictionary"),
    (json.dumps({"releases": [{**VALID_RELEASE, "file": f"../en/{FISTULA}.pdf"}]}),
     f"releases[1]: file: '../en/{FISTULA}.pdf' is not <procedure>/<version>/<lang>/<name>.pdf in the archive"),
    (json.dumps({"releases": [{**VALID_RELEASE, "file": f"{FISTULA}/../../en/{FISTULA}.pdf"}]}), "is not <procedure>"),
    (json.dumps({"releases": [{**VALID_RELEASE, "sha256": None}]}), "releases[1]: sha256: input should be a valid string"),
    (json.dumps({"releases": [{**VALID_RELEASE, "large_print": "yes"}]}), "releases[1]: large_print: input should be"),
    (json.dumps({"releases": [{**VALID_RELEASE, "code": ["3fa94c1e"]}]}), "releases[1]: code: input should be"),
])
def test_a_release_list_of_the_wrong_shape_is_one_clear_line(project, cli, releases, words):
    one_leaflet(project)
    archive = project / "dist" / "example" / "archive"
    archive.mkdir(parents=True)
    (archive / "releases.json").write_text(releases)
    for args in (("which", "3fa94c1e"), ("check",)):
        code, out, err = cli("--root", project, *args)
        assert code == 1 and "Traceback" not in err, args
        lines = [line for line in (out + err).splitlines() if "releases.json" in line]
        assert len(lines) == 1 and words in lines[0], (args, out + err)


def test_a_batch_build_reports_a_release_list_of_the_wrong_shape_and_leaves_it(project, cli):
    one_leaflet(project)
    releases = project / "dist" / "example" / "archive" / "releases.json"
    releases.parent.mkdir(parents=True)
    releases.write_text('{"releases": [5]}')
    code, _, err = cli("--root", project, "build", "--all")
    assert code == 1 and "Traceback" not in err
    assert "releases.json: releases[1]: input should be a valid dictionary" in err
    assert releases.read_text() == '{"releases": [5]}'


def test_the_archive_is_never_written_through_a_link(project, cli):
    assert cli("--root", project, "approve", FISTULA, *DOCTOR)[0] == 0
    archive = project / "dist" / "example" / "archive"
    elsewhere = project / "elsewhere"
    elsewhere.mkdir()
    archive.mkdir(parents=True)
    (archive / FISTULA).symlink_to(elsewhere, target_is_directory=True)
    code, out, err = cli("--root", project, "build", FISTULA)
    assert "Traceback" not in err
    assert list(elsewhere.rglob("*")) == []
    assert code == 1 and "the archive is never written through one" in err
