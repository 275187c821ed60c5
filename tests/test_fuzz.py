"""Property tests: whatever a record, a clinic file or a catalog holds, the answer is a whole
leaflet or clear `path:line: message` lines, never a traceback, a hang or a partial PDF.

A bounded, repeatable run is part of the suite; explore longer with
    .venv/bin/python -m pytest tests/test_fuzz.py --hypothesis-profile=long
"""

from __future__ import annotations

import contextlib
import html.parser
import io
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po, write_po
from hypothesis import event, given, settings
from hypothesis import strategies as st

from conftest import SAMPLE, copy_project
from leaflets.build.leaflet import Builder
from leaflets.cli import main
from leaflets.errors import LeafletError
from leaflets.model.project import Project, load_procedure
from leaflets.model.record import Procedure

RECORD = "content/procedures/hand-x-ray.yaml"
CLINIC = "content/clinics/sample.yaml"
CATALOG = "locales/es/LC_MESSAGES/messages.po"
ONE_CLEAR_LINE = re.compile(r"[^\s:][^:\n]*:\d+: [^\n]+")

YAML_SYNTAX = list(":-[]{}&*!|>'\"#%@`,?\\ \t") + ["\n", "  ", "- ", ": ", "\x00", "\x07", "\u202e", "\ufeff", "é", "中", "ع"]
PO_SYNTAX = list('"\\%{}()#~|:') + ["\n", "%s", "%(id)s", "%(", "msgid ", "msgstr ", "#, fuzzy", "\\n", "\\x", "é", "中", "ع"]


def snippets(syntax: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(syntax) | st.text(max_size=6), max_size=8).map("".join)


@st.composite
def mutated(draw: st.DrawFn, text: str, syntax: list[str]) -> str:
    """``text`` with a few lines deleted, repeated, re-indented, replaced, cut or spliced with syntax."""
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(lines) - 1))
        change = draw(st.sampled_from(["value", "value", "value", "delete", "repeat", "indent", "replace", "splice", "cut"]))
        if change == "value":  # keep the key or the list dash, change what follows
            head = re.match(r'\s*(- |[\w-]+: |msgstr "|msgid ")?', lines[at]).group(0)
            lines[at] = head + draw(snippets(syntax)) + ('"' if head.endswith('"') else "") + "\n"
        elif change == "delete" and len(lines) > 1:
            del lines[at]
        elif change == "repeat":
            lines.insert(at, lines[at])
        elif change == "indent":
            lines[at] = draw(st.sampled_from(["", " ", "  ", "    ", "\t"])) + lines[at].lstrip(" ")
        elif change == "replace":
            lines[at] = draw(snippets(syntax)) + "\n"
        elif change == "splice":
            cut = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:cut] + draw(snippets(syntax)) + lines[at][cut:]
        elif change == "cut":
            lines = lines[: at + 1]
            lines[at] = lines[at][: draw(st.integers(0, len(lines[at])))]
    return "".join(lines)


def build(root: Path, *args: str) -> tuple[int, str]:
    """`leaflets build` in-process: its exit code and what it printed on standard error."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["--root", str(root), "build", "hand-x-ray", "--clinic", "sample", *args])
    return code, err.getvalue()


def assert_a_leaflet_or_clear_errors(root: Path, code: int, err: str, output: Path) -> None:
    event("a leaflet" if code == 0 else "clear errors")
    if code == 0:
        assert err == ""
        subprocess.run(["qpdf", "--check", str(output)], check=True, capture_output=True)
        output.unlink()
    else:
        assert code == 1 and err.endswith("\n")
        for line in err.splitlines():
            assert ONE_CLEAR_LINE.fullmatch(line), line
        assert not output.exists()
    assert not list(output.parent.glob("*.part"))
    assert not (root / "dist").exists()


@pytest.fixture(scope="module")
def sample_with_spanish(tmp_path_factory) -> Path:
    """The sample project with a complete Spanish catalog (each translation a copy of the English)."""
    root = copy_project(SAMPLE, tmp_path_factory.mktemp("fuzz") / "sample")
    (root / "content/procedures/broken-record.yaml").unlink()
    clinic = root / CLINIC
    clinic.write_text(clinic.read_text().replace("languages: [en]", "languages: [en, es]"))
    assert main(["--root", str(root), "i18n", "extract"]) == 0
    with open(root / "locales/messages.pot", "rb") as stream:
        catalog = read_po(stream, locale="es")
    for message in catalog:
        if isinstance(message.id, tuple):
            message.string = tuple(message.id[min(i, 1)] for i in range(catalog.num_plurals))
        elif message.id:
            message.string = message.id
    (root / CATALOG).parent.mkdir(parents=True, exist_ok=True)
    with open(root / CATALOG, "wb") as stream:
        write_po(stream, catalog, width=0)
    assert build(root, "--lang", "es", "--output", str(root / "check.pdf")) == (0, "")
    return root


def assert_builds_or_fails_clearly(root: Path, file: str, text: str, *args: str) -> None:
    """Put ``text`` in ``file``, build, check the outcome, and put the file back."""
    original = (root / file).read_text(encoding="utf-8")
    (root / file).write_text(text, encoding="utf-8")
    try:
        code, err = build(root, *args, "--output", str(root / "out.pdf"))
        assert_a_leaflet_or_clear_errors(root, code, err, root / "out.pdf")
    finally:
        (root / file).write_text(original, encoding="utf-8")


@given(text=mutated((SAMPLE / RECORD).read_text(encoding="utf-8"), YAML_SYNTAX))
def test_any_record_gives_a_leaflet_or_clear_errors(sample_with_spanish, text):
    assert_builds_or_fails_clearly(sample_with_spanish, RECORD, text)


@given(text=mutated((SAMPLE / CLINIC).read_text(encoding="utf-8").replace("[en]", "[en, es]"), YAML_SYNTAX))
def test_any_clinic_file_gives_a_leaflet_or_clear_errors(sample_with_spanish, text):
    assert_builds_or_fails_clearly(sample_with_spanish, CLINIC, text)


@settings(max_examples=max(settings.default.max_examples // 2, 10))  # each example compiles a catalog
@given(data=st.data())
def test_any_catalog_gives_a_translated_leaflet_or_clear_errors(sample_with_spanish, data):
    text = data.draw(mutated((sample_with_spanish / CATALOG).read_text(encoding="utf-8"), PO_SYNTAX))
    assert_builds_or_fails_clearly(sample_with_spanish, CATALOG, text, "--lang", "es")


class Heading(html.parser.HTMLParser):
    """The text of the first <h1> and the names of all elements."""

    def __init__(self) -> None:
        super().__init__()
        self.inside, self.text, self.elements = False, "", []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.elements.append(tag)
        self.inside = tag == "h1" and not self.text

    def handle_endtag(self, tag: str) -> None:
        self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.text += data


def elements_of(html_text: str) -> tuple[list[str], str]:
    parser = Heading()
    parser.feed(html_text)
    return parser.elements, parser.text


@pytest.fixture(scope="module")
def english_page(sample_with_spanish):
    """Render a record of the sample project in English, and the elements of the unchanged leaflet."""
    project = Project(sample_with_spanish)
    builder, clinic = Builder(project), project.load_clinic("sample")

    def render(procedure: Procedure) -> str:
        return builder.html(builder.leaflet(procedure, clinic, "en"))

    return render, elements_of(render(project.load_procedure("hand-x-ray")))[0]


@settings(max_examples=settings.default.max_examples * 4)  # no PDF: cheap
@given(title=st.text(min_size=1, max_size=80), summary=st.text(min_size=1, max_size=200))
def test_any_text_in_a_field_is_printed_as_text(sample_with_spanish, english_page, tmp_path_factory, title, summary):
    """Markup, CSS, quotes, control characters: the page keeps its shape and shows the text as given."""
    render, expected = english_page
    data = yaml.load((sample_with_spanish / RECORD).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    data.update(title=title, summary=summary)
    path = tmp_path_factory.mktemp("field") / "hand-x-ray.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    try:
        procedure = load_procedure(path)
    except LeafletError as problem:
        errors = problem.errors
        assert all(ONE_CLEAR_LINE.fullmatch(str(e)) for e in errors)
        return
    elements, heading = elements_of(render(procedure))
    assert elements == expected
    isolated = heading.startswith("\u2068") and heading.endswith("\u2069")  # in its own direction run
    assert isolated and " ".join(heading[1:-1].split()) == " ".join(procedure.title.split())
