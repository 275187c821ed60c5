"""Dates: an approval dated after the build day (``model/day.py``: today, or SOURCE_DATE_EPOCH's day)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import edit_record

FINGERPRINT = "a" * 64


def approvals_file(project: Path, date: str) -> Path:
    folder = project / "content" / "approvals"
    folder.mkdir(exist_ok=True)
    path = folder / "dialysis-fistula-creation.yaml"
    path.write_text(f'approvals:\n- lang: en\n  version: "1.0"\n  fingerprint: {FINGERPRINT}\n  by: Dr Ana Ruiz\n'
                    f"  role: Consultant nephrologist\n  date: {date}\n", encoding="utf-8")
    return path


def test_an_approval_dated_after_the_build_day_is_refused(cli, project):
    path = approvals_file(project, "2026-12-02")  # the suite's build day is 2026-12-01 (conftest.py)

    code, _, err = cli("--root", project, "list")

    assert code == 1
    assert (f"{path}:2: approvals[1]: 2026-12-02 is after the build day, 2026-12-01: an approval cannot be dated in "
            "the future") in err


def test_an_approval_of_the_build_day_or_before_is_read(cli, project):
    approvals_file(project, "2026-12-01")

    code, out, _ = cli("--root", project, "list")

    assert code == 0 and "changed since v1.0 was approved" in out


@pytest.mark.parametrize("date", ["2026-13-01", "99999-01-01", "2026-1-1x", "٢٠٢٦-١١-٠١"])
def test_an_approval_date_that_is_not_one_is_one_line(cli, project, date):
    path = approvals_file(project, date)

    code, _, err = cli("--root", project, "list")

    assert code == 1 and f"{path}:" in err and "is not a valid date; write it as YYYY-MM-DD" in err


def test_a_record_approved_after_the_build_day_is_refused(cli, project):
    record = edit_record(project, "dialysis-fistula-creation", "status: draft", "status: approved")
    edit_record(project, "dialysis-fistula-creation", "approved_by: null, approved_on: null",
                "approved_by: Dr Ana Ruiz, approved_on: 2027-01-01")

    code, _, err = cli("--root", project, "list")

    assert code == 1
    assert (f"{record}:140: review: approved_on 2027-01-01 is after the build day, 2026-12-01: an approval cannot be "
            "dated in the future") in err
