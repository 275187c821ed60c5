#!/usr/bin/env python3
"""How often the clinicians' search puts the right leaflet first.

    .venv/bin/python benchmarks/search_quality.py [--root PROJECT] [--queries FILE] [--misses]

Runs every query of tests/data/search_queries.tsv (language, query, the leaflet that must come
first) against the project's records and catalogs, as the page searches them, and prints, per
language and overall: how many put the right leaflet first, and the mean reciprocal rank (1 for
first, 1/2 for second, 0 when it is not found). ``--misses`` lists the queries that did not.
``--root`` may name another checkout (an older one, for a before-and-after); its own ``src`` is used.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def read_queries(path: Path) -> list[tuple[str, str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            lang, query, expected, *_ = line.split("\t")
            rows.append((lang, query, expected))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO)
    parser.add_argument("--queries", type=Path, default=REPO / "tests" / "data" / "search_queries.tsv")
    parser.add_argument("--clinic", default="example")
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(args.root.resolve() / "src"))
    from leaflets.model.project import Project
    from leaflets.web.search import find
    from leaflets.web.site import make_site

    entries = make_site(Project(args.root.resolve()), args.clinic).search_entries
    first: dict[str, int] = defaultdict(int)
    reciprocal: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    misses = []
    for lang, query, expected in read_queries(args.queries):
        found = find(query, entries)
        rank = found.index(expected) + 1 if expected in found else 0
        for key in (lang, "all"):
            count[key] += 1
            first[key] += rank == 1
            reciprocal[key] += 1 / rank if rank else 0.0
        if rank != 1:
            misses.append(f"  {lang}\t{query!r}: {expected} is {'#' + str(rank) if rank else 'not found'}; first: {found[:2]}")
    print(f"{'language':<10}{'queries':>8}{'first right':>13}{'MRR':>7}")
    for key in [*sorted(k for k in count if k != "all"), "all"]:
        print(f"{key:<10}{count[key]:>8}{first[key]:>8} ({first[key] / count[key]:>4.0%}){reciprocal[key] / count[key]:>7.3f}")
    if args.misses and misses:
        print("misses:", *misses, sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
