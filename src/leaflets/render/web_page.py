"""A leaflet's web version: the same translated record and release as its PDF, as one accessible page.

``dist/<clinic>/<lang>/<id>.html`` beside the PDF (see ``qr.page_name``): every section, the help box
first, every source with its link; the release it shows (version, review date, approval, the code
printed on the PDF); no script; its fonts cut (fontTools, as the clinicians' page does) to the
characters its language's pages show (``language_characters``, with any the page adds), as WOFF2
files named by their content under ``dist/<clinic>/fonts/``: cut once per language, not per page. Pictures
are the templates' own files, copied beside the pages by the build. Nothing about a patient is ever
on it: a leaflet with patient details has no web version.

The index of a clinic's current web versions in one language is ``dist/<clinic>/<lang>/index.html``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from gettext import NullTranslations
from pathlib import Path
from weakref import WeakKeyDictionary

from markupsafe import Markup

from leaflets.language.i18n import Language
from leaflets.model.approvals import Standing
from leaflets.model.clinic import Clinic
from leaflets.render.html import Leaflet, LeafletSandbox, render_template, web_context
from leaflets.render.webfonts import FAMILIES, TYPED, covered, cut

PAGE_TEMPLATE = "web_version/leaflet_page.html"
INDEX_TEMPLATE = "web_version/leaflet_index.html"
NOTICE_TEMPLATE = "web_version/newer_notice.html"
NOTICE = re.compile(rb"<!--newer-->.*?<!--/newer-->", re.S)  # where a page says a newer release exists
FONTS = "fonts"  # under dist/<clinic>/
_FONT_FACES = "/* @font-face rules of the fonts cut to this page */"
_PICTURES = re.compile(r'src="\.\./((?:pictograms|diagrams)/[A-Za-z0-9._-]+)"')


class PersonalLeaflet(ValueError):
    """A leaflet with patient details was given: it never has a web version."""


@dataclass(frozen=True)
class Newer:
    """A newer release of the same leaflet, which an older page links to."""

    version: str
    href: str


@dataclass(frozen=True)
class WebPage:
    """A web version as the build writes it."""

    html: bytes
    fonts: dict[str, bytes] = field(default_factory=dict)  # file name under dist/<clinic>/fonts/: WOFF2
    pictures: tuple[str, ...] = ()  # files of templates/ it shows: "pictograms/x.svg", "diagrams/y.svg"
    release: str | None = None  # an approved release's code: the page is kept as <lang>/<id>-<code>.html too
    notice: bytes = b""  # what older releases' pages say once this one exists


@dataclass(frozen=True)
class IndexEntry:
    """One current leaflet in a language's index."""

    procedure_id: str
    title: str
    version: str
    review_due: date
    approval_state: str  # as Standing's: approved, changed, draft
    translation_state: str | None  # signed off, changed, not signed off; None in English

    @property
    def translated(self) -> bool:
        return self.translation_state is not None


def logo_name(clinic: Clinic) -> str | None:
    """The clinic's logo as copied into ``dist/<clinic>/``: ``logo.svg`` (or .png, .jpg)."""
    return f"logo{clinic.logo_path.suffix.lower()}" if clinic.logo_path else None


def render_web_page(
    leaflet: Leaflet, environment: LeafletSandbox, standing: Standing, fonts: Path, newer: Newer | None = None,
    cache: Path | None = None,
) -> WebPage:
    """The web version of ``leaflet`` at the release ``standing`` (as the PDF's ``Builder.rendered`` gives it);
    ``newer``: a newer release to point to. ``fonts``: the shipped fonts' folder; ``cache``: the root of
    a project whose cache keeps the cut fonts (``webfonts.cut``)."""
    if leaflet.personal or leaflet.large_print:
        raise PersonalLeaflet("only a leaflet without patient details, in regular print, has a web version")
    logo = logo_name(leaflet.clinic)
    html = render_template(environment, PAGE_TEMPLATE, **web_context(leaflet, standing),
                           font_faces=Markup(_FONT_FACES), logo=f"../{logo}" if logo else None, newer=newer)
    release = standing.code if standing.released else None
    notice = render_template(environment, NOTICE_TEMPLATE, newer=Newer(standing.version, f"{leaflet.procedure.id}.html"))
    shown = language_characters(leaflet.language) | frozenset(html + notice)  # an older page may show the notice later
    faces, files = cut_fonts(fonts, shown, "../fonts/", cache)
    html = html.replace(_FONT_FACES, faces, 1)
    return WebPage(html.encode("utf-8"), files, tuple(sorted(set(_PICTURES.findall(html)))), release,
                   notice.encode("utf-8") if release else b"")


def language_characters(language: Language) -> frozenset[str]:
    """What every page in ``language`` is cut to at least: its catalog's translations and the letters names
    are typed in. Pages whose characters all belong to it share one cut of each font (made once, kept by
    ``webfonts``), which a browser also loads once for all of them."""
    known = _LANGUAGE_CHARACTERS.get(language.translations)
    if known is None:
        translated = "".join(language.translations.gettext(message) for message in sorted(language.complete))
        known = _LANGUAGE_CHARACTERS[language.translations] = TYPED | frozenset(translated)
    return known


_LANGUAGE_CHARACTERS: WeakKeyDictionary[NullTranslations, frozenset[str]] = WeakKeyDictionary()  # by loaded catalog


def render_index(
    environment: LeafletSandbox, clinic: Clinic, language: Language, entries: list[IndexEntry], fonts: Path,
    cache: Path | None = None,
) -> WebPage:
    """``dist/<clinic>/<lang>/index.html``: the current web version of each leaflet in one language, in the
    fonts its leaflets' pages are cut to (``language_characters``) when it shows no other character."""
    html = render_template(environment, INDEX_TEMPLATE, clinic=clinic, language=language, entries=entries,
                           font_faces=Markup(_FONT_FACES), max_chars=5_000_000 + 2_000 * len(entries))
    faces, files = cut_fonts(fonts, language_characters(language) | frozenset(html), "../fonts/", cache)
    return WebPage(html.replace(_FONT_FACES, faces, 1).encode("utf-8"), files)


def cut_fonts(fonts: Path, characters: frozenset[str], url: str, cache: Path | None = None) -> tuple[str, dict[str, bytes]]:
    """The @font-face rules of a page showing ``characters``, and the font files they name: each family
    of the page's stack that draws some of them, cut to those (``webfonts.cut``), named by content."""
    rules, files = [], {}
    drawn: set[int] = set()
    wanted = {ord(ch) for ch in characters if ch.isprintable()}
    for family, names in FAMILIES.items():
        own = (wanted & covered(fonts / names[0])) - drawn
        drawn |= own
        if not own:
            continue
        for weight, name in zip(("normal", "bold"), names, strict=False):  # one file: the browser makes the bold
            data = cut(fonts, name, characters, cache)
            file = f"{hashlib.sha256(data).hexdigest()[:16]}.woff2"
            files[file] = data
            rules.append(f'@font-face {{ font-family: "{family}"; font-weight: {weight}; font-display: swap; '
                         f'src: url({url}{file}) format("woff2"); }}')
    return "\n".join(rules), files
