"""Rendered leaflets, read back as a patient (text) and as a machine (metadata) would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pikepdf
import pytest

from conftest import comparable, folded
from helpers import REPO, pdf_text
from leaflets.build.leaflet import Builder, build_one
from leaflets.checks.pages import help_box_problems
from leaflets.errors import TemplateProblem
from leaflets.model.policies import Policies
from leaflets.model.project import Project
from leaflets.model.record import PluralText
from leaflets.render.pdf import UNUSED_DEFAULT_RULES, LeafletHTML, RefusedURL, SafeFetcher
from leaflets.render.weasy import weasyprint

PROCEDURES = sorted(p.stem for p in (REPO / "content" / "procedures").glob("*.yaml"))
HEADINGS = [
    "The main message", "For you", "What it is and why it is done", "How to get ready", "What happens",
    "How it feels", "Afterwards: your recovery", "Benefits", "Risks", "Risks without a number",
    "Other options", "When to get help", "Call us if you have:", "Questions to ask", "Words to know",
]


@pytest.fixture(scope="module")
def english(tmp_path_factory) -> dict[str, Path]:
    """The five shipped leaflets in English, built once for this module."""
    out = tmp_path_factory.mktemp("english")
    project = Project(REPO)
    builder = Builder(project)
    return {
        procedure_id: build_one(project, procedure_id, output=str(out / f"{procedure_id}.pdf"), builder=builder)[0]
        for procedure_id in PROCEDURES
    }


def printed(text) -> str:
    """An item's text as the example clinic prints it: a block's plural text with its policy numbers."""
    return text.other.format(**Policies().model_dump()) if isinstance(text, PluralText) else text


def record_texts(procedure) -> list[str]:
    """Every item of a record (and of the blocks it includes) that the leaflet must print."""
    r = procedure
    texts = [r.title, r.summary, r.purpose, *r.also_called, *r.indications]
    texts += [printed(i.text) for i in r.preparation] + [printed(i.text) for i in r.recovery]
    texts += [h.title for h in r.how_to] + [printed(step.text) for h in r.how_to for step in h.steps]
    texts += [d.caption for d in r.diagrams] + [label for d in r.diagrams for label in d.labels]
    texts += r.what_to_expect.steps + r.what_to_expect.team + r.what_to_expect.sensations + [r.what_to_expect.setting]
    texts += [risk.text for risk in r.risks] + r.benefits + r.questions_to_ask
    texts += [a.name for a in r.alternatives] + [a.description for a in r.alternatives]
    texts += [i.text for i in r.when_to_get_help.urgent] + [i.text for i in r.when_to_get_help.call_us]
    texts += [g.term for g in r.glossary] + [g.meaning for g in r.glossary]
    return [t for t in texts if t]


def without_page_furniture(path: Path) -> str:
    """The PDF's text without what every page repeats: the draft banner, the footer and its code."""
    # -raw: in drawing order, so text set side by side (two key risks, each beside its icon array) stays whole
    command = ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"]
    text = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    furniture = re.compile(
        r"^(DRAFT: not yet approved by a clinician|[a-z0-9-]+ \(CPT \w+\) · version .*|[0-9a-f]{8}|Page \d+ of \d+)$"
    )
    text = "\n".join(line for line in text.splitlines() if not furniture.match(line.strip()))
    return re.sub(r"-\n", "-", text)  # a word broken after its hyphen ('X-' 'ray') is one word


@pytest.mark.parametrize("procedure_id", PROCEDURES)
def test_every_heading_and_every_item_is_printed(english, procedure_id):
    text = pdf_text(english[procedure_id])
    procedure = Project(REPO).load_procedure(procedure_id)
    missing = [h for h in HEADINGS if h not in text]
    running = comparable(without_page_furniture(english[procedure_id]))  # an item may run on to the next page
    missing += [t for t in record_texts(procedure) if comparable(t) not in running]
    assert missing == []
    assert "Call 911 now if you have:" in text
    assert "(555) 010-2000" in text and "(555) 010-2999" in text
    assert "DRAFT: not yet approved by a clinician" in text


def test_every_page_has_the_footer(english):
    with pikepdf.open(english["coronary-blockage-opening"]) as pdf:
        pages = len(pdf.pages)
    for page in range(1, pages + 1):
        result = subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), str(english["coronary-blockage-opening"]), "-"],
            capture_output=True,
            text=True,
            check=True,
        )
        text = folded(result.stdout)
        assert f"Page {page} of {pages}" in text
        assert "coronary-blockage-opening (CPT 92943) · version 1.0 · review by November 23, 2027 · English" in text
        assert "DRAFT" in text


def test_metadata_names_the_leaflet(english):
    info = subprocess.run(["pdfinfo", str(english["dialysis-fistula-creation"])], capture_output=True, text=True).stdout
    assert "Title:           Making a fistula in your arm for dialysis" in info
    assert "Author:          Riverside Vascular and Kidney Clinic" in info
    assert "Page size:       612 x 792 pts (letter)" in info
    with pikepdf.open(english["dialysis-fistula-creation"]) as pdf:
        assert str(pdf.Root.Lang) == "en"
        assert "CPT 36836" in str(pdf.docinfo["/Keywords"])
        assert str(pdf.docinfo["/CreationDate"]).startswith("D:20261123")
        assert str(pdf.docinfo["/Subject"]).startswith("Your doctor joins an artery and a vein")


def test_two_builds_are_byte_identical(english, tmp_path):
    again, _ = build_one(Project(REPO), "dialysis-access-clot-removal", output=str(tmp_path / "again.pdf"))
    assert again.read_bytes() == english["dialysis-access-clot-removal"].read_bytes()


def test_a4_paper_from_the_clinic_file(sample, tmp_path):
    target, _ = build_one(Project(sample), "hand-x-ray", clinic="sample", output=str(tmp_path / "a4.pdf"))
    info = subprocess.run(["pdfinfo", str(target)], capture_output=True, text=True).stdout
    assert "(A4)" in info


def test_large_print_keeps_the_content(sample, tmp_path):
    project = Project(sample)
    regular, _ = build_one(project, "hand-x-ray", clinic="sample", output=str(tmp_path / "regular.pdf"))
    large, _ = build_one(project, "hand-x-ray", clinic="sample", large_print=True, output=str(tmp_path / "large.pdf"))
    assert len(pikepdf.open(large).pages) > len(pikepdf.open(regular).pages)
    assert "Your fingers turn blue or cold." in pdf_text(large)


def test_html_in_a_field_is_printed_as_text(sample, tmp_path):
    record = sample / "content" / "procedures" / "hand-x-ray.yaml"
    record.write_text(
        record.read_text().replace(
            "purpose: It shows if a bone is broken or hurt.",
            'purpose: <script>alert(1)</script> and <img src="file:///etc/passwd"> stay text.',
        )
    )
    target, _ = build_one(Project(sample), "hand-x-ray", clinic="sample", output=str(tmp_path / "x.pdf"))
    assert '<script>alert(1)</script> and <img src="file:///etc/passwd"> stay text.' in pdf_text(target)


def test_the_fetcher_serves_only_the_allowed_folders(tmp_path):
    fetcher = SafeFetcher([REPO / "templates"])
    assert fetcher.fetch((REPO / "templates" / "leaflet.css").as_uri()).read().startswith(b"/*")
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1/",
        "https://example.org/x.css",
        "data:text/css,body{}",
        (REPO / "templates" / ".." / "pyproject.toml").as_uri(),
    ):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)


def test_a_template_that_reaches_outside_is_refused(sample, tmp_path):
    css = sample / "templates" / "leaflet.css"
    css.write_text('@import url("file:///etc/passwd");\n' + css.read_text())
    with pytest.raises(TemplateProblem, match="@import is not allowed in a leaflet's style"):  # checks/styles.py, first
        build_one(Project(sample), "hand-x-ray", clinic="sample", output=str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()
    assert "refused to read '/etc/passwd'" in str(fetched_refusal("file:///etc/passwd", sample))  # the fetcher, behind it


def fetched_refusal(url: str, project: Path) -> RefusedURL:
    with pytest.raises(RefusedURL) as refused:
        SafeFetcher([project / "templates"]).fetch(url)
    return refused.value


@pytest.mark.parametrize("lang", ["fr", "ar", "zh_Hans"])
def test_large_print_keeps_the_help_box_on_one_page_and_the_footer_on_the_paper(tmp_path, lang):
    """The longest leaflet in the wordiest scripts: the box must not split, no text may run off the page."""
    target, _ = build_one(
        Project(REPO), "coronary-blockage-opening", lang=lang, large_print=True, output=str(tmp_path / "large.pdf")
    )
    with pikepdf.open(target) as pdf:
        pages, height = len(pdf.pages), float(pdf.pages[0].mediabox[3])
    page_text = [
        subprocess.run(["pdftotext", "-f", str(p), "-l", str(p), str(target), "-"], capture_output=True, text=True).stdout
        for p in range(1, pages + 1)
    ]
    # The call-911 panel opens with the emergency number's heading and ends with the clinic's numbers: one page
    # holds both; the whole "when to get help" box follows on page 1 or 2, never split.
    heading = Builder(Project(REPO)).language(lang).gettext("Call %(number)s now if you have:") % {"number": "911"}

    def squeezed(text: str) -> str:  # pdftotext adds spaces and direction marks, and may move Arabic vowel marks
        text = re.sub(r"[\s\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", text)
        return "".join(c for c in text if unicodedata.category(c) != "Mn")

    box_starts = [n for n, text in enumerate(page_text) if squeezed(heading) in squeezed(text)]
    out_of_hours = [n for n, text in enumerate(page_text) if "010-2999" in text or "2999-010" in text]
    assert len(box_starts) == 1 and box_starts[0] in out_of_hours
    with pikepdf.open(target) as pdf:
        assert help_box_problems(pdf) == []
    words = subprocess.run(["pdftotext", "-bbox", str(target), "-"], capture_output=True, text=True).stdout
    assert max(float(y) for y in re.findall(r'yMax="([\d.]+)"', words)) < height - 14  # 5 mm printers cannot reach


HOSTILE_NAME = 'Clinic </title><style>@import url("http://127.0.0.1:9/x.css");</style> "; } @page { content: "x'


def test_markup_and_css_in_the_clinic_name_are_printed_as_text(sample, tmp_path):
    clinic = sample / "content" / "clinics" / "sample.yaml"
    clinic.write_text(clinic.read_text().replace("name: Sample Test Clinic", f"name: '{HOSTILE_NAME}'"))
    target, _ = build_one(Project(sample), "hand-x-ray", clinic="sample", output=str(tmp_path / "x.pdf"))
    unbroken = pdf_text(target).replace(" ", "")  # the footer's line may break anywhere in it
    # the masthead, the sources line (a clinic without a website is where to ask) and the footer
    assert unbroken.count(HOSTILE_NAME.replace(" ", "")) == 3
    with pikepdf.open(target) as pdf:
        assert str(pdf.docinfo["/Author"]) == HOSTILE_NAME


def test_markup_in_a_patients_name_is_printed_as_text(sample, tmp_path, cli):
    name = '<b>Ann</b> "); @import url(http://127.0.0.1:9/); <script>x()</script>'
    code, _, err = cli(
        "--root", sample, "build", "hand-x-ray", "--clinic", "sample", "--patient-name", name, "--output", tmp_path / "x.pdf"
    )
    assert (code, err) == (0, "")
    assert name in pdf_text(tmp_path / "x.pdf")


# -- reproducible: the same inputs give the same bytes, in any process, on any later day ---------------


def build_in_a_fresh_process(
    output: Path, lang: str = "ar", *, large_print: bool = True, **environment: str
) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "leaflets", "--root", str(REPO), "build", "dialysis-fistula-creation", "--lang", lang,
               *(["--large-print"] if large_print else []), "--output", str(output)]
    return subprocess.run(command, capture_output=True, text=True, env={**os.environ, **environment})


def test_builds_in_separate_processes_are_byte_identical(tmp_path):
    first = build_in_a_fresh_process(tmp_path / "1.pdf", PYTHONHASHSEED="1")
    second = build_in_a_fresh_process(tmp_path / "2.pdf", PYTHONHASHSEED="2")
    assert first.returncode == second.returncode == 0
    assert (tmp_path / "1.pdf").read_bytes() == (tmp_path / "2.pdf").read_bytes()


def test_source_date_epoch_sets_the_day_a_build_is_for(tmp_path):
    """A build for the day after the review is due says the leaflet is out of date."""
    due = Project(REPO).load_procedure("dialysis-fistula-creation").review.review_due
    before, after = (int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()) for d in (due, due + timedelta(days=1)))
    for name, epoch in (("before", before), ("after", after), ("after-again", after)):
        built = build_in_a_fresh_process(tmp_path / f"{name}.pdf", "en", large_print=False, SOURCE_DATE_EPOCH=str(epoch))
        assert built.returncode == 0, built.stderr
    assert "Out of date" not in pdf_text(tmp_path / "before.pdf")
    assert "Out of date" in pdf_text(tmp_path / "after.pdf")
    assert (tmp_path / "after.pdf").read_bytes() == (tmp_path / "after-again.pdf").read_bytes()


def test_a_malformed_source_date_epoch_is_one_line(tmp_path):
    done = build_in_a_fresh_process(tmp_path / "x.pdf", SOURCE_DATE_EPOCH="yesterday")
    assert (done.returncode, done.stderr) == (
        1,
        "SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, up to the year 9999, not 'yesterday'\n",
    )
    assert not (tmp_path / "x.pdf").exists()


def test_a_process_that_keeps_its_builder_to_the_end_leaves_no_font_copies(tmp_path):
    """WeasyPrint copies the fonts into a temporary folder. It must go when the process ends, even when
    the heap is frozen, as it is while the batch and the web page fork their workers."""
    script = (
        "import sys; from pathlib import Path\n"
        "from leaflets.build.leaflet import Builder\nfrom leaflets.model.project import Project\n"
        f"BUILDER = Builder(Project(Path({str(REPO)!r})))\n"
        "BUILDER.pdf(BUILDER.leaflet(BUILDER.project.load_procedure('dialysis-fistula-creation'), "
        "BUILDER.project.load_clinic('example'), 'en'))\n"
        "import gc; gc.freeze()\n"
        "print(BUILDER.renderer('example').font_config._folder)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=os.environ | {"TMPDIR": str(tmp_path)}
    )
    assert (done.returncode, done.stderr) == (0, "")
    folder = Path(done.stdout.strip())
    assert folder.parent == tmp_path and not folder.exists()


# The files of the C libraries WeasyPrint opens that a process has loaded, once it has imported a module.
LOADED_LIBRARIES = """
import ctypes.util, re, sys
search = ctypes.util.find_library
__import__(sys.argv[1])
assert ctypes.util.find_library is search, "find_library left replaced"
opened = re.compile(r"/lib(gobject-2|pango|pangoft2|harfbuzz|fontconfig)[-.]")
print(sorted({line.split()[-1] for line in open("/proc/self/maps") if opened.search(line)}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the libraries are opened by their sonames on Linux only")
def test_weasyprint_loads_the_same_libraries_without_searching_for_them():
    def loaded_by(module: str) -> str:
        return subprocess.run([sys.executable, "-c", LOADED_LIBRARIES, module], check=True, capture_output=True,
                              text=True).stdout

    ours = loaded_by("leaflets.render.pdf")
    assert "libpango-1.0.so" in ours and "libharfbuzz.so" in ours
    assert ours == loaded_by("weasyprint")


LISTS_AND_NOTES = """<html lang="ar" dir="rtl"><body><h1>عنوان</h1><ol><li>one<ul><li>two</li></ul></li><li>three</li></ol>
<dl><dt>term</dt><dd>meaning</dd></dl><p dir="ltr">Call <a href="tel:5551234">555-1234</a></p>
<ul style="list-style: square"><li>four</li></ul><div style="display: list-item">a list item that is not li</div></body></html>"""


def test_the_default_stylesheet_without_its_note_rules_prints_the_same_bytes():
    assert len(UNUSED_DEFAULT_RULES.findall(weasyprint.html.UA)) == 5  # the five rules it leaves out are there
    ours = LeafletHTML(string=LISTS_AND_NOTES).write_pdf(pdf_identifier=b"same")
    assert ours == weasyprint.HTML(string=LISTS_AND_NOTES).write_pdf(pdf_identifier=b"same")
