"""What keeps leaflets fast, as behaviour: commands load only what they use, the cache is keyed by
what files hold (and survives a broken entry), and the web page's render workers live as long as it."""

from __future__ import annotations

import gc
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from unittest.mock import ANY

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from helpers import REPO, edit_record, remove_records, set_languages
from leaflets.build.leaflet import Builder
from leaflets.build.ondemand import PoolStarting
from leaflets.build.web_pages import web_page
from leaflets.errors import LeafletError
from leaflets.model.cache import FOLDER, RACY_SECONDS
from leaflets.model.project import Project
from leaflets.render import webfonts
from leaflets.render.web_page import WebPage

RECORD = "dialysis-fistula-creation"
HEAVY = ("weasyprint", "pikepdf", "fontTools.subset")


def settled(project: Path) -> None:
    """Every record's time of change moved back past the racy window, so its reading is cached."""
    past = time.time() - 10 * RACY_SECONDS
    for record in (project / "content" / "procedures").glob("*.yaml"):
        os.utime(record, (past, past))


def heavy_modules_loaded_by(project: Path, *args: str, modules: tuple[str, ...] = HEAVY) -> list[str]:
    """Which of ``modules`` (the PDF tools) a fresh process running ``leaflets ARGS`` imported."""
    script = ("import sys, contextlib, io\nfrom leaflets.cli import main\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n    main(sys.argv[1:])\n"
              f"print([name for name in {modules!r} if name in sys.modules])")
    done = subprocess.run([sys.executable, "-c", script, "--root", str(project), *args],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1].replace("'", '"'))


def test_list_check_and_i18n_status_never_load_the_pdf_tools(project):
    set_languages(project, "en")
    assert heavy_modules_loaded_by(project, "list") == []
    assert heavy_modules_loaded_by(project, "i18n", "status") == []
    assert heavy_modules_loaded_by(project, "check") == []


def test_commands_that_render_nothing_load_neither_babel_nor_jinja(project):
    set_languages(project, "en")
    rendering = ("babel", "jinja2", "fontTools")
    assert heavy_modules_loaded_by(project, "list", modules=rendering) == []
    assert heavy_modules_loaded_by(project, "schema", modules=rendering) == []
    assert heavy_modules_loaded_by(project, "which", "ABCD2345", modules=rendering) == []


def test_a_same_size_edit_that_keeps_the_time_of_change_is_seen(project, cli):
    settled(project)
    path = project / "content" / "procedures" / f"{RECORD}.yaml"
    title = Project(project).load_procedure(RECORD).title
    assert title in cli("--root", project, "list")[1]
    before = path.stat()

    edit_record(project, RECORD, f"title: {title}", f"title: {title.upper()}")  # same length, same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns

    assert Project(project).load_procedure(RECORD).title == title.upper()
    assert title.upper() in cli("--root", project, "list")[1]


def test_broken_or_wrong_shaped_cache_entries_are_ignored_and_made_again(project, cli):
    set_languages(project, "en")
    settled(project)
    first = cli("--root", project, "list")
    checked = cli("--root", project, "check")
    kinds = ("records", "summaries", "documents", "checks")
    entries = [entry for kind in kinds for entry in sorted((project / FOLDER / kind).glob("*.json"))]
    assert {entry.parent.name for entry in entries} == set(kinds)

    for number, entry in enumerate(entries):
        broken = [b'{"format": "', b"[]", b'{"format": 1, "path": 2, "inputs": "x", "data": []}',
                  json.dumps({**json.loads(entry.read_bytes()), "value_lines": [[1], ["a"]],
                              "inputs": [[None, 3]], "data": {"id": RECORD, "title": 5}}).encode()]
        entry.write_bytes(broken[number % len(broken)])

    assert cli("--root", project, "list") == first
    assert cli("--root", project, "check") == checked


def test_the_render_workers_live_from_the_page_start_to_its_stop_and_are_replaced_if_they_die(project):
    set_languages(project, "en")
    ready = threading.Event()
    pool = PoolStarting(Project(project), "example", ready.set, ready.set)  # started by a thread that then ends
    try:
        assert ready.wait(300) and pool.failure is None
        workers = set(pool.process_ids)
        time.sleep(3)  # workers used to be killed about a second after the thread that started them ended
        for process_id in workers:
            os.kill(process_id, 0)  # still alive
        assert set(pool.process_ids) == workers

        killed = workers.pop()
        os.kill(killed, signal.SIGKILL)
        answered = {pool.apply(os.getpid) for _ in range(6)}
        assert killed not in answered and answered
    finally:
        pool.close()


def test_render_workers_that_cannot_start_say_why_in_one_line(project):
    """The workers load the clinic's stylesheet themselves; what they refuse stops the page as before."""
    clinic_folder = project / "templates" / "clinics" / "example"
    clinic_folder.mkdir(parents=True)
    outside = '@font-face { font-family: "Outside"; src: url("file:///etc/passwd") }\n'
    (clinic_folder / "leaflet.css").write_text(outside + (project / "templates" / "leaflet.css").read_text())
    failed, ready = threading.Event(), threading.Event()
    pool = PoolStarting(Project(project), "example", ready.set, failed.set)
    try:
        assert failed.wait(300) and not ready.is_set()
        assert isinstance(pool.failure, LeafletError)
        said = str(pool.failure)
        assert "clinics/example/leaflet.css: refused to read '/etc/passwd'" in said and "\n" not in said
    finally:
        pool.close()


def web_version(project: Path, procedure_id: str, lang: str) -> WebPage:
    """The leaflet's web version as a build makes it (its fonts kept in the project's cache)."""
    loaded = Project(project)
    builder = Builder(loaded)
    leaflet = builder.leaflet(loaded.load_procedure(procedure_id), loaded.load_clinic("example"), lang)
    return web_page(loaded, builder.environment(leaflet), leaflet, builder.standing(leaflet))


def test_web_versions_in_one_language_share_their_cut_fonts_and_each_draws_every_character_it_shows(project):
    pages = [web_version(project, procedure_id, "zh_Hans") for procedure_id in (RECORD, "kidney-tube-tract-widening")]
    assert pages[0].html != pages[1].html
    assert pages[0].fonts == pages[1].fonts and pages[0].fonts  # the same files: cut once for the language

    fonts = Project(project).fonts
    shipped = set().union(*(webfonts.covered(fonts / files[0]) for files in webfonts.FAMILIES.values()))
    for page in pages:
        cut = set().union(*(TTFont(io.BytesIO(data)).getBestCmap() for data in page.fonts.values()))
        shown = {ord(ch) for ch in page.html.decode() if ch.isprintable()}
        assert shown & shipped <= cut


def test_cut_fonts_are_kept_for_later_processes_and_a_broken_entry_is_made_again(project):
    first = web_version(project, RECORD, "en")
    kept = sorted((project / FOLDER / "fonts").glob("*.json"))
    assert len(kept) == len(first.fonts) == 2  # regular and bold

    webfonts._kept_cut.cache_clear()  # as a new process starts
    webfonts._cut.cache_clear()
    assert web_version(project, "kidney-tube-tract-widening", "en").fonts == first.fonts
    assert webfonts._cut.cache_info().misses == 0  # read from the cache, nothing cut

    for entry in kept:
        entry.write_text('{"key": "another", "woff2": "AAAA"}')
    webfonts._kept_cut.cache_clear()
    assert web_version(project, RECORD, "en").fonts == first.fonts
    assert webfonts._cut.cache_info().misses == 2


def test_a_font_cut_on_another_day_is_the_same_file(monkeypatch):
    """The web version's fonts are named by their bytes: a font cut again later must not get a new name."""
    font, characters = REPO / "templates" / "fonts" / "NotoSans-Regular.ttf", frozenset("Ask for help")
    cuts = []
    for day in ("1796677400", "1799269400"):  # a month apart (fontTools dates a font it saves by SOURCE_DATE_EPOCH)
        monkeypatch.setenv("SOURCE_DATE_EPOCH", day)
        webfonts._cut.cache_clear()
        cuts.append(webfonts._cut(font, characters))
    assert cuts[0] == cuts[1]


def test_a_render_collects_garbage_a_few_times_not_dozens(project):
    loaded = Project(project)
    builder = Builder(loaded)
    leaflet = builder.leaflet(loaded.load_procedure(RECORD), loaded.load_clinic("example"), "en")
    builder.pdf(leaflet)  # the renderer made: it sets how often this process collects
    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            collections.append(info["generation"])

    gc.callbacks.append(count)
    try:
        builder.pdf(leaflet)
    finally:
        gc.callbacks.remove(count)
    assert len(collections) <= 10, collections  # Python's default: 42 for this leaflet


def test_a_render_writes_its_pdf_once_and_never_reads_it_back(project, monkeypatch):
    """The running header and footer become artifacts on the PDF's objects, before they are written: reading the
    PDF back and writing it again took a twentieth of a render."""
    import pikepdf
    import pydyf

    loaded = Project(project)
    builder = Builder(loaded)
    leaflet = builder.leaflet(loaded.load_procedure(RECORD), loaded.load_clinic("example"), "ar")
    builder.pdf(leaflet)
    written, opened = [], []
    write, open_pdf = pydyf.PDF.write, pikepdf.open
    monkeypatch.setattr(pydyf.PDF, "write", lambda self, *args: written.append(self) or write(self, *args))
    monkeypatch.setattr(pikepdf, "open", lambda *args, **kwargs: opened.append(args) or open_pdf(*args, **kwargs))
    data = builder.pdf(leaflet)
    assert (len(written), opened) == (1, [])
    with open_pdf(io.BytesIO(data)) as pdf:  # and the footer is an artifact on every page
        for page in pdf.pages:
            marks = [operands[0] for operands, operator in pikepdf.parse_content_stream(page) if str(operator) == "BDC"]
            assert pikepdf.Name("/Artifact") in marks


def test_the_search_page_reads_each_built_leaflets_state_from_the_manifest_rendering_none(project, cli):
    from leaflets.build.ondemand import make_pool
    from leaflets.web.app import create_app

    remove_records(project, "coronary-blockage-opening", "foot-vein-arterialization", "kidney-tube-tract-widening")
    set_languages(project, "en")  # two records: one approved, one a draft
    cli("--root", project, "approve", RECORD, "--by", "Dr Ana Lopez", "--role", "nephrologist")
    assert cli("--root", project, "build", "--all")[0] == 0
    pool = make_pool(Project(project), "example", workers=1)
    try:
        app = create_app(Project(project), "example", pool)
        search = app.test_client().get("/?ui=en").text
    finally:
        pool.close()
    assert app.extensions["leaflets"]["site"].standings == {}  # no leaflet rendered to learn its state
    assert search.count("Approved, version 1.0") == 1 and search.count("Draft: not yet approved") == 1


def test_a_no_op_build_and_the_page_read_each_records_summary_and_only_a_chosen_record_whole(built_project, cli, monkeypatch):
    from leaflets.build.ondemand import make_pool
    from leaflets.web.app import create_app

    project = built_project  # the example clinic, built
    settled(project)
    assert cli("--root", project, "build", "--all")[0] == 0  # reads the records, now settled, into the cache
    read: list[str] = []
    whole = Project._load_procedure
    monkeypatch.setattr(Project, "_load_procedure", lambda self, path, *rest: read.append(path.stem) or whole(self, path, *rest))

    code, out, err = cli("--root", project, "build", "--all")
    assert code == 0 and "built 0, unchanged 60," in out + err
    pool = make_pool(Project(project), "example", workers=1)
    try:
        client = create_app(Project(project), "example", pool).test_client()
        search = client.get("/?ui=en").text
        assert read == []  # neither the plan nor the page with every leaflet and its state read a whole record
        for procedure_id in Project(project).procedure_ids():
            assert f'id="title-{procedure_id}"' in search
        assert client.get(f"/leaflet/{RECORD}?ui=en").status_code == 200
    finally:
        pool.close()
    assert read == [RECORD]


def test_search_entries_kept_in_the_cache_find_what_entries_made_afresh_find(project):
    from leaflets.web.search import find
    from leaflets.web.site import make_site

    queries = ["fistula", "fistual", "CPT 50436", "riñón", "透析", "الكلى", "a clot in my fistula", ""]
    made = make_site(Project(project), "example").search_entries
    entry = project / FOLDER / "search"
    assert [path.name for path in entry.glob("*.json")]  # kept for the next start

    kept = make_site(Project(project), "example").search_entries
    assert kept == made
    assert [find(query, kept) for query in queries] == [find(query, made) for query in queries]

    for path in entry.glob("*.json"):
        stored = json.loads(path.read_text())
        first = next(iter(stored["entries"]))
        stored["entries"][first] = {"phrases": [[["fistula"], "heavy"]], "names": [3]}  # the wrong shape: made again
        path.write_text(json.dumps(stored))
    assert make_site(Project(project), "example").search_entries == made


def test_a_checked_catalog_is_kept_and_used_while_it_holds_the_same_bytes(project, monkeypatch):
    from leaflets.language import catalogs

    fresh = Builder(Project(project)).language("es")
    kept_entries = list((project / FOLDER / "catalogs").glob("*.json"))
    assert len(kept_entries) == 1
    checked: list[Path] = []
    msgfmt = catalogs._msgfmt
    monkeypatch.setattr(catalogs, "_msgfmt", lambda path: checked.append(path) or msgfmt(path))

    kept = Builder(Project(project)).language("es")
    assert checked == []  # neither msgfmt nor the checks ran again
    assert (kept.complete, kept.fuzzy, kept.catalog_lines, kept.warnings) == \
        (fresh.complete, fresh.fuzzy, fresh.catalog_lines, fresh.warnings)
    assert [kept.gettext(message) for message in sorted(fresh.complete)] == \
        [fresh.gettext(message) for message in sorted(fresh.complete)]

    kept_entries[0].write_text('{"key": "another", "compiled": "AAAA"}')
    assert Builder(Project(project)).language("es").complete == fresh.complete  # loaded afresh
    kept_entries[0].write_bytes(kept_entries[0].read_bytes().replace(b'"complete": [', b'"complete": [3, '))
    assert Builder(Project(project)).language("es").complete == fresh.complete
    assert len(checked) == 2

    po = project / "locales" / "es" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "', 'msgstr "\\q', 1), encoding="utf-8")
    try:
        Builder(Project(project)).language("es")
    except LeafletError as error:
        assert "messages.po" in str(error)  # a catalog changed is checked again, and refused
    else:
        raise AssertionError("a broken catalog was loaded from the cache")


def test_the_page_reads_the_states_beside_the_manifest_and_the_manifest_once_they_differ(project, cli, monkeypatch):
    from leaflets.build.manifest import Manifest, ManifestReader
    from leaflets.build.manifest_states import StatesReader
    from leaflets.build.ondemand import make_pool, prebuilt_sample
    from leaflets.build.workers import keep_warm
    from leaflets.web.app import create_app

    set_languages(project, "en")
    cli("--root", project, "approve", RECORD, "--by", "Dr Ana Lopez", "--role", "nephrologist")
    assert cli("--root", project, "build", "--all")[0] == 0
    out = project / "dist" / "example"
    (out / "states.json").unlink()
    code, said, err = cli("--root", project, "build", "--all")
    assert code == 0 and "built 0," in said + err and (out / "states.json").is_file()  # a no-op build writes it back
    manifests_read: list[Path] = []
    read = Manifest.read.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(Manifest, "read", classmethod(lambda cls, where: manifests_read.append(where) or read(cls, where)))

    # A render worker warms up on the first regular-print English PDF with "For you" lines, as states.json names it.
    keep_warm(states=StatesReader(out), prebuilt=ManifestReader(out))
    sample = prebuilt_sample("en")
    entries = read(Manifest, out).entries
    first = min(name for name, entry in entries.items() if name.startswith("en/") and entry.blank_fields
                and not entry.large_print)
    assert sample == (out / first, entries[first].blank_fields) and manifests_read == []

    def search_page() -> tuple[str, dict[object, object]]:
        pool = make_pool(Project(project), "example", workers=1)
        try:
            app = create_app(Project(project), "example", pool)
            return app.test_client().get("/?ui=en").text, app.extensions["leaflets"]["site"].standings
        finally:
            pool.close()

    page, rendered = search_page()
    assert page.count("Approved, version 1.0") == 1 and page.count("Draft: not yet approved") == 4
    assert manifests_read == [] and rendered == {}  # neither the manifest read nor a leaflet rendered

    manifest = out / "manifest.json"
    manifest.write_text(manifest.read_text() + "\n")  # no longer the manifest the states were written for
    page, rendered = search_page()
    assert page.count("Approved, version 1.0") == 1 and page.count("Draft: not yet approved") == 4
    assert manifests_read == [out] and rendered == {}

    assert cli("--root", project, "build", "--all")[0] == 0
    pdf = out / "en" / f"{RECORD}.pdf"
    pdf.write_bytes(pdf.read_bytes().replace(b"%%EOF", b"%%EOG"))  # tampered: its state is not taken as recorded
    page, rendered = search_page()
    assert page.count("Approved, version 1.0") == 1 and list(rendered) == [(RECORD, "en", ANY)]
