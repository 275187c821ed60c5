"""Accessibility, plain language and governance: what `leaflets check` finds, and the PDFs' facts."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pdfua
import pikepdf
import pytest

from helpers import REPO, SAMPLE, pdf_text, set_languages
from leaflets.build.leaflet import Builder, build_one
from leaflets.checks.pdf import check_pdf
from leaflets.checks.readability import readability
from leaflets.errors import LeafletErrors
from leaflets.governance.checking import check_leaflets
from leaflets.model.clinic import contrast_ratio, load_clinic
from leaflets.model.project import Project


@pytest.fixture(scope="module")
def one_per_script(tmp_path_factory) -> dict[tuple[str, bool], Path]:
    """Left-to-right, right-to-left and Chinese leaflets, regular and large print."""
    out = tmp_path_factory.mktemp("scripts")
    project, builder = Project(REPO), Builder(Project(REPO))
    return {
        (lang, large): build_one(project, "dialysis-access-clot-removal", lang=lang, large_print=large,
                                 output=str(out / f"{lang}-{large}.pdf"), builder=builder)[0]
        for lang in ("en", "ar", "zh_Hans") for large in (False, True)
    }


def test_our_pdf_checks_find_nothing(one_per_script):
    assert [str(f) for path in one_per_script.values() for f in check_pdf(path)] == []


def test_the_pdfua_checker_finds_nothing(one_per_script):
    for path in one_per_script.values():
        report = pdfua.validate(str(path))
        assert [f"{f.rule_id} {f.message}" for f in report.findings] == [], path.name


def test_pdf_facts_read_back(one_per_script):
    for (lang, _), path in one_per_script.items():
        with pikepdf.open(path) as pdf:
            assert str(pdf.Root.Lang) == lang.replace("_", "-")
            assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
            assert pdf.Root.MarkInfo.Marked is True
            with pdf.open_metadata() as xmp:
                assert xmp["pdfuaid:part"] == "1" and xmp["dc:title"]
            tags = [str(e.S) for e in structure(pdf)]
            assert tags.count("/H1") == 1 and tags.index("/H1") < tags.index("/H2")
            assert all(str(e.get("/Alt", "")) for e in structure(pdf) if str(e.S) == "/Figure")
            assert "/L" in tags and "/LI" in tags


def structure(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """The structure elements in reading order."""
    def walk(item):
        if isinstance(item, pikepdf.Array):
            for kid in item:
                yield from walk(kid)
        elif isinstance(item, pikepdf.Dictionary) and "/S" in item:
            yield item
            yield from walk(item.get("/K", pikepdf.Array()))
    return list(walk(pdf.Root.StructTreeRoot.K))


def test_the_running_footer_and_banner_are_artifacts(one_per_script):
    with pikepdf.open(one_per_script["en", False]) as pdf:
        for page in pdf.pages:
            marks = [ops[0] for ops, op in pikepdf.parse_content_stream(page) if str(op) == "BDC"]
            assert marks.count(pikepdf.Name.Artifact) >= 3  # banner, footer, page number


def body_size_pt(path: Path) -> float:
    """The most used font size, in points (WeasyPrint draws in CSS px: 1px = 0.75pt)."""
    sizes: Counter[float] = Counter()
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            instructions = pikepdf.parse_content_stream(page)
            # WeasyPrint flips the page to CSS's top-down y, then scales CSS px to pt
            assert [(str(op), [float(x) for x in ops]) for ops, op in instructions[:3]] == [
                ("cm", [1, 0, 0, -1, 0, float(page.mediabox[3])]), ("q", []), ("cm", [0.75, 0, 0, 0.75, 0, 0])]
            sizes.update(round(float(ops[1]) * 0.75, 1) for ops, op in instructions if str(op) == "Tf")
    return sizes.most_common(1)[0][0]


def test_body_text_is_12_pt_and_16_pt_in_large_print(one_per_script):
    for lang in ("en", "ar", "zh_Hans"):
        assert body_size_pt(one_per_script[lang, False]) >= 12
        assert body_size_pt(one_per_script[lang, True]) >= 16


def test_large_print_keeps_the_same_content_and_tags(one_per_script):
    regular, large = one_per_script["en", False], one_per_script["en", True]
    assert pdf_text(regular).split("Page")[0][:200] == pdf_text(large).split("Page")[0][:200]
    with pikepdf.open(regular) as a, pikepdf.open(large) as b:
        assert Counter(str(e.S) for e in structure(a))["/H2"] == Counter(str(e.S) for e in structure(b))["/H2"]


def test_check_pdf_names_the_rules_a_plain_pdf_breaks(tmp_path):
    import weasyprint

    plain = tmp_path / "plain.pdf"
    weasyprint.HTML(string="<h1>Hello</h1><h3>Skipped</h3>").write_pdf(plain)
    messages = [f.message for f in check_pdf(plain)]
    assert "7.1: /MarkInfo /Marked is not true" in messages
    assert "7.2: the document declares no language (/Lang)" in messages
    assert "5: the XMP metadata does not identify the file as PDF/UA-1 (pdfuaid:part)" in messages


def test_check_pdf_from_the_command_line(cli, one_per_script, tmp_path):
    (tmp_path / "broken.pdf").write_bytes(b"not a pdf")
    code, out, _ = cli("check", "--pdf", one_per_script["ar", True], tmp_path / "broken.pdf")
    assert code == 1
    assert "broken.pdf: not a readable PDF" in out and out.splitlines()[-1] == "2 PDF(s): 1 problem(s) found"


def test_every_text_colour_has_contrast_on_every_background():
    css = (REPO / "templates" / "leaflet.css").read_text()
    texts = {c.lower() for c in re.findall(r"(?<![-\w])color: (#[0-9a-fA-F]{6})", css)}
    backgrounds = {c.lower() for c in re.findall(r"background: (#[0-9a-fA-F]{6})", css)} | {"#ffffff"}
    assert texts and backgrounds
    assert [(t, b) for t in texts for b in backgrounds if contrast_ratio(t, b) < 4.5] == []


def test_an_accent_colour_that_would_fail_is_refused(tmp_path):
    path = tmp_path / "sample.yaml"
    path.write_text((SAMPLE / "content/clinics/sample.yaml").read_text() + 'accent_colour: "#ffcc00"\n')
    with pytest.raises(LeafletErrors) as caught:
        load_clinic(path)
    assert [str(e) for e in caught.value.errors] == [
        f"{path}:8: accent_colour: '#ffcc00' has a contrast of 1.5:1 on white paper; it needs at least 4.5:1 "
        "(a darker shade that passes: #866a00)"
    ]


def test_the_shipped_english_leaflets_read_at_grade_8_or_below():
    for procedure in Project(REPO).load_all_procedures():
        score = readability(procedure.model_dump(mode="json"), "en")
        assert score.grade <= 8 and max(score.sections.values()) <= 8, procedure.id


def findings_for(project: Path, today: date | None = None) -> list[str]:
    return [str(f) for f in check_leaflets(set_languages(project, "en"), "example", today)[1]]


def test_hard_words_and_long_sentences_are_found(project):
    record = project / "content" / "procedures" / "kidney-tube-tract-widening.yaml"
    record.write_text(record.read_text().replace(
        "summary: ",
        "summary: Percutaneous nephrolithotomy necessitates comprehensive perioperative anticoagulation "
        "management, fluoroscopic localization and subsequent dilatation of the established tract, which "
        "interventional radiologists and urologists undertake collaboratively. ", 1))
    found = findings_for(project)
    assert any("kidney-tube-tract-widening [en]: section 'summary' reads at Flesch-Kincaid grade" in f for f in found)
    assert any("'percutaneous' (summary) is not explained in the glossary; plainer: 'through the skin'" in f for f in found)


def test_review_dates_are_governed(project):
    soon = findings_for(project, today=date(2027, 10, 1))
    assert any("note: coronary-blockage-opening: review due in 53 days (2027-11-23)" in f for f in soon)
    late = findings_for(project, today=date(2028, 1, 1))
    assert any("warning: coronary-blockage-opening: out of date: review was due 2027-11-23" in f for f in late)


def test_an_out_of_date_leaflet_says_so_on_every_page(tmp_path):
    builder = Builder(Project(REPO), today=date(2028, 1, 1))
    project = Project(REPO)
    leaflet = builder.leaflet(project.load_procedure("kidney-tube-tract-widening"), project.load_clinic("example"), "en")
    target = tmp_path / "late.pdf"
    target.write_bytes(builder.pdf(leaflet))
    pages = len(pikepdf.open(target).pages)
    assert pdf_text(target).count("Out of date: check for a newer version") == pages


def test_the_fingerprint_follows_what_is_printed(project, tmp_path):
    first, _ = build_one(Project(project), "kidney-tube-tract-widening", output=str(tmp_path / "a.pdf"))
    record = project / "content" / "procedures" / "kidney-tube-tract-widening.yaml"
    record.write_text(record.read_text().replace("title: Making the path", "title: Making a path", 1))
    second, _ = build_one(Project(project), "kidney-tube-tract-widening", output=str(tmp_path / "b.pdf"))

    def fingerprint(path):
        return re.search(r"English · ([0-9a-f]{8})", pdf_text(path)).group(1)

    assert fingerprint(first) != fingerprint(second)
