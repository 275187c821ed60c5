"""The command line, run in-process, as a clinician or staff member would use it."""

from __future__ import annotations

from pathlib import Path

from helpers import one_leaflet, pdf_text, remove_records, set_languages


def test_list_shows_every_procedure(cli, project):
    code, out, _ = cli("--root", project, "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "TITLE", "CODE", "STATUS", "REVIEW", "DUE"]
    assert len(lines) == 6
    assert any("dialysis-fistula-creation" in line and "CPT 36836" in line and "draft" in line for line in lines)


def test_check_passes_on_the_shipped_content(cli, project):
    code, out, err = cli("--root", project, "check", "--strict")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "5 procedures and 1 clinics: no problems found"
    assert out.splitlines()[-1] == "30 leaflets: 0 error(s), 0 warning(s), 0 note(s)"


def test_check_reports_every_problem_and_fails(cli, sample):
    code, out, err = cli("--root", sample, "check", "--clinic", "sample")
    assert code == 1
    assert out.startswith("1 procedures and 1 clinics are valid: 6 problem(s) in the others\n")
    assert "\nhand-x-ray " in out  # the valid record is still checked
    assert "content/procedures/broken-record.yaml:5: preperation: unknown key 'preperation' (did you mean preparation?)" in err
    assert len(err.splitlines()) == 6


def test_build_writes_one_pdf_into_dist_and_prints_its_path(cli, project):
    code, out, err = cli("--root", project, "build", "kidney-tube-tract-widening")
    target = project / "dist" / "example" / "en" / "kidney-tube-tract-widening.pdf"
    assert (code, out, err) == (0, f"{target}\n", "")
    assert "When to get help" in pdf_text(target)


def test_build_to_standard_output(project, capsysbinary):
    from leaflets.cli import main

    assert main(["--root", str(project), "build", "kidney-tube-tract-widening", "--output", "-"]) == 0
    assert capsysbinary.readouterr().out.startswith(b"%PDF-")
    assert not (project / "dist").exists()


def test_an_unknown_procedure(cli, project):
    code, out, err = cli("--root", project, "build", "dialysis-fistula")
    assert code == 1 and out == ""
    assert err == (
        f"no procedure 'dialysis-fistula' in {project / 'content' / 'procedures'}; "
        "did you mean dialysis-fistula-creation?\n"
    )
    assert not (project / "dist").exists()


def test_a_path_like_procedure_id_is_not_found(cli, project):
    code, _, err = cli("--root", project, "build", "../../etc/passwd")
    assert code == 1 and err.startswith("no procedure '../../etc/passwd'")


def test_an_unknown_clinic(cli, project):
    code, _, err = cli("--root", project, "build", "kidney-tube-tract-widening", "--clinic", "nowhere")
    assert code == 1 and err.startswith("no clinic 'nowhere'")


def test_a_clinic_whose_logo_is_missing_builds_nothing(cli, project):
    (project / "content" / "clinics" / "example-logo.svg").unlink()
    clinic = (project / "content" / "clinics" / "example.yaml").read_text().splitlines()
    line = next(number for number, text in enumerate(clinic, 1) if text.startswith("logo:"))
    code, _, err = cli("--root", project, "build", "kidney-tube-tract-widening")
    assert code == 1
    assert err == f"{project}/content/clinics/example.yaml:{line}: logo: file 'example-logo.svg' does not exist\n"
    assert not (project / "dist").exists()


def test_a_broken_record_builds_nothing(cli, project):
    record = project / "content" / "procedures" / "kidney-tube-tract-widening.yaml"
    record.write_text(record.read_text().replace("summary:", "summary: [oops]\nsummary_old:", 1))
    code, out, err = cli("--root", project, "build", "kidney-tube-tract-widening")
    assert code == 1 and out == ""
    assert "kidney-tube-tract-widening.yaml:" in err and "summary: expected text, found a list" in err
    assert "Traceback" not in err
    assert not (project / "dist").exists()


def test_personal_details_need_an_output_outside_dist(cli, project):
    code, _, err = cli("--root", project, "build", "kidney-tube-tract-widening", "--patient-name", "Ada Lovelace")
    assert code == 1
    assert "never goes into dist/" in err and "Ada" not in err
    code, _, err = cli(
        "--root", project, "build", "kidney-tube-tract-widening", "--patient-name", "Ada Lovelace",
        "--output", project / "dist" / "ada.pdf",
    )
    assert code == 1 and "must not be written into dist/" in err and "Ada" not in err
    assert not (project / "dist").exists()


def test_a_personalised_leaflet_goes_only_where_asked(cli, project, tmp_path):
    output = tmp_path / "for-patient.pdf"
    code, out, err = cli(
        "--root", project, "build", "dialysis-fistula-creation", "--patient-name", "Grace Hopper",
        "--appointment", "2026-12-01 09:30", "--location", "Room 4, second floor", "--note", "Bring your glasses",
        "--output", output,
    )
    assert (code, err) == (0, "")
    text = pdf_text(output)
    for detail in ("Grace Hopper", "Tuesday, December 1, 2026", "9:30", "Room 4, second floor", "Bring your glasses"):
        assert detail in text
    assert not (project / "dist").exists()
    leftovers = [p for p in project.rglob("*") if p.is_file() and b"Grace Hopper" in p.read_bytes()]
    assert leftovers == []


def test_an_impossible_appointment_does_not_echo_the_value(cli, project, tmp_path):
    code, _, err = cli(
        "--root", project, "build", "dialysis-fistula-creation", "--appointment", "2026-02-30 25:61",
        "--output", tmp_path / "x.pdf",
    )
    assert code == 1
    assert err == '--appointment is not a valid date and time; write it as "YYYY-MM-DD HH:MM"\n'
    assert not (tmp_path / "x.pdf").exists()


def test_an_over_long_patient_name(cli, project, tmp_path):
    code, _, err = cli(
        "--root", project, "build", "dialysis-fistula-creation", "--patient-name", "A" * 500, "--output", tmp_path / "x.pdf"
    )
    assert (code, err) == (1, "--patient-name is too long (at most 120 characters)\n")


def test_build_all_builds_every_leaflet_in_every_language_regular_and_large_print(cli, project):
    one_leaflet(project)
    set_languages(project, "en, ar")  # one record in two languages, regular and large print: each is one line
    code, out, err = cli("--root", project, "build", "--all", "--clinic", "example")
    assert code == 0
    built = sorted(str(Path(line).relative_to(project / "dist" / "example")) for line in out.splitlines())
    assert built == sorted(f"{lang}/dialysis-fistula-creation{size}.pdf" for lang in ("en", "ar")
                           for size in ("", "-large-print"))
    assert err.splitlines()[-1].startswith("built 4, unchanged 0, refused 0, failed 0 in ")


def test_build_all_reports_a_refused_translation_and_builds_the_rest(cli, project):
    remove_records(project, "dialysis-access-clot-removal", "dialysis-fistula-creation", "kidney-tube-tract-widening")
    set_languages(project, "en, es")  # two records in two languages: one translation refused, six leaflets built
    record = project / "content" / "procedures" / "foot-vein-arterialization.yaml"
    record.write_text(record.read_text().replace("summary: ", "summary: Newly edited. ", 1))
    code, out, err = cli("--root", project, "build", "--all")
    assert code == 1
    assert len(out.splitlines()) == 6 and "es/coronary-blockage-opening-large-print.pdf" in out
    refused = [line for line in err.splitlines() if line.startswith("refused ")]
    assert refused == [
        line for line in refused if "dist/example/es/foot-vein-arterialization" in line and "not translated into es" in line
    ] and len(refused) == 2
    assert err.splitlines()[-1].startswith("built 6, unchanged 0, refused 2, failed 0 in ")


def test_build_all_a_broken_record_fails_alone(cli, project):
    remove_records(project, "coronary-blockage-opening", "dialysis-access-clot-removal", "kidney-tube-tract-widening")
    set_languages(project, "en")  # the broken record and a good one
    record = project / "content" / "procedures" / "foot-vein-arterialization.yaml"
    record.write_text(record.read_text().replace("title:", "titel:", 1))
    code, out, err = cli("--root", project, "build", "--all")
    assert code == 1
    assert len(out.splitlines()) == 2
    assert "foot-vein-arterialization.yaml:3: titel: unknown key 'titel' (did you mean title?)" in err
    assert not list((project / "dist").rglob("foot-vein-arterialization*"))


def test_python_dash_m_works(project):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "leaflets", "--root", str(project), "list"], capture_output=True, text=True)
    assert result.returncode == 0 and "kidney-tube-tract-widening" in result.stdout


def test_a_folder_that_is_not_a_project(cli, tmp_path):
    assert cli("--root", tmp_path, "list") == (
        1, "", f"{tmp_path}/content: no such folder; run leaflets in a project folder, or give --root DIR\n")


def test_check_pdf_on_a_missing_file(cli, tmp_path):
    code, out, _ = cli("check", "--pdf", tmp_path / "gone.pdf")
    assert code == 1 and f"{tmp_path}/gone.pdf: error: gone.pdf: cannot read the file: No such file or directory" in out


def test_serve_an_unknown_clinic(cli, project):
    assert cli("--root", project, "serve", "--clinic", "nowhere") == (
        1, "", f"no clinic 'nowhere' in {project}/content/clinics; known: example\n")


def test_i18n_status_with_a_broken_or_missing_clinic_file_says_where_in_one_line(cli, project):
    clinic = project / "content" / "clinics" / "example.yaml"
    clinic.write_text("name: [\n", encoding="utf-8")
    code, _, err = cli("--root", project, "i18n", "status")
    assert code == 1 and "Traceback" not in err
    assert err.startswith(f"{clinic}:2: ") and len(err.splitlines()) == 1
    clinic.unlink()
    code, _, err = cli("--root", project, "i18n", "status")
    assert code == 1 and err == f"{clinic.parent}: no clinic file; leaflets need one to be made\n"
