"""Packets and bilingual leaflets: several leaflets in one PDF, each with its own page numbers."""

from __future__ import annotations

import re
import subprocess

import pikepdf

from helpers import pdf_text


def page_numbers(path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.findall(r"Page (\d+ of \d+)", text)


def part_languages(path) -> list[str]:
    """The /Lang of each /Part of the structure tree, in reading order."""
    with pikepdf.open(path) as pdf:
        document = pdf.Root.StructTreeRoot.K
        document = document if isinstance(document, pikepdf.Dictionary) else document[0]
        assert all(str(part.S) == "/Part" for part in document.K)
        return [str(part.Lang) for part in document.K]


def is_accessible(path) -> bool:
    """Our own PDF/UA checks (one H1 per leaflet, no skipped heading levels, ...) and pdfua's."""
    import pdfua

    from leaflets.checks.pdf import check_pdf

    return check_pdf(path) == [] and not pdfua.validate(str(path)).findings


def test_a_packet_is_one_pdf_each_leaflet_from_a_new_page_with_its_own_numbers(project, cli, tmp_path):
    out = tmp_path / "p.pdf"
    code, _, err = cli("--root", project, "build", "dialysis-fistula-creation", "dialysis-access-clot-removal",
                       "kidney-tube-tract-widening", "--packet", "--output", out, "--patient-name", "Ada Lovelace")
    assert code == 0, err
    numbers = [tuple(map(int, number.split(" of "))) for number in page_numbers(out)]
    firsts = [i for i, (page, _) in enumerate(numbers) if page == 1]
    assert firsts[0] == 0 and len(firsts) == 3  # three leaflets, each counting from 1 ...
    for start, end in zip(firsts, firsts[1:] + [len(numbers)], strict=True):
        total = numbers[start][1]  # ... to its own last page, "page X of Y" with its own Y
        assert numbers[start:end] == [(page, total) for page in range(1, total + 1)]
    text = pdf_text(out.read_bytes())
    assert text.index("Making a fistula") < text.index("Clearing a clot") < text.index("Making the path for your kidney tube")
    assert text.count("Ada Lovelace") == 3  # typed once, in each leaflet's "For you" box
    assert is_accessible(out)


def test_a_bilingual_leaflet_has_both_languages_each_tagged_as_itself(project, cli, tmp_path):
    out = tmp_path / "es-en.pdf"
    code, _, err = cli("--root", project, "build", "dialysis-fistula-creation", "--lang", "es", "--with-english",
                       "--output", out)
    assert code == 0, err
    text = pdf_text(out.read_bytes())
    assert text.index("Hacer una fístula en el brazo") < text.index("Making a fistula in your arm")
    assert part_languages(out) == ["es", "en"]
    assert is_accessible(out)
    with pikepdf.open(out) as pdf:
        assert str(pdf.Root.Lang) == "es"


def test_a_packet_in_arabic_with_english(project, cli, tmp_path):
    out = tmp_path / "ar.pdf"
    code, _, err = cli("--root", project, "build", "dialysis-fistula-creation", "coronary-blockage-opening",
                       "--lang", "ar", "--with-english", "--packet", "--output", out)
    assert code == 0, err
    assert part_languages(out) == ["ar", "en", "ar", "en"]
    assert len([n for n in page_numbers(out) if n.startswith("1 of")]) == 2  # the English halves' footers


def test_several_procedures_need_packet_and_a_packet_needs_output(project, cli):
    code, _, err = cli("--root", project, "build", "dialysis-fistula-creation", "dialysis-access-clot-removal")
    assert code == 1 and err.strip() == "to put several procedures in one PDF, add --packet (and --output)"
    code, _, err = cli("--root", project, "build", "dialysis-fistula-creation", "--with-english", "--lang", "es")
    assert code == 1 and "--output" in err and "Traceback" not in err


def test_a_clinic_packet_naming_an_unknown_leaflet_is_a_line_error(project, cli):
    clinic = project / "content" / "clinics" / "example.yaml"
    clinic.write_text(clinic.read_text().replace("dialysis-access-clot-removal]", "dialysis-acess-clot-removal]"))
    line = next(i for i, text in enumerate(clinic.read_text().splitlines(), 1) if "dialysis-acess" in text)
    code, _, err = cli("--root", project, "build", "dialysis-fistula-creation")
    assert code == 1
    assert err.strip() == (f"{clinic}:{line}: packets.fistula-day.leaflets[2]: no procedure "
                           "'dialysis-acess-clot-removal'; did you mean dialysis-access-clot-removal?")
