"""Templates render in a sandbox: a clinic's own template can change the leaflet's look,
never reach Python, files or the network, and its mistakes are one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import pdf_text

OVERRIDE = Path("templates/clinics/sample/leaflet.html")


def with_clinic_template(sample: Path, text: str) -> Path:
    (sample / OVERRIDE).parent.mkdir(parents=True)
    (sample / OVERRIDE).write_text(text, encoding="utf-8")
    return sample


def test_a_clinic_template_extends_ours_and_replaces_a_block(sample, cli, monkeypatch, tmp_path):
    with_clinic_template(sample, (
        '{% extends "base/leaflet.html" %}\n'
        "{% block masthead %}<header class=\"masthead\"><p>{{ clinic.name }}: orthopaedic wing</p></header>{% endblock %}\n"
    ))
    monkeypatch.chdir(sample)
    assert cli("build", "hand-x-ray", "--clinic", "sample", "--output", tmp_path / "x.pdf")[0] == 0
    text = pdf_text(tmp_path / "x.pdf")
    assert "Sample Test Clinic: orthopaedic wing" in text
    assert "When to get help" in text and "Patient information" not in text


ESCAPES = {
    "python internals": (
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "access to attribute '__class__' of 'str' object is unsafe.",
    ),
    "function globals": ("{{ cycler.__init__.__globals__ }}", "is unsafe"),
    "a file through a path": (
        "{{ clinic.logo_path.read_text() }}",
        "access to attribute 'logo_path' of 'Clinic' object is unsafe.",
    ),
    "a file through the model": (
        "{{ procedure.parse_file('/etc/passwd') }}",
        "access to attribute 'parse_file' of 'Procedure' object is unsafe.",
    ),
    "the catalog": (
        "{{ language.translations.add_fallback(none) }}",
        "access to attribute 'translations' of 'Language' object is unsafe.",
    ),
    "changing the record": ("{{ record.update({'title': 'Fake'}) }}", "access to attribute 'update' of 'dict' object is unsafe."),
    "a huge string": ("{{ 'x' * 1000000000 }}", "repeats text or a list more than 100,000 times over"),
    "a huge number": ("{{ (10 ** 60) ** 60 }}", "makes a number too large to print"),
    "a runaway loop": (
        "{% for i in range(99999) %}{% for j in range(99999) %}0123456789{% endfor %}{% endfor %}",
        "makes more than 5,000,000 characters of HTML",
    ),
    "endless recursion": ("{% macro again() %}{{ again() }}{% endmacro %}{{ again() }}", "calls itself without end"),
    "a file outside": ("{% include '../../../../etc/passwd' %}", "../../../../etc/passwd"),
    "a mistake": ("{{ 1 / 0 }}", "division by zero"),
    "an unknown name": ("{{ patient_secret }}", "'patient_secret' is undefined"),
    "a syntax error": ("{% if %}", "Expected an expression, got 'end of statement block'"),
}


@pytest.mark.parametrize("name", ESCAPES)
def test_a_clinic_template_that_misbehaves_is_one_line_naming_its_file_and_line(sample, cli, monkeypatch, name):
    body, problem = ESCAPES[name]
    with_clinic_template(sample, f"<!DOCTYPE html>\n<p>Line two</p>\n{body}\n")
    monkeypatch.chdir(sample)
    code, out, err = cli("build", "hand-x-ray", "--clinic", "sample")
    assert code == 1 and out == ""
    assert err.startswith(f"{OVERRIDE}:3: template error: ") and err.count("\n") == 1
    assert problem in err
    assert not (sample / "dist").exists()


def test_a_clinic_template_that_loops_without_end_is_stopped(sample, cli, monkeypatch):
    monkeypatch.setattr("leaflets.render.html.TEMPLATE_SECONDS", 1.0)
    with_clinic_template(
        sample, "<p>Line one</p>\n{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}\n"
    )
    monkeypatch.chdir(sample)
    code, _, err = cli("build", "hand-x-ray", "--clinic", "sample")
    assert (code, err) == (1, f"{OVERRIDE}:2: template error: took longer than 1 s to render\n")


def test_a_clinic_template_that_links_outside_the_templates_is_refused(sample, cli, monkeypatch):
    (sample / OVERRIDE).parent.mkdir(parents=True)
    (sample / OVERRIDE).symlink_to("/etc/passwd")
    monkeypatch.chdir(sample)
    assert cli("build", "hand-x-ray", "--clinic", "sample") == (
        1,
        "",
        f"{OVERRIDE}:1: is a link to '/etc/passwd', outside the templates folder\n",
    )


OUTSIDE = "refused to read '/etc/passwd': it is outside the templates, content and fonts folders"
NOT_OURS = "refused to fetch '{}': leaflets may only use the project's own files"
# A style is held to the allow-list (checks/styles.py) before anything is fetched: refused by name.
STYLE_REFUSED = "templates/clinics/sample/leaflet.html: template error: a style it writes: "


@pytest.mark.parametrize(
    "resource, refusal",
    [
        ('<img src="file:///etc/passwd">', OUTSIDE),
        ('<img src="http://127.0.0.1:9/tracker.png">', NOT_OURS.format("http://127.0.0.1:9/tracker.png")),
        ('<link rel="stylesheet" href="http://127.0.0.1:9/x.css">', NOT_OURS.format("http://127.0.0.1:9/x.css")),
        ('<style>@import url("file:///etc/passwd");</style>', STYLE_REFUSED + "@import is not allowed in a leaflet's style"),
        ('<p style="background: url(http://127.0.0.1:9/x.png)">x</p>', STYLE_REFUSED + "style { background: "
         "url(http://127.0.0.1:9/x.png) }: may use only our own pictures (images/bullet.png)"),
        ('<img src="data:image/svg+xml;base64,PHN2Zy8+">', NOT_OURS.format("data:image/svg+xml;base64,PHN2Zy8+")),
    ],
)
def test_a_clinic_template_cannot_fetch_outside_the_project(sample, cli, monkeypatch, resource, refusal):
    with_clinic_template(sample, f'{{% extends "base/leaflet.html" %}}{{% block masthead %}}{resource}{{% endblock %}}')
    monkeypatch.chdir(sample)
    assert cli("build", "hand-x-ray", "--clinic", "sample") == (1, "", refusal + "\n")
    assert not (sample / "dist").exists()
