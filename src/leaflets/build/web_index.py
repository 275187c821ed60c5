"""``dist/<clinic>/<lang>/index.html``: the current web version of each of a clinic's leaflets, one index per
language, written by the batch build beside the catalog page."""

from __future__ import annotations

from leaflets.build.files import write_if_changed
from leaflets.build.leaflet import Builder
from leaflets.build.manifest import Manifest
from leaflets.build.web_pages import page_path, remove_unused_fonts, web_files
from leaflets.model.clinic import Clinic
from leaflets.model.record import Procedure
from leaflets.render.web_page import IndexEntry, render_index

INDEX = "index.html"


def index_entries(builder: Builder, clinic: Clinic, procedures: list[Procedure], lang: str,
                  manifest: Manifest) -> list[IndexEntry]:
    """The leaflets of ``lang`` that have a PDF and a web version, by title."""
    language = builder.language(lang)
    entries = []
    for procedure in procedures:
        entry = manifest.entries.get(f"{lang}/{procedure.id}.pdf")
        if entry is None or entry.sha256 is None or not page_path(builder.project, clinic.id, lang, procedure.id).is_file():
            continue
        entries.append(IndexEntry(procedure.id, language.gettext(procedure.title), entry.version,
                                  procedure.review.review_due, entry.approval or "draft", entry.translation))
    return sorted(entries, key=lambda e: e.title.casefold())


def write_indexes(builder: Builder, clinic: Clinic, procedures: list[Procedure], languages: list[str],
                  manifest: Manifest) -> None:
    """Each language's index, then the fonts no page names any more are removed."""
    project = builder.project
    out = project.dist_for(clinic.id)
    for lang in languages:
        if not procedures:
            break
        environment = builder.environment(builder.leaflet(procedures[0], clinic, lang))
        entries = index_entries(builder, clinic, procedures, lang, manifest)
        page = render_index(environment, clinic, builder.language(lang), entries, project.fonts, project.root)
        for path, data in web_files(project, clinic, out / lang / INDEX, page).items():
            write_if_changed(path, data)
    remove_unused_fonts(out)
