"""Review, approval, translator sign-off and the archive of releases (issue 17), on copies of the project."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pikepdf

from helpers import REPO, edit_record, one_leaflet, pdf_text, remove_records, set_languages
from leaflets.build.leaflet import Builder
from leaflets.model.project import Project

FISTULA = "dialysis-fistula-creation"
SENTENCE = "Wear a loose top with wide sleeves."
EDITED = "Wear a loose shirt with wide sleeves."
DOCTOR = ("--by", "Dr Ana Reyes", "--role", "Consultant nephrologist")
TRANSLATOR = ("--by", "Lucía Gómez", "--role", "Medical translator")


def printed_code(pdf: Path, language: str = "English") -> str:
    return re.search(rf"{language} · ([0-9a-f]{{8}})", pdf_text(pdf)).group(1)


def pages(pdf: Path) -> int:
    with pikepdf.open(pdf) as document:
        return len(document.pages)


def standing(project: Path, lang: str = "en", procedure_id: str = FISTULA):
    builder, loaded = Builder(Project(project)), Project(project)
    leaflet = builder.leaflet(loaded.load_procedure(procedure_id), loaded.load_clinic("example"), lang)
    return builder.rendered(leaflet)[1]


def build(cli, project: Path, *args: str) -> Path:
    code, out, err = cli("--root", project, "build", FISTULA, *args)
    assert code == 0, err
    return Path(out.strip())


def test_approve_build_edit_approve_again_and_find_each_release(project, cli):
    one_leaflet(project)  # what check and list read: the fistula record, in English
    assert cli("--root", project, "approve", FISTULA, *DOCTOR)[0] == 0
    first = build(cli, project)
    text = pdf_text(first)
    assert "DRAFT" not in text and "This is a draft" not in text
    assert text.count("Approved by Dr Ana Reyes (Consultant nephrologist) on") == pages(first) + 1  # every page, and the last
    first_code, first_bytes = printed_code(first), first.read_bytes()

    edit_record(project, FISTULA, SENTENCE, EDITED)
    draft = build(cli, project)
    assert pdf_text(draft).count("DRAFT: not yet approved by a clinician") == pages(draft)
    code, out, _ = cli("--root", project, "check", "--clinic", "example")
    assert f"warning: {FISTULA} [en]: changed since approved by Dr Ana Reyes (Consultant nephrologist)" in out
    code, out, _ = cli("--root", project, "review", FISTULA)
    assert code == 0 and "~ Wear a loose [-top-]{+shirt+} with wide sleeves." in out
    assert "changes since version 1.0, approved by Dr Ana Reyes" in out and "1 line(s) changed" in out

    assert re.search(rf"^{FISTULA} .* changed since v1.0 was approved +2027-11-23$", cli("--root", project, "list")[1], re.M)
    code, out, _ = cli("--root", project, "approve", FISTULA, *DOCTOR)
    assert code == 0 and "as version 1.1" in out
    assert re.search(rf"^{FISTULA} .* approved v1.1 +2027-11-23$", cli("--root", project, "list")[1], re.M)
    second = build(cli, project)
    assert "DRAFT" not in pdf_text(second) and "version 1.1" in pdf_text(second)
    second_code = printed_code(second)
    assert second_code != first_code

    releases = json.loads((project / "dist/example/archive/releases.json").read_text())["releases"]
    assert [(r["version"], r["code"]) for r in releases] == [("1.0", first_code), ("1.1", second_code)]
    archive = project / "dist/example/archive"
    assert (archive / releases[0]["file"]).read_bytes() == first_bytes  # kept as built, not rewritten
    for version, code in (("1.0", first_code), ("1.1", second_code)):
        status, out, err = cli("--root", project, "which", code)
        assert status == 0 and err == ""
        assert f"archive/{FISTULA}/{version}/en/" in out
        assert f"{FISTULA} version {version} [en], regular print; approved by Dr Ana Reyes (Consultant nephrologist)" in out


def test_the_review_page_marks_changes_with_ins_and_del_and_prints(project, cli, tmp_path):
    cli("--root", project, "approve", FISTULA, *DOCTOR)
    edit_record(project, FISTULA, SENTENCE, EDITED)
    page = tmp_path / "review.html"
    assert cli("--root", project, "review", FISTULA, "--since", "1.0", "--html", page)[0] == 0
    html = page.read_text()
    assert '<td lang="en" dir="auto">Wear a loose <del>top</del><ins>shirt</ins> with wide sleeves.</td>' in html
    assert "@media print" in html


def test_a_clinic_phone_change_keeps_the_approval(project, cli):
    cli("--root", project, "approve", FISTULA, *DOCTOR)
    before = standing(project)
    clinic = project / "content/clinics/example.yaml"
    clinic.write_text(clinic.read_text().replace("(555) 010-2000", "(555) 010-7777").replace("Riverside", "Lakeside"))
    after = standing(project)
    assert after.approved and after.fingerprint == before.fingerprint
    text = pdf_text(build(cli, project))
    assert "(555) 010-7777" in text and "Lakeside" in text and "DRAFT" not in text


def test_a_translation_edit_brings_back_only_that_languages_draft_mark(project, cli):
    cli("--root", project, "approve", FISTULA, *DOCTOR)
    for lang in ("es", "fr"):
        code, out, err = cli("--root", project, "approve", FISTULA, "--lang", lang, *TRANSLATOR)
        assert code == 0 and f"translation [{lang}] signed off as version 1.0" in out, err
    catalog = project / "locales/es/LC_MESSAGES/messages.po"
    catalog.write_text(
        catalog.read_text().replace(
            'msgstr "Use una blusa o camisa holgada, con', 'msgstr "Lleve una blusa o camisa holgada, con', 1
        )
    )
    spanish, french = pdf_text(build(cli, project, "--lang", "es")), pdf_text(build(cli, project, "--lang", "fr"))
    assert "borrador de traducción" in spanish and "BORRADOR" not in spanish  # the English is still approved
    assert "traduction vérifiée par : Medical translator" in french and "traduction provisoire" not in french
    page = project / "review-es.html"
    code, out, _ = cli("--root", project, "review", FISTULA, "--lang", "es", "--html", page)
    assert "{+Lleve+}" in out and f"    en: {SENTENCE}" in out
    assert f'<td lang="en">{SENTENCE}</td><td lang="es" dir="auto"><del>Use</del><ins>Lleve</ins> una blusa' in page.read_text()


def test_an_english_change_ends_its_translations_sign_off(project, cli):
    cli("--root", project, "approve", FISTULA, "--lang", "es", *TRANSLATOR)
    assert standing(project, "es").signed_off
    edit_record(project, FISTULA, SENTENCE, EDITED)
    catalog = project / "locales/es/LC_MESSAGES/messages.po"  # translated again, word for word as before
    catalog.write_text(catalog.read_text().replace(f'msgid "{SENTENCE}"', f'msgid "{EDITED}"', 1))
    after = standing(project, "es")
    assert not after.signed_off and after.translation_state == "changed"


def test_bad_input_is_one_line_and_writes_nothing(project, cli):
    approvals = project / "content/approvals"
    cases = {
        ("approve", "no-such-thing", *DOCTOR): "no procedure 'no-such-thing'",
        ("approve", FISTULA, "--lang", "de", *DOCTOR): "'de' is not a language of clinic example",
        ("approve", FISTULA, "--role", "Consultant"): "approve needs --by",
        ("approve", FISTULA, "--by", "Dr Ana Reyes"): "approve needs --role",
        ("approve", FISTULA, "--by", "Dr\u202eAna", "--role", "Consultant"): "--by holds a character that cannot be printed",
        ("review", FISTULA, "--since", "7.0"): "has no approved version 7.0",
        ("which", "not-a-code"): "the code is the 8 letters and digits",
    }
    for args, message in cases.items():
        code, out, err = cli("--root", project, *args)
        assert code != 0 and message in err and len(err.strip().splitlines()) == 1, (args, err)
    edit_record(project, FISTULA, SENTENCE, EDITED)  # its translations now lack a string: check fails for them
    code, _, err = cli("--root", project, "approve", FISTULA, "--lang", "es", *TRANSLATOR)
    assert code == 1 and f"{FISTULA} [es] fails check" in err and len(err.strip().splitlines()) == 1
    assert not (approvals / f"{FISTULA}.yaml").exists()


def test_a_hand_edited_archive_is_reported_never_overwritten(project, cli):
    one_leaflet(project)  # what check reads: the fistula record, in English
    cli("--root", project, "approve", FISTULA, *DOCTOR)
    code = printed_code(build(cli, project))
    archived = next((project / "dist/example/archive").rglob("*.pdf"))
    archived.write_bytes(archived.read_bytes() + b"%edited\n")
    edited = archived.read_bytes()
    for args in (("which", code), ("check",), ("build", FISTULA), ("approve", FISTULA, *DOCTOR)):
        status, out, err = cli("--root", project, *args)
        assert status == 1 and "edited by hand" in out + err, args
        assert sum("edited by hand" in line for line in (out + err).splitlines()) == 1
    assert archived.read_bytes() == edited


def test_two_approvals_at_once_the_second_stops_in_one_line(project):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\nfrom leaflets.governance.review import approvals_lock\n"
            "from leaflets.model.project import Project\nwith approvals_lock(Project(Path(sys.argv[1]))):\n"
            "    print('held', flush=True)\n    time.sleep(30)\n",
            str(project),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        second = subprocess.run(
            [str(REPO / ".venv/bin/leaflets"), "--root", str(project), "approve", FISTULA, *DOCTOR],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        holder.kill()
        holder.wait()
    assert second.returncode == 1 and second.stdout == ""
    assert second.stderr.strip() == f"another approval is being recorded (pid {holder.pid}); nothing was written: try again"
    assert not (project / f"content/approvals/{FISTULA}.yaml").exists()


def test_build_all_archives_releases_shows_states_and_never_deletes_the_archive(project, cli):
    set_languages(project, "en, es")
    remove_records(project, "coronary-blockage-opening", "foot-vein-arterialization", "kidney-tube-tract-widening")
    cli("--root", project, "approve", FISTULA, *DOCTOR)
    assert cli("--root", project, "build", "--all", "--jobs", "1")[0] == 0
    index = (project / "dist/example/index.html").read_text()
    assert "Approved v1.0" in index and "Translation not signed off" in index and ">Draft<" in index
    archived = sorted(
        p.relative_to(project / "dist/example/archive").as_posix() for p in (project / "dist/example/archive").rglob("*.pdf")
    )
    assert [re.sub(r"-[0-9a-f]{12}\.pdf$", "", name) for name in archived] == [
        f"{FISTULA}/1.0/en/{FISTULA}",
        f"{FISTULA}/1.0/en/{FISTULA}-large-print",
    ]
    remove_records(project, FISTULA)  # its PDFs leave dist/; its releases stay
    assert cli("--root", project, "build", "--all", "--jobs", "1")[0] == 0
    assert not (project / f"dist/example/en/{FISTULA}.pdf").exists()
    assert all((project / "dist/example/archive" / name).is_file() for name in archived)


def test_the_feedback_route_is_the_clinics_address_or_its_daytime_phone(project, cli):
    clinic = project / "content/clinics/example.yaml"
    loaded = Project(project)
    builder = Builder(loaded)
    html = builder.html(builder.leaflet(loaded.load_procedure(FISTULA), loaded.load_clinic("example"), "en"))
    assert "leaflets@riverside-clinic.example" in html
    clinic.write_text(re.sub(r"feedback: .*\n", "", clinic.read_text()))
    html = Builder(loaded).html(builder.leaflet(loaded.load_procedure(FISTULA), loaded.load_clinic("example"), "en"))
    assert re.search(r"not clear: <bdi[^>]*>\(555\) 010-2000</bdi>", html)
    clinic.write_text(clinic.read_text().replace("paper: letter", "feedback: tell us\npaper: letter"))
    code, _, err = cli("--root", project, "build", FISTULA)
    assert code == 1 and "feedback: 'tell us' is neither an e-mail address" in err


def test_the_shipped_leaflets_stay_drafts():
    assert not (REPO / "content/approvals").exists() or not list((REPO / "content/approvals").glob("*.yaml"))
    for procedure_id in Project(REPO).procedure_ids():
        assert standing(REPO, "en", procedure_id).approval_state == "draft"


def test_the_web_page_shows_each_leaflets_state(project, cli):
    from leaflets.build.ondemand import make_pool
    from leaflets.web.app import create_app

    cli("--root", project, "approve", FISTULA, *DOCTOR)
    cli("--root", project, "approve", FISTULA, "--lang", "es", *TRANSLATOR)
    loaded = Project(project)
    pool = make_pool(loaded, "example", workers=1)
    try:
        client = create_app(loaded, "example", pool).test_client()
        search = client.get("/?q=fistula").text
        page = client.get(f"/leaflet/{FISTULA}").text
    finally:
        pool.close()
    assert "Approved, version 1.0" in search
    assert re.search(r"English</bdi>: Approved, version 1.0", page)
    assert re.search(r"español</bdi>: Approved, version 1.0 · translation checked", page)
    assert re.search(r"français</bdi>: Approved, version 1.0 · draft translation", page)
