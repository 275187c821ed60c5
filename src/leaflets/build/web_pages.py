"""Web versions in ``dist/<clinic>/``: each leaflet's page beside its PDF, with the fonts and pictures it
shows (see ``render/web_page.py`` for what a page holds; ``web_index.py`` for the index per language).

The caller writes the files (``files.write_if_changed``): atomically, and only when their bytes
change, so a build that changes nothing writes nothing. Fonts are named by their content, so pages
made at different times never share a file that changes under them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from leaflets.language.catalogs import refusal
from leaflets.language.i18n import tracking_misses
from leaflets.model.approvals import Standing
from leaflets.model.clinic import Clinic
from leaflets.model.project import Project
from leaflets.render.html import Leaflet, template_file
from leaflets.render.qr import page_name
from leaflets.render.web_page import FONTS, NOTICE, WebPage, logo_name, render_web_page

_FONT_FILE = re.compile(r"^[0-9a-f]{16}\.woff2$")
_FONT_NAMED = re.compile(r"fonts/([0-9a-f]{16}\.woff2)")
_RELEASE_PAGE = re.compile(r"^-[0-9a-f]{8}\.html$")


def web_page(project: Project, environment: Any, leaflet: Leaflet, standing: Standing) -> WebPage:
    """The web version of ``leaflet`` (regular print, no patient details), in its clinic's and language's
    ``environment``; refused, as its PDF is, when a string it shows is not translated."""
    with tracking_misses() as untranslated:
        page = render_web_page(leaflet, environment, standing, project.fonts, cache=project.root)
    if untranslated:
        raise refusal(leaflet.language, untranslated, project.root, project.record_path(leaflet.procedure.id))
    return page


def page_path(project: Project, clinic_id: str, lang: str, procedure_id: str) -> Path:
    """``dist/<clinic>/<lang>/<id>.html``."""
    return project.dist_for(clinic_id) / page_name(lang, procedure_id)


def web_files(project: Project, clinic: Clinic, target: Path, page: WebPage) -> dict[Path, bytes]:
    """The files to write for ``page`` at ``target``: its fonts, its pictures, the clinic's logo, then itself."""
    out = project.dist_for(clinic.id)
    files = {out / FONTS / name: data for name, data in page.fonts.items()}
    for picture in page.pictures:
        files[out / picture] = template_file(project.templates, clinic.id, picture).read_bytes()
    logo = logo_name(clinic)
    if logo and clinic.logo_path:
        files[out / logo] = clinic.logo_path.read_bytes()
    files[target] = page.html
    if page.release:
        files.update(release_pages(target, page))
    return files


def release_pages(target: Path, page: WebPage) -> dict[Path, bytes]:
    """An approved release's own page (the address its PDF prints), and the pages of the leaflet's older
    releases, now saying that this newer one exists and linking to it."""
    assert page.release is not None
    own = target.with_name(f"{target.stem}-{page.release}.html")
    files = {own: page.html}
    for older in sorted(target.parent.glob(f"{target.stem}-*.html")):
        if older != own and _RELEASE_PAGE.match(older.name[len(target.stem):]):
            files[older] = NOTICE.sub(lambda _: b"<!--newer-->" + page.notice.strip() + b"<!--/newer-->", older.read_bytes(), 1)
    return files


def remove_unused_fonts(out: Path) -> None:
    """Fonts in ``dist/<clinic>/fonts/`` that no page of the clinic names any more."""
    folder = out / FONTS
    if not folder.is_dir():
        return
    named: set[str] = set()
    for page in out.glob("*/*.html"):
        named.update(_FONT_NAMED.findall(page.read_text(encoding="utf-8", errors="replace")))
    for font in folder.iterdir():
        if _FONT_FILE.match(font.name) and font.name not in named:
            font.unlink(missing_ok=True)
