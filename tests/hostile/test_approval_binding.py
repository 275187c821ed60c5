"""Issue 26: what is approved is exactly what ships. A clinic's override cannot make the printed leaflet
differ from what the clinician approved and still print "Approved by": each attempt ends refused by
`check` and the build, in one line naming the file, or as a leaflet that visibly prints DRAFT.
Issue 25: the template renders once per leaflet."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import one_leaflet, pdf_text
from leaflets.build import leaflet as pipeline
from leaflets.build.leaflet import Builder, build_one
from leaflets.model.project import Project

FISTULA = "dialysis-fistula-creation"
DOCTOR = ("--by", "Dr Ana Reyes", "--role", "Consultant nephrologist")
APPROVED = "Approved by Dr Ana Reyes (Consultant nephrologist)"
DRAFT = "DRAFT: not yet approved by a clinician"


@pytest.fixture
def project(project: Path) -> Path:
    """The copy of the shipped project narrowed to what these tests build and check: the fistula record in
    English, so that `check` reads that one leaflet and not every record in every language."""
    one_leaflet(project)
    return project


def approve(cli, project: Path) -> None:
    code, _, err = cli("--root", project, "approve", FISTULA, *DOCTOR)
    assert code == 0, err


def clinic_template(project: Path, blocks: str) -> Path:
    """The example clinic's own leaflet.html: ours, with ``blocks`` replaced."""
    path = project / "templates" / "clinics" / "example" / "leaflet.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{% extends "base/leaflet.html" %}\n' + blocks, encoding="utf-8")
    return path


def clinic_stylesheet(project: Path, rule: str) -> Path:
    """The example clinic's own leaflet.css: ours, with ``rule`` added at the end."""
    path = project / "templates" / "clinics" / "example" / "leaflet.css"
    path.parent.mkdir(parents=True, exist_ok=True)
    ours = (project / "templates" / "leaflet.css").read_text(encoding="utf-8")
    ours = ours.replace("url(fonts/", "url(../../fonts/").replace("url(images/", "url(../../images/")
    path.write_text(ours + "\n" + rule + "\n", encoding="utf-8")
    return path


def build(cli, project: Path) -> tuple[int, str, str]:
    return cli("--root", project, "build", FISTULA, "--output", project / "x.pdf")


def assert_refused(cli, project: Path, path: Path, why: str) -> None:
    """The build stops in one line naming the file (and its line), writes nothing; `check` reports it."""
    code, out, err = build(cli, project)
    assert (code, out) == (1, ""), err
    assert err.startswith(f"{path}:") and why in err and err.count("\n") == 1, err
    assert not (project / "x.pdf").exists()
    code, out, _ = cli("--root", project, "check", "--clinic", "example")
    assert code == 1 and f"{FISTULA} [en]: cannot be built: {path}:" in out, out


def assert_printed_as_draft(cli, project: Path) -> None:
    code, _, err = build(cli, project)
    assert code == 0, err
    text = pdf_text(project / "x.pdf")
    assert DRAFT in text and "This is a draft. A clinician has not yet checked it." in text
    assert APPROVED not in text


def test_an_approved_leaflet_prints_approved_by_on_every_page_and_no_draft_mark(cli, project):
    approve(cli, project)
    code, _, err = build(cli, project)
    assert (code, err) == (0, "")
    text = pdf_text(project / "x.pdf")
    assert APPROVED in text and DRAFT not in text and "This is a draft" not in text


def test_a_clinic_override_that_changes_nothing_printed_keeps_the_approval(cli, project):
    approve(cli, project)
    clinic_template(project, "{% block masthead %}{{ super() }}{% endblock %}")
    clinic_stylesheet(project, ".masthead .clinic-name { color: #1a1a1a; font-size: 1.1em; }")
    code, _, err = build(cli, project)
    assert (code, err) == (0, "")
    assert APPROVED in pdf_text(project / "x.pdf")


# -- text that appears only once a leaflet is approved -------------------------------------------------

ONLY_WHEN_APPROVED = {
    "release.approved": "{% if release.approved %}<p>Double your dose.</p>{% endif %}",
    "not draft": "{% if not draft %}<p>Double your dose.</p>{% endif %}",
    "signed_off": "{% if signed_off %}<p>Double your dose.</p>{% endif %}",
    "fingerprint": "{% if fingerprint %}<p>Double your dose.</p>{% endif %}",
    "out_of_date": "{% if not out_of_date %}<p>Double your dose.</p>{% endif %}",
    "the record's review status": "{% if procedure.review.status == 'approved' %}<p>Double your dose.</p>{% endif %}",
    "attr filter": "{% if procedure | attr('review') %}<p>Double your dose.</p>{% endif %}",
}


@pytest.mark.parametrize("attempt", ONLY_WHEN_APPROVED)
def test_a_template_that_names_release_state_is_refused(cli, project, attempt):
    approve(cli, project)
    path = clinic_template(project, "{% block clinic_line %}\n" + ONLY_WHEN_APPROVED[attempt] + "{{ super() }}{% endblock %}")
    assert_refused(cli, project, path, "a template is given no release state")


@pytest.mark.parametrize("words", ["<p>Approved by Dr Who (Consultant) on 1 May 2026</p>",
                                   "{{ 'Checked: approved by our team' }}", "<p>DRAFT: not yet approved by a clinician</p>"])
def test_a_template_that_writes_release_words_of_its_own_is_refused(cli, project, words):
    path = clinic_template(project, "{% block clinic_line %}" + words + "{{ super() }}{% endblock %}")
    assert_refused(cli, project, path, "writes words of a release line")


def test_text_shown_only_once_approved_cannot_exist_the_template_is_given_no_release_state(project):
    """Without naming it, a template still cannot see it: the context holds no approval at all."""
    from leaflets.render.html import leaflet_context

    loaded = Project(project)
    builder = Builder(loaded)
    leaflet = builder.leaflet(loaded.load_procedure(FISTULA), loaded.load_clinic("example"), "en")
    context = leaflet_context(leaflet, {})
    assert not {"release", "draft", "signed_off", "fingerprint", "out_of_date", "approval", "standing"} & set(context)


# -- text where the old fingerprint did not look ----------------------------------------------------------

UNFINGERPRINTED_PLACES = {
    "a data-release element": '<p data-release>Double your dose.</p>',
    "an image's alt text": '<img src="images/bullet.png" alt="Double your dose.">',
    "a title attribute": '<p title="Double your dose.">Call us.</p>',
    "an aria-label": '<p aria-label="Double your dose.">Call us.</p>',
}


@pytest.mark.parametrize("place", UNFINGERPRINTED_PLACES)
def test_text_added_where_the_old_fingerprint_did_not_look_makes_the_leaflet_a_draft(cli, project, place):
    approve(cli, project)
    clinic_template(project, "{% block clinic_line %}" + UNFINGERPRINTED_PLACES[place] + "{{ super() }}{% endblock %}")
    assert_printed_as_draft(cli, project)
    code, out, _ = cli("--root", project, "check", "--clinic", "example")
    assert f"{FISTULA} [en]: changed since approved by Dr Ana Reyes" in out


ADDED_BY_STYLE = {
    "page margin box": ('@page { @top-left { content: "Approved by Dr Who" } }', "may add or move text"),
    "::after content": ('.about::after { content: "Approved by Dr Who"; }', "may add or move text"),
    "::before content on a heading": ('h2::before { content: "Do not " }', "may add or move text"),
    "a running element": (".about { position: running(footer); }", "allowed values"),
    "string-set": ("h1 { string-set: title content(); }", "not a property"),
    "a picture of words": ('.about { background: url(approved.png); }', "our own pictures"),
    "a font of our own": ('@font-face { font-family: "Leaflet Sans"; src: url(swap.ttf); }',
                          "only the fonts shipped"),
}


@pytest.mark.parametrize("attempt", ADDED_BY_STYLE)
def test_a_clinic_stylesheet_that_adds_text_or_disguises_it_is_refused(cli, project, attempt):
    rule, why = ADDED_BY_STYLE[attempt]
    approve(cli, project)
    path = clinic_stylesheet(project, rule)
    assert_refused(cli, project, path, why)


def test_a_style_written_by_a_clinic_template_is_held_to_the_same_rules(cli, project):
    approve(cli, project)
    path = clinic_template(project, '{% block masthead %}<style>@page { @top-right { content: "Approved" } }</style>'
                                    "{{ super() }}{% endblock %}")
    assert_refused(cli, project, path, "may add or move text")


# -- approved content hidden by styling --------------------------------------------------------------------

HIDING = {
    "display: none": ".risk-list { display: none; }",
    "visibility": ".risk-list { visibility: hidden; }",
    "opacity": ".risk-list { opacity: 0; }",
    "white text": ".risk-list { color: #ffffff; }",
    "transparent text": ".risk-list { color: rgba(0, 0, 0, 0); }",
    "pale grey text": ".risk-list { color: #eeeeee; }",
    "dark background": ".risk-list { background-color: #1a1a1a; }",
    "tiny type": ".risk-list { font-size: 1pt; }",
    "zero type": ".risk-list { font-size: 0; }",
    "off the page": ".risk-list { position: absolute; left: -300mm; }",
    "negative margin": ".risk-list { margin-left: -300mm; }",
    "negative indent": ".risk-list { text-indent: -9999px; }",
    "clipped": ".risk-list { height: 0; overflow: hidden; }",
    "clip-path": ".risk-list { clip-path: inset(50%); }",
    "transform": ".risk-list { transform: scale(0); }",
    "overlapping lines": ".risk-list { line-height: 0.1; }",
    "!important": ".about p { color: #1a1a1a !important; }",
    "a thick border over the text": ".risk-list li { border-right: 200mm solid #1a1a1a; width: 0; }",
    "colour from a variable": ".risk-list { color: var(--hidden); }",
    "an import": '@import url("more.css");',
    "a media query": "@media print { .risk-list { display: none; } }",
    "first-letter": ".risk-list li::first-letter { color: #ffffff; }",
}


@pytest.mark.parametrize("attempt", HIDING)
def test_a_clinic_stylesheet_that_could_hide_approved_content_is_refused(cli, project, attempt):
    approve(cli, project)
    path = clinic_stylesheet(project, HIDING[attempt])
    code, _, err = build(cli, project)
    assert code == 1 and err.startswith(f"{path}:") and err.count("\n") == 1, err
    assert not (project / "x.pdf").exists()


def test_an_inline_style_that_hides_content_is_refused(cli, project):
    approve(cli, project)
    path = clinic_template(project, '{% block masthead %}<div style="display: none">{{ super() }}</div>{% endblock %}')
    assert_refused(cli, project, path, "allowed values")


def test_content_hidden_without_a_style_is_caught_once_laid_out_and_prints_as_a_draft(cli, project, caplog):
    """The `hidden` attribute hides by the browser's own stylesheet, and adds no word to the fingerprint: the
    leaflet would print "Approved by" without its masthead. Laid out, its text is not its HTML's: a draft."""
    approve(cli, project)
    clinic_template(project, "{% block masthead %}<div hidden>{{ super() }}</div>{% endblock %}")
    assert_printed_as_draft(cli, project)
    assert f"{FISTULA} [en]: printed as a DRAFT: its text as laid out is not the text fingerprinted" in caplog.text


# -- where the release marks go ------------------------------------------------------------------------------

SLOT = "  <!--leaflets:release-->\n"


@pytest.mark.parametrize("instead, why", [
    ("", "missing"),
    (SLOT + SLOT, "twice"),
    ("<div hidden>" + SLOT + "</div>", "directly in <body> or in a <footer>"),
    ("<svg><title>" + SLOT + "</title></svg>", "directly in <body> or in a <footer>"),
])
def test_the_release_slot_must_be_once_where_nothing_can_hide_it(cli, project, instead, why):
    mine = (project / "templates" / "leaflet.html").read_text(encoding="utf-8").replace(SLOT, instead)
    path = project / "templates" / "clinics" / "example" / "leaflet.html"
    path.parent.mkdir(parents=True)
    path.write_text(mine, encoding="utf-8")
    code, _, err = build(cli, project)
    assert code == 1 and err.startswith(f"{path}: template error: must") and why in err, err


def test_a_value_moved_into_a_style_is_refused(cli, project):
    path = clinic_template(project, "{% block masthead %}<p class=\"x\" style=\"{{ clinic.name }}\">x</p>{% endblock %}")
    code, _, err = build(cli, project)
    assert code == 1 and err == f"{path}: template error: puts a clinic or patient value in the attribute 'style'\n"


def test_our_own_templates_and_stylesheet_pass_the_same_rules():
    from leaflets.checks.styles import file_problems
    from leaflets.render.html import make_environment

    templates = Path(__file__).resolve().parents[2] / "templates"
    environment = make_environment(templates)
    for name in ("leaflet.html", "macros.html", "leaflet.css"):
        assert file_problems(templates / name, environment, templates) == [], name


# -- one render per leaflet (issue 25) -----------------------------------------------------------------------

def test_a_translated_leaflet_renders_its_template_once(project, monkeypatch):
    renders: list[str] = []
    real = pipeline.render_html

    def counted(leaflet, environment):
        renders.append(leaflet.language.code)
        return real(leaflet, environment)

    monkeypatch.setattr(pipeline, "render_html", counted)
    loaded = Project(project)
    builder = Builder(loaded)
    build_one(loaded, FISTULA, lang="en", output=str(project / "en.pdf"), builder=builder)
    assert renders == ["en"]
    renders.clear()
    build_one(loaded, FISTULA, lang="es", output=str(project / "es.pdf"), builder=builder)
    assert renders == ["es"]  # its English fingerprint comes from the English leaflet's own render

    renders.clear()
    build_one(loaded, FISTULA, lang="es", output=str(project / "es.pdf"), builder=Builder(loaded))
    assert sorted(renders) == ["en", "es"]  # alone: its English rendered once for the fingerprint, no more


# -- check --pdf reads a PDF back -------------------------------------------------------------------------------

def forged(project: Path, edit) -> Path:
    """An approved leaflet's PDF made from its HTML changed by ``edit``, laid out as it is (no draft fallback):
    what a tampered renderer would write."""
    loaded = Project(project)
    builder = Builder(loaded)
    outcome = builder.printable(builder.leaflet(loaded.load_procedure(FISTULA), loaded.load_clinic("example"), "en"))
    assert outcome.standing.approved
    target = project / "forged.pdf"
    target.write_bytes(builder.renderer("example").write_pdf(edit(outcome.html)))
    return target


def test_check_pdf_finds_no_problem_in_an_approved_leaflet_as_built(cli, project):
    approve(cli, project)
    build(cli, project)
    code, out, _ = cli("--root", project, "check", "--pdf", project / "x.pdf")
    assert code == 0 and "no problem(s) found" in out, out


def test_check_pdf_reports_an_approved_pdf_that_does_not_print_a_line_it_approved(cli, project):
    approve(cli, project)
    sentence = "Wear a loose top with wide sleeves."
    pdf = forged(project, lambda html: html.replace(sentence, "Wear what you like."))
    code, out, _ = cli("--root", project, "check", "--pdf", pdf)
    assert code == 1 and f"but not this line it approved: {sentence}" in out, out


def test_check_pdf_reports_an_approval_printed_with_a_code_no_approval_has(cli, project):
    approve(cli, project)
    loaded = Project(project)
    builder = Builder(loaded)
    code_printed = builder.standing(builder.leaflet(loaded.load_procedure(FISTULA), loaded.load_clinic("example"), "en")).code
    pdf = forged(project, lambda html: html.replace(code_printed, "0badc0de"))
    code, out, _ = cli("--root", project, "check", "--pdf", pdf)
    assert code == 1 and f"prints an approval by Dr Ana Reyes, but no approval of {FISTULA} has its code 0badc0de" in out, out
