"""Pictures that could blank a page or reach outside the project: a diagram or a clinic's logo is
checked as it is read, and refused in one line naming the file (issue 26)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from helpers import REPO, remove_records, set_languages
from leaflets.model.pictures import picture_problem, svg_problem

SVG_OPEN = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 400 400">'
RECORD = "kidney-tube-tract-widening"  # its diagram is templates/diagrams/kidney-tube.svg


def drawing(body: str, opening: str = SVG_OPEN) -> bytes:
    return f"{opening}<title>A drawing</title>{body}</svg>".encode()


HOSTILE_DRAWINGS = {
    "another drawing, stretched": drawing('<image href="fistula-arm.svg" width="400" height="400000"/>'),
    "a raster by xlink": drawing('<image xlink:href="../images/bullet.png" width="10" height="10"/>'),
    "a data URI": drawing('<image href="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=" width="9" height="9"/>'),
    "a web address": drawing('<image href="https://example.org/x.png" width="9" height="9"/>'),
    "use of another file": drawing('<use href="fistula-arm.svg#all"/>'),
    "use by xlink of a file": drawing('<use xlink:href="/etc/passwd#x"/>'),
    "a gradient from elsewhere": drawing('<linearGradient id="g" xlink:href="other.svg#g"/>'),
    "a filter image": drawing('<filter id="f"><feImage href="#x"/></filter>'),
    "foreign HTML": drawing('<foreignObject width="400" height="400"><p xmlns="http://www.w3.org/1999/xhtml">'
                            "hi</p></foreignObject>"),
    "a script": drawing("<script>alert(1)</script>"),
    "an event handler": drawing('<rect width="9" height="9" onload="alert(1)"/>'),
    "a link": drawing('<a href="https://example.org"><rect width="9" height="9"/></a>'),
    "an animation": drawing('<rect width="9" height="9"><set attributeName="width" to="90000"/></rect>'),
    "a CSS import": drawing('<style>@import "other.css";</style>'),
    "a CSS url": drawing("<style>rect { fill: url(other.svg#p) }</style>"),
    "a CSS escape": drawing(r"<style>rect { fill: u\72l(other.svg) }</style>"),
    "a style attribute url": drawing('<rect width="9" height="9" style="fill: url(&quot;x.png&quot;)"/>'),
    "a fill url": drawing('<rect width="9" height="9" fill="url(file:///etc/passwd)"/>'),
    "an external entity": b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                          + drawing("<text>&e;</text>"),
    "a billion laughs": b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;">]>'
                        + drawing("<text>&b;</text>"),
    "a huge width": drawing("", '<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="10">'),
    "a huge height in mm": drawing("", '<svg xmlns="http://www.w3.org/2000/svg" width="10mm" height="9000mm">'),
    "a huge viewBox": drawing("", '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 9000000">'),
    "a sliver": drawing("", '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 4000">'),
    "a broken viewBox": drawing("", '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 -1 x">'),
    "deep nesting": drawing("<g>" * 100 + "</g>" * 100),
    "uses of uses": drawing('<g id="a"><rect width="1" height="1"/></g>'
                            + "".join(f'<g id="{chr(98 + n)}">' + f'<use href="#{chr(97 + n)}"/>' * 10 + "</g>"
                                      for n in range(9))),
    "too many uses": drawing('<rect id="r" width="1" height="1"/>' + '<use href="#r"/>' * 300),
    "too many elements": drawing('<rect width="1" height="1"/>' * 6000),
    "too many bytes": drawing(f"<desc>{'x' * 600_000}</desc>"),
    "not UTF-8": drawing("<desc>caf\u00e9</desc>").decode().encode("latin-1"),
    "a Latin-1 declaration": b'<?xml version="1.0" encoding="ISO-8859-1"?>' + drawing(""),
    "not SVG at all": b"<html><body>hello</body></html>",
    "not XML": b"<svg xmlns='http://www.w3.org/2000/svg'><rect",
    "an Inkscape element": drawing('<sodipodi:namedview xmlns:sodipodi="http://sodipodi.sourceforge.net/x"/>'),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_DRAWINGS))
def test_a_hostile_drawing_is_refused_in_a_few_words(case):
    problem = svg_problem(HOSTILE_DRAWINGS[case])
    assert problem is not None, case
    assert "\n" not in problem and len(problem) < 200


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "templates" / "diagrams").glob("*.svg")))
def test_every_shipped_diagram_is_a_self_contained_drawing(name):
    assert picture_problem(REPO / "templates" / "diagrams" / name) is None


def test_every_shipped_pictogram_and_the_example_logo_may_be_printed():
    shipped = [*(REPO / "templates" / "pictograms").glob("*.svg"), REPO / "content" / "clinics" / "example-logo.svg",
               REPO / "templates" / "images" / "bullet.png"]
    assert [(path.name, picture_problem(path)) for path in shipped] == [(path.name, None) for path in shipped]


def test_a_diagram_that_shows_another_drawing_stops_the_build_in_one_line(project, cli):
    (project / "templates" / "diagrams" / "kidney-tube.svg").write_bytes(HOSTILE_DRAWINGS["another drawing, stretched"])
    code, out, err = cli("--root", project, "build", RECORD)
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert re.match(rf"content/procedures/{RECORD}\.yaml:\d+: diagrams\[1\]\.image: templates/diagrams/kidney-tube\.svg "
                    r"cannot be printed: it holds <image>", lines[0].replace(str(project) + "/", "")), lines[0]
    assert not (project / "dist").exists()


def test_check_names_the_hostile_diagram_too(project, cli):
    remove_records(project, "coronary-blockage-opening", "dialysis-access-clot-removal", "dialysis-fistula-creation",
                   "foot-vein-arterialization")
    set_languages(project, "en")  # what check reads: the record with the diagram, in English
    (project / "templates" / "diagrams" / "kidney-tube.svg").write_bytes(HOSTILE_DRAWINGS["a CSS url"])
    code, _, err = cli("--root", project, "check")
    assert code == 1
    assert "kidney-tube.svg cannot be printed: it has a <style> that refers to another file" in err
    assert "Traceback" not in err


def test_a_hostile_svg_logo_is_refused_naming_the_clinic_file_and_line(project, cli):
    (project / "content" / "clinics" / "example-logo.svg").write_bytes(HOSTILE_DRAWINGS["a script"])
    code, _, err = cli("--root", project, "build", RECORD)
    assert code == 1
    line = err.strip().splitlines()[0]
    assert re.search(r"content/clinics/example\.yaml:\d+: logo: 'example-logo\.svg' cannot be printed: it holds <script>",
                     line), err


def raster(kind: str, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "navy").save(out, kind)
    return out.getvalue()


def with_logo(project: Path, name: str, data: bytes) -> None:
    (project / "content" / "clinics" / name).write_bytes(data)
    clinic = project / "content" / "clinics" / "example.yaml"
    clinic.write_text(clinic.read_text().replace("logo: example-logo.svg", f"logo: {name}"))


@pytest.mark.parametrize(("name", "data", "words"), [
    ("logo.png", raster("JPEG", (64, 64)), "is not a PNG picture, as its name says (it is JPEG)"),
    ("logo.png", raster("PNG", (64, 64))[:60], "cannot be decoded as a picture"),
    ("logo.jpg", b"\xff\xd8\xff\xe0 not really a JPEG", "cannot be decoded as a picture"),
    ("logo.jpg", raster("JPEG", (64, 64))[:400], "cannot be decoded as a picture"),
    ("logo.png", raster("PNG", (5000, 20)), "is 5000 x 20 pixels; a picture may have at most 4096 a side"),
])
def test_a_raster_logo_must_be_what_it_says_decode_and_be_of_bounded_size(project, cli, name, data, words):
    import weasyprint  # noqa: F401  # it lets Pillow load truncated pictures, as in every process that renders
    with_logo(project, name, data)
    code, _, err = cli("--root", project, "check")
    assert code == 1 and "Traceback" not in err
    assert f"logo: '{name}' cannot be printed: it {words}" in err


def test_a_small_png_logo_prints(project, cli, tmp_path):
    with_logo(project, "logo.png", raster("PNG", (120, 60)))
    code, out, err = cli("--root", project, "build", RECORD, "--output", tmp_path / "leaflet.pdf")
    assert code == 0, err
    assert (tmp_path / "leaflet.pdf").stat().st_size > 10_000


def test_the_renderer_refuses_a_hostile_picture_whatever_asks_for_it(project, cli):
    # A clinic's own template (templates/<clinic>/ is looked in first) cannot bring a hostile pictogram in either.
    (project / "templates" / "pictograms" / "phone-help.svg").write_bytes(HOSTILE_DRAWINGS["use of another file"])
    code, _, err = cli("--root", project, "build", RECORD)
    assert code == 1 and "Traceback" not in err
    assert "refused picture" in err and "phone-help.svg" in err and "refers to another file" in err


# -- check --pdf: a page that prints blank where the leaflet continues -----------------------------


def without_content(source: Path, target: Path, page_index: int, keep_text: str = "") -> Path:
    """``source`` with page ``page_index`` emptied of everything but its header and footer (artifacts),
    and, with ``keep_text``, one short line: what a picture that pushes the rest of a page away leaves."""
    import pikepdf

    with pikepdf.open(source) as pdf:
        page = pdf.pages[page_index]
        kept, nesting, real = [], 0, 0
        for operands, operator in pikepdf.parse_content_stream(page):
            name = str(operator)
            if name in ("BDC", "BMC"):
                nesting += 1
                real = real or (nesting if str(operands[0]) != "/Artifact" else 0)
            skip = real != 0
            if name == "EMC":
                real, nesting = (0 if nesting == real else real), nesting - 1
            if not skip:
                kept.append((operands, operator))
        if keep_text:
            font = next(iter(page.obj.Resources.Font.keys()))
            line = pikepdf.unparse_content_stream([
                ([pikepdf.Name("/P"), pikepdf.Dictionary(MCID=999)], pikepdf.Operator("BDC")),
                ([], pikepdf.Operator("BT")), ([pikepdf.Name(font), 12], pikepdf.Operator("Tf")),
                ([pikepdf.String(keep_text.encode("utf-16-be"))], pikepdf.Operator("Tj")),
                ([], pikepdf.Operator("ET")), ([], pikepdf.Operator("EMC"))])
            kept_stream = pikepdf.unparse_content_stream(kept) + b"\n" + line
        else:
            kept_stream = pikepdf.unparse_content_stream(kept)
        page.Contents = pdf.make_stream(kept_stream)
        pdf.save(target)
    return target


@pytest.fixture(scope="module")
def one_leaflet(tmp_path_factory) -> Path:
    from leaflets.cli import main

    target = tmp_path_factory.mktemp("leaflet") / "leaflet.pdf"
    assert main(["--root", str(REPO), "build", RECORD, "--output", str(target)]) == 0
    return target


def test_check_pdf_passes_a_real_leaflet_with_its_diagram(one_leaflet, cli):
    code, out, _ = cli("check", "--pdf", one_leaflet)
    assert code == 0 and "no problem" in out


def test_check_pdf_finds_a_page_that_prints_blank_before_the_rest(one_leaflet, cli, tmp_path):
    blank = without_content(one_leaflet, tmp_path / "blank.pdf", 2)
    code, out, _ = cli("check", "--pdf", blank)
    assert code == 1
    assert "blank.pdf: page 3 prints blank, and the leaflet continues after it" in out


def test_check_pdf_finds_a_page_that_prints_almost_nothing(one_leaflet, cli, tmp_path):
    nearly = without_content(one_leaflet, tmp_path / "nearly.pdf", 1, keep_text="Risks")
    code, out, _ = cli("check", "--pdf", nearly)
    assert code == 1
    assert "nearly.pdf: page 2 prints almost nothing (5 characters), and the leaflet continues after it" in out


def test_a_short_last_page_is_no_finding(one_leaflet, cli, tmp_path):
    import pikepdf

    with pikepdf.open(one_leaflet) as pdf:
        last = len(pdf.pages) - 1
    short = without_content(one_leaflet, tmp_path / "short.pdf", last, keep_text="The end")
    code, out, _ = cli("check", "--pdf", short)
    assert code == 0, out
