#!/usr/bin/env python3
"""Make the shipped Chinese and Korean fonts: subsets of Noto Sans CJK (SIL OFL 1.1).

The full fonts are 20 MB each. The Chinese subsets keep the 6,763 hanzi of GB 2312, CJK
punctuation and full-width forms (about 2.5 MB per weight), which covers everyday Chinese.
The Korean subsets keep every Hangul syllable and jamo, so any Korean name can be printed.
A test checks that every character of every catalog is covered; if a translation ever needs a rarer
character, add it below and rerun:

    apt-get install fonts-noto-cjk && .venv/bin/python scripts/make_cjk_fonts.py
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE = Path("/usr/share/fonts/opentype/noto")
TARGET = Path(__file__).resolve().parent.parent / "templates" / "fonts"
EXTRA = ""  # characters outside GB 2312 that a translation needs


def gb2312_characters() -> set[str]:
    characters = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                characters.add(bytes([high, low]).decode("gb2312"))
    return characters


def wanted() -> str:
    ranges = [(0x3000, 0x303F), (0xFF00, 0xFFEF), (0x2000, 0x206F), (0x20, 0x7E)]
    extra = {chr(c) for low, high in ranges for c in range(low, high + 1)}
    return "".join(sorted(gb2312_characters() | extra | set(EXTRA)))


def hangul() -> str:
    ranges = [(0xAC00, 0xD7A3), (0x1100, 0x11FF), (0x3130, 0x318F), (0x3000, 0x303F), (0x20, 0x7E)]
    return "".join(chr(c) for low, high in ranges for c in range(low, high + 1))


def make(weight: str, face: str = "SC", text: str = "") -> None:
    collection = TTCollection(SOURCE / f"NotoSansCJK-{weight}.ttc")
    font = next(f for f in collection.fonts if f["name"].getDebugName(1) == f"Noto Sans CJK {face}")
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text or wanted())
    subsetter.subset(font)
    target = TARGET / f"NotoSans{face}-{weight}-subset.otf"
    font.save(target)
    print(f"{target}: {target.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    for weight in ("Regular", "Bold"):
        make(weight)
        make(weight, "KR", hangul())
