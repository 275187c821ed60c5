#!/usr/bin/env python3
"""What a cold cut of the web versions' fonts costs, per language, the way a build makes it.

    .venv/bin/python benchmarks/webfonts.py [--languages en,ar,zh_Hans] [--runs 3]

For each language: the characters every web page of it is cut to (``language_characters``), then each
font of the page's stack cut to them (``webfonts._cut``: HarfBuzz, then fontTools' WOFF2), with the
in-memory cache cleared before each run, so every run is a cold cut (as in a fresh project or after a
code change). Prints the median CPU-seconds per language, per font, the WOFF2 sizes, and the same in
calibration pages (``measure.py``). No target: a cut is made once per language and code version and kept
in the project's cache; the figure is what a fresh project's first build pays.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import calibration, in_pages  # noqa: E402


def cold_cuts(lang: str, runs: int) -> tuple[float, dict[str, tuple[float, int]]]:
    """Median CPU-seconds of a cold cut of ``lang``'s fonts, and each font's median CPU-seconds and size."""
    from leaflets.language.catalogs import load_language
    from leaflets.model.project import Project
    from leaflets.render import webfonts
    from leaflets.render.web_page import language_characters

    project = Project(REPO)
    characters = language_characters(load_language(project.locales, lang))
    fonts: dict[str, list[float]] = {}
    sizes: dict[str, int] = {}
    totals = []
    for _ in range(runs):
        webfonts._cut.cache_clear()
        total = 0.0
        for files in webfonts.FAMILIES.values():
            for name in files:
                started = time.process_time()
                data = webfonts.cut(project.fonts, name, characters)
                spent = time.process_time() - started
                fonts.setdefault(name, []).append(spent)
                sizes[name] = len(data)
                total += spent
        totals.append(total)
    return statistics.median(totals), {name: (statistics.median(spent), sizes[name]) for name, spent in fonts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", default="en,ar,zh_Hans")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    calibrated = calibration()
    print(f"cold cuts of the web versions' fonts, median of {args.runs} runs; calibration "
          f"{calibrated if calibrated is not None else 'unknown'} CPU-s per page")
    for lang in args.languages.split(","):
        total, fonts = cold_cuts(lang, args.runs)
        print(f"{lang}: {total:.2f} CPU-s ({in_pages(total, calibrated)})")
        for name, (spent, size) in fonts.items():
            print(f"    {name}: {spent:.3f} CPU-s, {size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
