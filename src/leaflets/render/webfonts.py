"""The clinicians' page's fonts, cut to the characters a page in one language shows.

The shipped fonts are for PDFs: whole scripts, 13 MB together (3.5 MB of it Chinese). A page
needs a few hundred characters: its own language's words, every language's own name (the
language menus) and the Latin letters clinicians type names in. Each font is cut to those
(HarfBuzz), as WOFF2, once per page language and state of the catalogs, and kept in memory (and,
for a leaflet's web version, in the project's cache: ``_kept_cut``).
Characters outside the cut are drawn by the browser's own fonts.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

from fontTools import version as FONTTOOLS  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from leaflets.model.cache import JsonStore, code_version
from leaflets.model.digests import FileDigests, digest

# The page's families in the stylesheet's order, each a regular and (optionally) a bold file in
# templates/fonts. Chinese has no bold here: a Chinese page's characters would weigh twice as much,
# and the browser draws bold from the regular font.
FAMILIES = {
    "Leaflet Sans": ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    "Leaflet Arabic": ("NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf"),
    "Leaflet Chinese": ("NotoSansSC-Regular-subset.otf",),
}
# Printable ASCII, Latin-1, Latin Extended-A and B, Vietnamese, general punctuation.
TYPED = frozenset(chr(c) for ranges in ((0x20, 0x7F), (0xA0, 0x250), (0x1EA0, 0x1F00), (0x2010, 0x2070))
                  for c in range(*ranges))


def font_faces(characters: frozenset[str], version: str) -> str:
    """The @font-face rules of a page showing ``characters``; ``version`` names its cut fonts."""
    rules = []
    for family, files in FAMILIES.items():
        for weight, name in zip(("normal", "bold"), files, strict=False):  # one file: the browser makes the bold
            rules.append(f'@font-face {{ font-family: "{family}"; font-weight: {weight}; font-display: swap; '
                         f'src: url(/fonts/web/{version}/{Path(name).stem}.woff2) format("woff2"); }}')
    return "\n".join(rules) + "\n"


def cut(fonts: Path, name: str, characters: frozenset[str], cache: Path | None = None) -> bytes:
    """The font file ``name`` cut to the ``characters`` that no family before it in the stack draws;
    with ``cache`` (a project's root), kept in its cache for later processes too."""
    earlier = []
    for files in FAMILIES.values():
        if name in files:
            break
        earlier.append(files[0])
    drawn_before = set().union(*(covered(fonts / font) for font in earlier)) if earlier else set()
    wanted = frozenset(ch for ch in characters if ord(ch) not in drawn_before)
    return _cut(fonts / name, wanted) if cache is None else _kept_cut(fonts / name, wanted, cache)


@lru_cache(maxsize=64)
def _kept_cut(font: Path, characters: frozenset[str], root: Path) -> bytes:
    """``_cut``, kept in ``.cache/leaflets/fonts/`` under ``root`` by what it is cut from: the font's
    bytes, the characters, HarfBuzz, fontTools and our code. A font is cut once per language, not per process."""
    store = JsonStore(root, "fonts")
    key = digest(_FONT_DIGESTS.of(font), "".join(sorted(characters)), version("uharfbuzz"), FONTTOOLS,
                 code_version())
    entry = store.read(key)
    if isinstance(entry, dict) and entry.get("key") == key and isinstance(entry.get("woff2"), str):
        try:
            return base64.b64decode(entry["woff2"], validate=True)
        except ValueError:  # a broken entry: made again
            pass
    data = _cut(font, characters)
    store.write(key, {"key": key, "woff2": base64.b64encode(data).decode("ascii")})
    return data


_FONT_DIGESTS = FileDigests()


@lru_cache(maxsize=16)
def covered(font: Path) -> frozenset[int]:
    with TTFont(font, lazy=True) as loaded:
        return frozenset(loaded.getBestCmap())


@lru_cache(maxsize=64)
def _cut(font: Path, characters: frozenset[str]) -> bytes:
    """``font`` with only the glyphs of ``characters`` (and what shaping them needs), as WOFF2: cut by
    HarfBuzz (a hundredth of fontTools' time), compressed by fontTools."""
    import uharfbuzz as harfbuzz  # type: ignore[import-untyped]

    wanted = harfbuzz.SubsetInput()
    for character in characters:
        wanted.unicode_set.add(ord(character))
    wanted.sets(harfbuzz.SubsetInputSets.LAYOUT_FEATURE_TAG).invert()  # every feature: Arabic joining, marks
    wanted.sets(harfbuzz.SubsetInputSets.NAME_ID).invert()
    wanted.flags = harfbuzz.SubsetFlags.NOTDEF_OUTLINE
    kept = harfbuzz.subset(harfbuzz.Face(harfbuzz.Blob(font.read_bytes())), wanted)
    if kept is None:
        raise ValueError(f"HarfBuzz could not cut the font {font.name}")
    with TTFont(io.BytesIO(kept.blob.data), recalcTimestamp=False) as loaded:  # the same bytes on any day
        loaded.flavor = "woff2"
        out = io.BytesIO()
        loaded.save(out)
    return out.getvalue()


def file_for(stem: str) -> str | None:
    """The shipped font file a cut font's name stands for, or None."""
    for files in FAMILIES.values():
        for name in files:
            if Path(name).stem == stem:
                return name
    return None
