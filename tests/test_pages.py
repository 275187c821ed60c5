"""The printed leaflet within its page budget, with the "when to get help" box on page 1 or 2 and whole."""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path

import pikepdf
import pytest

from helpers import REPO, one_leaflet, pdf_text
from leaflets.build.leaflet import Builder
from leaflets.checks.pages import anchors, budget_problem, help_box_problems, section_lengths
from leaflets.checks.pdf import check_pdf
from leaflets.model.project import Project

PROCEDURES = Project(REPO).procedure_ids()


def built(root: Path, procedure_id: str, large_print: bool = False) -> bytes:
    project = Project(root)
    builder = Builder(project)
    return builder.pdf(builder.leaflet(project.load_procedure(procedure_id), project.load_clinic("example"), "en", large_print))


def shipped(procedure_id: str, large_print: bool = False) -> bytes:
    """A shipped leaflet in English, built once for the module: several tests read the same one."""
    return _shipped(procedure_id, large_print)


@functools.cache
def _shipped(procedure_id: str, large_print: bool) -> bytes:
    return built(REPO, procedure_id, large_print)


def pages(data: bytes) -> int:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


@pytest.mark.parametrize("procedure_id", PROCEDURES)
@pytest.mark.parametrize("large_print", [False, True], ids=["regular", "large-print"])
def test_every_english_leaflet_leaves_room_for_its_translations(procedure_id, large_print):
    """English at most 7 pages (the translations run about 15% longer into a budget of 8), large print 13."""
    data = shipped(procedure_id, large_print)
    assert pages(data) <= (13 if large_print else 7)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert help_box_problems(pdf) == []
        assert anchors(pdf)["get-help"].page <= 2


def test_page_one_carries_the_title_the_main_message_the_911_signs_and_the_numbers():
    data = shipped("dialysis-fistula-creation")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        where = anchors(pdf)
    assert where["main-message"].page == where["help-now"].page == where["for-you"].page == 1
    text = " ".join(pdf_text(data).split())
    panel = text[text.index("Call 911 now if you have:"):text.index("For you")]
    assert "Bleeding from your arm that is heavy" in panel and "Daytime: (555) 010-2000" in panel


def test_the_help_box_is_whole_on_page_1_or_2_in_large_print_too():
    for procedure_id in PROCEDURES:
        with pikepdf.open(io.BytesIO(shipped(procedure_id, large_print=True))) as pdf:
            where = anchors(pdf)
            assert where["help-now"].page == 1, procedure_id
            assert where["get-help"].page <= 2 and where["get-help-end"].page == where["get-help"].page, procedure_id


def test_the_paper_lists_only_the_key_sources_in_short_form_and_the_way_to_the_rest():
    text = " ".join(pdf_text(shipped("kidney-tube-tract-widening")).split())
    assert ("Where the numbers come from Urology Centre, Hong Kong · BJU International, 2013 · "
            "Northern Urology Specialists (Australia)") in text  # the sources of its risk numbers, in their order
    address = "leaflets.riverside-clinic.example/example/en/kidney-tube-tract-widening.html"  # its web version
    assert "".join(f"All sources and the latest version: {address}".split()) in "".join(text.split())
    assert "https://" not in text and "doi:" not in text  # the full list is in the record and on the web version
    assert "Discharge Instructions for Percutaneous Nephrostomy" not in text  # a source behind advice, not a number


# -- the checks ------------------------------------------------------------------------------------


def test_check_pdf_reports_a_help_box_split_across_pages(project, cli, tmp_path):
    css = project / "templates" / "leaflet.css"
    css.write_text(css.read_text() + "\n.get-help { break-inside: auto; } .get-help h2 { margin-top: 200mm; }\n")
    path = tmp_path / "split.pdf"
    path.write_bytes(built(project, "dialysis-fistula-creation"))
    messages = [finding.message for finding in check_pdf(path)]
    assert any(re.fullmatch(r"the 'when to get help' box is split across pages \d and \d", m) for m in messages), messages
    code, out, _ = cli("check", "--pdf", path)
    assert code == 1 and "the 'when to get help' box is split across pages" in out


def test_check_pdf_reports_a_help_box_after_page_2(project, tmp_path):
    css = project / "templates" / "leaflet.css"
    css.write_text(css.read_text() + "\n.get-help { break-before: page; } .for-you { break-after: page; }\n"
                                     ".help-now { break-after: page; }\n")
    path = tmp_path / "late.pdf"
    path.write_bytes(built(project, "dialysis-fistula-creation"))
    assert "the 'when to get help' box is on page 3; it belongs on page 1 or 2" in [f.message for f in check_pdf(path)]


def test_a_leaflet_over_the_budget_names_its_longest_sections():
    with pikepdf.open(io.BytesIO(shipped("coronary-blockage-opening"))) as pdf:
        longest = [name for name, _ in section_lengths(pdf)[:2]]
        assert budget_problem(pdf, 8, large_print=False) is None
        problem = budget_problem(pdf, 3, large_print=False)
        assert budget_problem(pdf, 4, large_print=True) is None  # large print: twice the budget
    assert problem.startswith(f"{pages(shipped('coronary-blockage-opening'))} pages, over the clinic's budget of 3")
    assert f"the longest sections (pages): {longest[0]} (" in problem and longest[1] in problem


def test_check_enforces_the_clinics_page_budget_on_the_built_pdfs(project, cli):
    one_leaflet(project)  # what check reads: the fistula record, in English
    clinic = project / "content" / "clinics" / "example.yaml"
    clinic.write_text(clinic.read_text() + "page_budget: 4\n")
    code, _, _ = cli("--root", project, "build", "dialysis-fistula-creation")
    assert code == 0
    code, out, _ = cli("--root", project, "check", "--clinic", "example")
    assert code == 1
    assert re.search(r"dialysis-fistula-creation \[en\]: \d pages, over the clinic's budget of 4; the longest sections "
                     r"\(pages\): \w[\w-]* \(\d\.\d\)", out), out
    clinic.write_text(clinic.read_text().replace("page_budget: 4", "page_budget: 8"))
    code, out, _ = cli("--root", project, "check", "--clinic", "example")
    assert "over the clinic's budget" not in out


def test_every_source_stays_in_the_review_though_the_paper_prints_a_few(cli):
    code, out, _ = cli("--root", REPO, "review", "kidney-tube-tract-widening")
    assert code == 0
    sources = out[out.index("Sources (all of them; the leaflet prints only those behind its numbers, in short form):"):]
    procedure = Project(REPO).load_procedure("kidney-tube-tract-widening")
    assert len(procedure.cited_sources) > 10
    for source in procedure.cited_sources:
        assert f"{source.title}. {source.publisher}" in sources and (source.url or source.doi) in sources



@pytest.mark.parametrize("lang", ["en", "ar"])
def test_each_pictogram_sits_centred_over_its_caption_and_clear_of_its_words(lang):
    """In both directions: the icon and its caption share the middle of their column, and the item's words
    end at least the row's gap (4 mm) before that column."""
    project = Project(REPO)
    builder = Builder(project)
    leaflet = builder.leaflet(project.load_procedure("dialysis-fistula-creation"), project.load_clinic("example"), lang)
    laid_out = builder.renderer("example")._layout(builder.html(leaflet))
    rows = [box for page in laid_out.pages for box in page._page_box.descendants() if element_box(box, "with-pictogram")]
    assert rows
    gap = 4 * 72 / 25.4 - 0.5
    for row in rows:
        column = next(box for box in row.children if element_box(box, "pictogram-box"))
        words = [text for box in row.children if box is not column for text in text_boxes(box)]
        middle = column.content_box_x() + column.width / 2
        icon = next(box for box in column.descendants() if element_box(box, "pictogram"))
        caption = text_boxes(column)
        assert abs(icon.content_box_x() + icon.width / 2 - middle) < 0.5
        assert abs((min(b.position_x for b in caption) + max(b.position_x + b.width for b in caption)) / 2 - middle) < 0.5
        if lang == "ar":  # the column at the left end of the row
            assert min(b.position_x for b in words) >= column.border_box_x() + column.border_width() + gap
        else:
            assert max(b.position_x + b.width for b in words) <= column.border_box_x() - gap


def element_box(box, name: str) -> bool:
    """Whether ``box`` is the box of an element of class ``name`` (not one of the line boxes inside it)."""
    element = getattr(box, "element", None)
    return (element is not None and type(box).__name__ not in ("LineBox", "TextBox")
            and name in (element.get("class") or "").split())


def text_boxes(box) -> list:
    return [inner for inner in box.descendants() if type(inner).__name__ == "TextBox" and inner.text.strip()]
