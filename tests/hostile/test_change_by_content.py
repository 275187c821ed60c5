"""Every "has it changed?" rests on what files hold, not on their times (issue 26): a file copied in
with an older modification time (``cp -p``, ``rsync -a``), a same-size edit with its time put back,
or a tampered PDF in dist/ is seen; a file touched but not changed is no change."""

from __future__ import annotations

import json
import os
from pathlib import Path

from helpers import pdf_text
from leaflets.build.batch import build_clinic
from leaflets.build.ondemand import content_stamp
from leaflets.model.digests import FileDigests, identity, stored_identity

FISTULA = "dialysis-fistula-creation"
PDF = f"en/{FISTULA}.pdf"


def with_times_put_back(path: Path, change) -> None:
    """Change the file in place, then give it back its modification time, as ``cp -p`` over it would."""
    before = os.stat(path)
    change(path)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)


def same_size_edit(old: bytes, new: bytes):
    assert len(old) == len(new)

    def change(path: Path) -> None:
        data = path.read_bytes()
        assert old in data
        path.write_bytes(data.replace(old, new, 1))
    return change


def second_line_edited(path: Path) -> None:
    """A same-size edit of a PDF's second line: its binary comment, "%" and four bytes above 127."""
    first, marker, rest = path.read_bytes().split(b"\n", 2)
    assert marker.startswith(b"%") and len(marker) == len(b"%EDIT"), marker
    path.write_bytes(b"\n".join((first, b"%EDIT", rest)))


def manifest_entry(project: Path, name: str = PDF) -> dict:
    files = json.loads((project / "dist" / "example" / "manifest.json").read_text())["files"]
    return next(entry for entry in files if entry["file"] == name)


def test_a_tampered_pdf_with_its_size_and_time_put_back_is_built_again_and_reported(built, cli):
    pdf = built.root / "dist" / "example" / PDF
    written = pdf.read_bytes()
    with_times_put_back(pdf, second_line_edited)
    assert pdf.read_bytes() != written and pdf.stat().st_size == len(written)

    code, out, err = cli("--root", built.root, "build", "--all")
    assert code == 0, err
    assert out.strip().endswith(PDF)  # the one PDF built again
    assert f"dist/example/{PDF}: not as it was built (its sha256 differs from manifest.json); built again" in err
    assert "built 1, unchanged 1, repaired 1, refused 0, failed 0" in err
    assert b"%EDIT" not in pdf.read_bytes()


def test_a_truncated_pdf_is_built_again(built):
    pdf = built.root / "dist" / "example" / PDF
    pdf.write_bytes(pdf.read_bytes()[:1000])
    report = build_clinic(built, "example", jobs=1)
    assert [path.name for path in report.built] == [f"{FISTULA}.pdf"]
    assert len(report.repaired) == 1 and "not as it was built" in report.repaired[0]
    assert "Making a fistula in your arm for dialysis" in pdf_text(pdf)


def test_a_pdf_touched_but_unchanged_is_not_built_again_and_not_read_again_after(built):
    pdf = built.root / "dist" / "example" / PDF
    os.utime(pdf, ns=(1_000_000_000, 1_000_000_000))  # a copy with other times: same bytes
    report = build_clinic(built, "example", jobs=1)
    assert (report.built, report.repaired) == ([], [])
    assert manifest_entry(built.root)["stat"] == stored_identity(pdf)  # recorded: the next build trusts it unread


def test_a_record_copied_in_with_its_old_time_is_built_again_with_its_new_words(built):
    record = built.root / "content" / "procedures" / f"{FISTULA}.yaml"
    with_times_put_back(record, same_size_edit(b"title: Making a fistula in your arm",
                                               b"title: Making a fistula in your ARM"))
    report = build_clinic(built, "example", jobs=1)
    assert len(report.built) == 2
    assert "Making a fistula in your ARM for dialysis" in pdf_text(built.root / "dist" / "example" / PDF)


def test_the_stat_shortcut_includes_the_change_time_that_no_user_can_set_back(tmp_path):
    path = tmp_path / "file.txt"
    path.write_text("one")
    first = identity(path)
    with_times_put_back(path, lambda p: p.write_text("two"))
    second = identity(path)
    assert first is not None and second is not None
    assert first[:5] == second[:5]  # size, modification time, inode, device: all as they were
    assert first != second  # the status-change time is not


def test_a_digest_is_read_again_after_a_same_size_edit_with_its_time_put_back(tmp_path):
    path = tmp_path / "file.txt"
    path.write_text("one")
    digests = FileDigests()
    first = digests.of(path)
    with_times_put_back(path, lambda p: p.write_text("two"))
    assert digests.of(path) != first


def test_live_reload_sees_a_file_copied_in_with_an_older_time_and_ignores_a_touch(built):
    record = built.root / "content" / "procedures" / f"{FISTULA}.yaml"
    stamp = content_stamp(built)
    os.utime(record, ns=(1_000_000_000, 1_000_000_000))
    assert content_stamp(built) == stamp  # touched, not changed: no reload
    with_times_put_back(record, same_size_edit(b"title: Making", b"title: MAKING"))
    assert content_stamp(built) != stamp


def test_the_web_page_serves_no_tampered_pdf_and_shows_a_record_copied_in_with_its_old_time(built):
    from leaflets.build.ondemand import make_pool
    from leaflets.web.app import create_app

    pool = make_pool(built, "example", workers=1)
    try:
        client = create_app(built, "example", pool).test_client()
        pdf = built.root / "dist" / "example" / PDF
        assert client.get(f"/pdf/{PDF}").data == pdf.read_bytes()  # the batch build's PDF, as built
        with_times_put_back(pdf, second_line_edited)
        served = client.get(f"/pdf/{PDF}")
        assert served.status_code == 200 and served.data.startswith(b"%PDF-")
        assert b"%EDIT" not in served.data  # the tampered file is not served: the leaflet is made afresh

        assert "Making a fistula in your arm for dialysis" in client.get("/?q=fistula").text
        record = built.root / "content" / "procedures" / f"{FISTULA}.yaml"
        with_times_put_back(record, same_size_edit(b"title: Making a fistula in your arm",
                                                   b"title: Making a fistula in your ARM"))
        assert "Making a fistula in your ARM for dialysis" in client.get("/?q=fistula").text
    finally:
        pool.close()
