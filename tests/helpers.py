"""What many tests and the benchmarks need: a clinic's languages, an edited record, a PDF's text,
a free port, a server that is up, and the hostile texts both use."""

from __future__ import annotations

import re
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from leaflets.model.project import Project

REPO = Path(__file__).resolve().parent.parent
SAMPLE = Path(__file__).resolve().parent / "data" / "sample"

# A YAML "billion laughs": nine anchors, each nine times the one before (benchmarks/hostile.py times it).
BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


def set_languages(project: Path, languages: str, clinic: str = "example") -> Project:
    """Give the clinic these languages ("en, es") and return the project."""
    path = project / "content" / "clinics" / f"{clinic}.yaml"
    path.write_text(re.sub(r"languages: \[.*\]", f"languages: [{languages}]", path.read_text()))
    return Project(project)


def remove_records(project: Path, *procedure_ids: str, clinic: str = "example") -> None:
    """Delete these records, and the clinic's named packets (which may name them)."""
    for procedure_id in procedure_ids:
        (project / "content" / "procedures" / f"{procedure_id}.yaml").unlink()
    path = project / "content" / "clinics" / f"{clinic}.yaml"
    path.write_text(re.sub(r"(?m)^packets:\n(?:[ #].*\n|\n)*", "", path.read_text()))


def one_leaflet(project: Path) -> Project:
    """Keep only the fistula record, in English: two PDFs (regular and large print), quick to build."""
    remove_records(project, "coronary-blockage-opening", "foot-vein-arterialization", "kidney-tube-tract-widening",
                   "dialysis-access-clot-removal")
    return set_languages(project, "en")


def ready_catalogs(project: Path) -> Project:
    """Make every leaflet printable in every language of the project's own catalogs (a copy): a string
    not translated yet, or whose English changed since it was (fuzzy), is given its English. The
    translations already made stay, so a test can see a leaflet in the language it asks for while the
    translators catch up with new English."""
    from babel.messages.pofile import read_po, write_po

    for path in sorted((project / "locales").glob("*/LC_MESSAGES/messages.po")):
        with path.open("rb") as file:
            catalog = read_po(file)
        for message in catalog:
            if not message.id:
                continue
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy or not all(forms):
                message.flags.discard("fuzzy")
                message.previous_id = []
                if isinstance(message.id, tuple):
                    message.string = (message.id[0], *[message.id[1]] * (catalog.num_plurals - 1))
                else:
                    message.string = message.id
        with path.open("wb") as file:
            write_po(file, catalog, ignore_obsolete=True)
    return Project(project)


def edit_record(project: Path, procedure_id: str, old: str, new: str) -> Path:
    """Replace the first ``old`` in a record with ``new``; returns the record's path."""
    path = project / "content" / "procedures" / f"{procedure_id}.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def pdf_text(source: Path | bytes) -> str:
    """The text a reader would see in a PDF (a file, or its bytes), runs of white space folded to one."""
    if isinstance(source, bytes):
        with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
            pdf.write(source)
            pdf.flush()
            return pdf_text(Path(pdf.name))
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(source), "-"], check=True, capture_output=True, text=True).stdout
    return " ".join(text.split())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server at {url} did not start")


I16 = Path(__file__).resolve().parent / "data" / "i16"


def replace_section(project: Path, procedure_id: str, key: str, yaml_text: str) -> Path:
    """Replace a record's top-level ``key:`` (and everything indented under it) with ``yaml_text``."""
    path = project / "content" / "procedures" / f"{procedure_id}.yaml"
    text = path.read_text(encoding="utf-8")
    section = re.compile(rf"^{key}:.*\n(?:[ #].*\n|\n)*", re.MULTILINE)
    assert section.search(text), f"{key} is not in {path.name}"
    path.write_text(section.sub(lambda _: yaml_text.rstrip("\n") + "\n", text, count=1), encoding="utf-8")
    return path


def with_numbered_risks(project: Path, fixture: str = "fistula-numbered-risks.yaml") -> Path:
    """The fistula record of ``project`` with the risks of tests/data/i16/``fixture`` (its own sources kept)."""
    risks = re.sub(r"^#.*\n", "", (I16 / fixture).read_text(encoding="utf-8"), flags=re.MULTILINE)
    return replace_section(project, "dialysis-fistula-creation", "risks", risks)
