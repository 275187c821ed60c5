"""Files, the command line and the web page as an attacker or an unlucky clinic would meet them:
one line for each problem, nothing lost, nothing printed for a stranger."""

from __future__ import annotations

import logging
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import edit_record, pdf_text
from leaflets.build.ondemand import make_pool
from leaflets.model.project import Project
from leaflets.web.app import create_app, own_names

PROCEDURE = "kidney-tube-tract-widening"


def build_to(cli, project: Path, output: Path | str, *more: str) -> tuple[int, str, str]:
    return cli("--root", project, "build", PROCEDURE, "--patient-name", "Test Patient", "--output", output, *more)


def test_output_that_is_a_link_a_folder_or_a_device_is_refused(cli, project, tmp_path):
    (tmp_path / "real.pdf").write_bytes(b"keep me")
    (tmp_path / "link.pdf").symlink_to(tmp_path / "real.pdf")
    assert build_to(cli, project, tmp_path / "link.pdf") == (1, "", "--output is a symbolic link; name the file itself\n")
    assert (tmp_path / "real.pdf").read_bytes() == b"keep me"
    assert build_to(cli, project, tmp_path) == (1, "", "--output is a folder or a device, not a file\n")
    assert build_to(cli, project, "/dev/null") == (1, "", "--output is a folder or a device, not a file\n")


def test_details_never_go_into_dist_even_through_a_linked_clinic_folder(cli, project, tmp_path):
    published = tmp_path / "intranet"
    published.mkdir()
    (project / "dist").mkdir()
    (project / "dist" / "example").symlink_to(published)
    code, _, err = build_to(cli, project, published / "ana.pdf")
    assert (code, err) == (1, "a leaflet with patient details must not be written into dist/; choose another --output\n")
    assert list(published.iterdir()) == []


def test_the_build_lock_is_never_followed_through_a_link(cli, project, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = project / "dist" / "example"
    out.mkdir(parents=True)
    (out / ".build.lock").symlink_to(victim)
    code, _, err = cli("--root", project, "build", "--all")
    assert code == 1
    assert err == f"cannot use the build lock {out / '.build.lock'}: it is a symbolic link; remove it\n"
    assert victim.read_text() == "precious"


def test_built_files_are_readable_as_the_umask_says(cli, project):
    previous = os.umask(0o022)
    try:
        assert cli("--root", project, "build", PROCEDURE)[0] == 0
    finally:
        os.umask(previous)
    pdf = project / "dist" / "example" / "en" / f"{PROCEDURE}.pdf"
    assert stat.S_IMODE(pdf.stat().st_mode) == 0o644


@pytest.mark.timeout(900)  # whichever test asks first for built_example builds the clinic (60 PDFs) in its setup
def test_a_file_where_a_folder_belongs_is_one_line_and_loses_nothing(built_project):
    project = built_project  # the example clinic, built
    out = project / "dist" / "example"
    before = {p: p.read_bytes() for p in out.rglob("*.pdf") if PROCEDURE not in p.name}
    edit_record(
        project, PROCEDURE, "title: Making the path for your kidney tube wider", "title: Making the kidney tube path wider"
    )
    (out / "en" / f"{PROCEDURE}.pdf").unlink()
    (out / "en" / f"{PROCEDURE}.pdf").mkdir()  # a folder where the new PDF must go
    again = subprocess.run(
        [sys.executable, "-m", "leaflets", "--root", str(project), "build", "--all", "--jobs", "1"],
        capture_output=True,
        text=True,
    )
    problems = [line for line in again.stderr.splitlines() if not line.startswith("[")]
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert problems == [f"cannot write {out}/en/{PROCEDURE}.pdf: Is a directory; nothing there was changed"]
    assert all(path.read_bytes() == data for path, data in before.items())  # the other leaflets as they were


def test_a_record_id_that_would_take_another_leaflets_large_print_name_is_refused(cli, project):
    records = project / "content" / "procedures"
    (records / f"{PROCEDURE}-large-print.yaml").write_text(
        (records / f"{PROCEDURE}.yaml").read_text().replace(f"id: {PROCEDURE}", f"id: {PROCEDURE}-large-print")
    )
    code, _, err = cli("--root", project, "list")
    assert code == 1
    assert err == (
        f"{records}/{PROCEDURE}-large-print.yaml:1: id: an id must not end in '-large-print': its PDF would take "
        f"the name of the large-print leaflet of '{PROCEDURE}'\n"
    )


def test_an_argument_that_is_not_utf8_is_one_line(project):
    done = subprocess.run([sys.executable, "-m", "leaflets", "--root", str(project), "build", b"caf\xe9"], capture_output=True)
    assert done.returncode == 2
    assert done.stderr == b"leaflets: an argument is not valid UTF-8 text; check the terminal's or script's encoding\n"


@pytest.mark.parametrize("epoch", ["abc", "-5", "1e9", "99999999999999999", "\u0663\u0663"])
def test_an_odd_source_date_epoch_is_one_line(project, epoch):
    done = subprocess.run(
        [sys.executable, "-m", "leaflets", "--root", str(project), "list"],
        capture_output=True,
        text=True,
        env=os.environ | {"SOURCE_DATE_EPOCH": epoch},
    )
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert done.stderr.startswith("SOURCE_DATE_EPOCH must be a whole number of seconds since 1970")


def test_details_on_standard_input_stay_out_of_the_process_list(project, tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "leaflets",
            "--root",
            str(project),
            "build",
            PROCEDURE,
            "--details",
            "-",
            "--output",
            str(tmp_path / "x.pdf"),
        ],
        capture_output=True,
        text=True,
        input='{"patient_name": "Test Patient", "appointment": "2026-12-01 09:30", "note": "Fast from midnight"}',
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert "Test Patient" in pdf_text(tmp_path / "x.pdf") and "Fast from midnight" in pdf_text(tmp_path / "x.pdf")


@pytest.mark.parametrize(
    "given, problem",
    [
        (
            "[1, 2]",
            "--details: expected a JSON object of text with only these keys: patient_name, appointment, location, bring, note",
        ),
        (
            '{"name": "X"}',
            "--details: expected a JSON object of text with only these keys: patient_name, appointment, location, bring, note",
        ),
        ('{"patient_name": ', "--details: not a JSON object in UTF-8 text"),
    ],
)
def test_details_that_are_not_a_json_object_are_one_line_that_quotes_nothing(project, tmp_path, given, problem):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "leaflets",
            "--root",
            str(project),
            "build",
            PROCEDURE,
            "--details",
            "-",
            "--output",
            str(tmp_path / "x.pdf"),
        ],
        capture_output=True,
        text=True,
        input=given,
    )
    assert (done.returncode, done.stderr) == (1, problem + "\n")


def test_serving_beyond_this_computer_needs_saying_so(cli, project):
    code, _, err = cli("--root", project, "serve", "--host", "0.0.0.0")
    assert code == 1 and "--allow-network" in err and "no login" in err and err.count("\n") == 1


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    from conftest import REPO, copy_project

    root = copy_project(REPO, tmp_path_factory.mktemp("guarded") / "project")
    pool = make_pool(Project(root), "example", workers=1)
    yield create_app(Project(root), "example", pool, hosts=own_names("127.0.0.1", 8000)).test_client()
    pool.close()


FORM = {"lang": "en", "print": "regular", "patient_name": "Test Patient"}
HERE = {"base_url": "http://127.0.0.1:8000"}


def test_a_post_from_another_site_prints_nothing(guarded):
    for headers in (
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
    ):
        answer = guarded.post(f"/leaflet/{PROCEDURE}", data=FORM, headers=headers, **HERE)
        assert answer.status_code == 403 and answer.mimetype == "text/html", headers
    same = guarded.post(
        f"/leaflet/{PROCEDURE}", data=FORM, headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://127.0.0.1:8000"}, **HERE
    )
    assert same.status_code == 200 and same.mimetype == "application/pdf"


def test_another_host_name_is_refused(guarded):
    assert guarded.get("/", base_url="http://rebound.example:8000").status_code == 400
    assert guarded.get("/", base_url="http://localhost:8000").status_code == 200


def test_the_page_cannot_be_framed_and_what_echoes_details_is_not_kept(guarded):
    page = guarded.get("/", **HERE)
    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "form-action 'self'" in policy and "base-uri 'none'" in policy
    assert page.headers["X-Frame-Options"] == "DENY"
    echoed = guarded.post(f"/leaflet/{PROCEDURE}", data=FORM | {"date": "2026-12-01"}, **HERE)  # no time: the form again
    assert echoed.status_code == 400 and "Test Patient" in echoed.text
    assert echoed.headers["Cache-Control"] == "no-store"


def test_a_path_cannot_forge_a_log_line(guarded, caplog):
    with caplog.at_level(logging.INFO, logger="leaflets.web"):
        guarded.get("/leaflet/x%0A2026-01-01 INFO GET /admin 200", **HERE)
    lines = [r.getMessage() for r in caplog.records if r.name == "leaflets.web"]
    assert len(lines) == 1 and "\n" not in lines[0] and "\\x0a" in lines[0]


def long_recovery(project: Path, steps: int) -> Path:
    """A record within every field limit whose recovery section is ``steps`` near-maximal paragraphs."""
    paragraph = "Rest, drink water and keep the dressing dry. " * 42  # 1,890 characters: under the 2,000 limit
    return edit_record(project, PROCEDURE, "recovery:\n", "recovery:\n" + "".join(f"  - {paragraph}\n" for _ in range(steps)))


def test_a_record_that_would_print_a_book_is_refused_at_once(cli, project):
    path = long_recovery(project, 30)
    code, _, err = cli("--root", project, "build", PROCEDURE)
    assert code == 1 and err.startswith(f"{path}: this leaflet holds 6") and "a leaflet may have at most 40 pages" in err


def test_a_leaflet_over_the_page_limit_is_refused_with_its_page_count(cli, project):
    steps = "".join(f"  - Step {number}, sit up.\n" for number in range(1_200))
    edit_record(project, PROCEDURE, "recovery:\n", "recovery:\n" + steps)  # under the text limit, 40+ pages of lines
    code, _, err = cli("--root", project, "build", PROCEDURE, "--large-print")
    assert code == 1 and re.fullmatch(r"this leaflet would print \d\d pages; a leaflet may have at most 40: .*\n", err), err
    assert not (project / "dist").exists() or not list((project / "dist").rglob("*.pdf"))


def test_the_servers_own_size_limits_answer_with_our_pages(project):
    import urllib.error
    import urllib.request

    from helpers import free_port, wait_until_up

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "leaflets", "--root", str(project), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/")
        for request in (
            urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"X-Filler": "x" * 40_000}),
            urllib.request.Request(f"http://127.0.0.1:{port}/leaflet/{PROCEDURE}", data=b"note=" + b"x" * 100_000),
        ):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=30)
            page = refused.value.read().decode()
            assert refused.value.code in (413, 431) and "<h1>Too much text</h1>" in page and 'lang="en"' in page
    finally:
        server.terminate()
        server.wait(timeout=10)
