"""A generated library for the scale benchmarks: N records x the example clinic's 6 languages
(or only those of --languages).

    .venv/bin/python benchmarks/library.py 2000 /tmp/library               # six languages
    .venv/bin/python benchmarks/library.py 2000 /tmp/library-en --languages en

Each generated record is a copy of one of the five shipped records under a new id, with a
title of its own ("<title> (site N)"), so every record adds strings to the catalogs as a real
one would. The catalogs get a translation of each new title, written from the shipped
translation of the title it copies, so every translated leaflet is complete and `check`,
`build --all` and the web page treat the library as they would a real one.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from batch import make_project  # the batch benchmark's copy of the project (benchmarks/ is on the path)

TRANSLATED = ("es", "fr", "ar", "zh_Hans", "vi")


def generate_library(target: Path, records: int, languages: str | None = None) -> Path:
    """A project in ``target`` with ``records`` procedure records (the five shipped ones included), its
    clinic building ``languages`` ("en", "en, es"; by default the shipped clinic's six)."""
    make_project(target, 0, languages)
    folder = target / "content" / "procedures"
    sources = sorted(folder.glob("*.yaml"))
    titles = {source.stem: _title(source) for source in sources}
    added: list[tuple[str, str, str]] = []  # (new id, its title, the title it copies)
    for n in range(max(0, records - len(sources))):
        source = sources[n % len(sources)]
        new_id, title = f"site-{n:05d}-{source.stem}"[:64], f"{titles[source.stem]} (site {_letters(n)})"
        text = source.read_text(encoding="utf-8").replace(f"id: {source.stem}", f"id: {new_id}", 1)
        text = text.replace(f"title: {titles[source.stem]}", f"title: {title}", 1)
        (folder / f"{new_id}.yaml").write_text(text, encoding="utf-8")
        added.append((new_id, title, titles[source.stem]))
    for lang in TRANSLATED:
        _add_titles(target / "locales" / lang / "LC_MESSAGES" / "messages.po", added)
    return target


def _letters(number: int) -> str:
    """A site's name in letters (0: a, 25: z, 26: ba): a title with a number in it needs a source (check)."""
    letters = ""
    while True:
        number, digit = divmod(number, 26)
        letters = "abcdefghijklmnopqrstuvwxyz"[digit] + letters
        if not number:
            return letters


def _title(record: Path) -> str:
    match = re.search(r"^title: (.+)$", record.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, f"{record} has no one-line title"
    return match[1].strip()


def _add_titles(catalog: Path, added: list[tuple[str, str, str]]) -> None:
    """Append a translation of each new title: the copied title's translation, with the same '(N)'."""
    from babel.messages.pofile import read_po

    with catalog.open("rb") as stream:
        translations = {m.id: m.string for m in read_po(stream) if m.id}
    entries = []
    for new_id, title, copied in added:
        number = title.rsplit("(site ", 1)[1].rstrip(")")
        entries.append(f"\n#: content/procedures/{new_id}.yaml:2\nmsgid {_quoted(title)}\n"
                       f"msgstr {_quoted(f'{translations[copied]} ({number})')}\n")
    with catalog.open("a", encoding="utf-8") as stream:
        stream.write("".join(entries))


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", type=int, help="how many records (the five shipped ones included)")
    parser.add_argument("target", type=Path, help="an empty or new folder")
    parser.add_argument("--languages", help="the clinic's languages, such as 'en' (default: the shipped six)")
    args = parser.parse_args()
    args.target.mkdir(parents=True, exist_ok=True)
    generate_library(args.target, args.records, args.languages)
    print(f"{args.target}: {args.records} records")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    sys.exit(main())
