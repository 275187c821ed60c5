"""The clinicians' page in a real browser (Chromium, through Playwright): packets, bilingual
leaflets, the same patient in another language, Back, the Infobutton's links, small screens, slow
links, axe-core on every page state, and fresh content without a restart.

To look at the pages too, set LEAFLETS_SCREENSHOTS to a folder: each state is saved there.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO, copy_project
from helpers import free_port, pdf_text, ready_catalogs, wait_until_up
from leaflets.build.ondemand import make_pool
from leaflets.model.project import Project
from leaflets.web.app import create_app

LANGUAGES = ("en", "ar", "zh_Hans")
PAGE_WEIGHT_LIMIT = 300 * 1024


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """A copy of the project in which every translation is ready (see ready_catalogs): the page's own
    behaviour, not how far the translators are; a test that needs one not ready edits a record."""
    root = copy_project(REPO, tmp_path_factory.mktemp("page") / "project")
    ready_catalogs(root)
    return root


@pytest.fixture(scope="module")
def server(root):
    from waitress import create_server

    project = Project(root)
    pool = make_pool(project, "example", workers=1)
    httpd = create_server(create_app(project, "example", pool), host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=httpd.run, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.effective_port}"
    httpd.close()
    pool.close()


def keep_pdfs(context) -> list[dict]:
    """Every PDF the server answers a form with (in the tab the form opens), as it was sent."""
    answers: list[dict] = []

    def keep(route) -> None:
        if route.request.method != "POST" or route.request.headers.get("x-leaflets-check"):  # form.js's check
            route.continue_()
            return
        response = route.fetch()
        answers.append({"status": response.status, "type": response.headers.get("content-type"),
                        "body": response.body(), "url": route.request.url})
        route.fulfill(response=response)

    context.route(re.compile(r".*/(leaflet/|packet).*"), keep)
    return answers


def wait_for(page, answers: list, count: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while len(answers) < count and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert len(answers) >= count, "the server did not answer the form"


def screenshot(page, name: str) -> None:
    if os.environ.get("LEAFLETS_SCREENSHOTS"):
        page.screenshot(path=str(Path(os.environ["LEAFLETS_SCREENSHOTS"]) / f"{name}.png"), full_page=True)


# -- flows ---------------------------------------------------------------------------------------


def test_choose_leaflets_from_the_search_and_get_one_packet(browser, server):
    page = browser.new_page()
    answers = keep_pdfs(page.context)
    page.goto(server + "/?ui=en&q=dialysis")
    page.get_by_role("checkbox", name="Add to a packet").first.check()
    page.get_by_role("checkbox", name="Add to a packet").nth(1).check()
    page.get_by_role("button", name="Make one PDF of the chosen leaflets").click()
    assert page.locator("h1").inner_text() == "Packet of leaflets"
    page.get_by_label("Patient's name").fill("Ada Lovelace")
    with page.context.expect_page():
        page.get_by_role("button", name="Create leaflet").click()
    wait_for(page, answers, 1)
    text = pdf_text(answers[0]["body"])
    assert answers[0]["type"] == "application/pdf"
    assert "Making a fistula in your arm" in text and "Clearing a clot" in text
    assert text.count("Ada Lovelace") == 2 and text.count("Page 1 of") == 2
    assert "Ada" not in answers[0]["url"]


def test_the_clinics_named_packet(browser, server):
    page = browser.new_page()
    answers = keep_pdfs(page.context)
    page.goto(server + "/?ui=en")
    page.get_by_role("link", name="Fistula day").click()
    assert page.locator("h1").inner_text() == "Fistula day"
    assert page.get_by_text("CPT 36836").is_visible() and page.get_by_text("CPT 36904").is_visible()
    with page.context.expect_page():
        page.get_by_role("button", name="Create leaflet").click()
    wait_for(page, answers, 1)
    assert pdf_text(answers[0]["body"]).count("Page 1 of") == 2


def test_the_same_patient_in_another_language_and_with_english_without_retyping(browser, server):
    page = browser.new_page()
    answers = keep_pdfs(page.context)
    page.goto(server + "/leaflet/kidney-tube-tract-widening?ui=en")
    assert page.get_by_label("Language of the leaflet").locator("option[value=es]").inner_text() == "español (Spanish)"
    page.get_by_label("Language of the leaflet").select_option("es")
    page.get_by_label("Patient's name").fill("Grace Hopper")
    page.get_by_label("Where to go").fill("Sala 4")
    with page.context.expect_page():
        page.get_by_role("button", name="Create leaflet").click()
    wait_for(page, answers, 1)
    assert "Grace Hopper" in pdf_text(answers[0]["body"])
    # the form is still filled in: another language, then the bilingual leaflet
    assert page.get_by_label("Patient's name").input_value() == "Grace Hopper"
    page.get_by_label("Language of the leaflet").select_option("vi")
    with page.context.expect_page():
        page.get_by_role("button", name="Create leaflet").click()
    wait_for(page, answers, 2)
    vietnamese = pdf_text(answers[1]["body"])
    assert "Grace Hopper" in vietnamese and "Sala 4" in vietnamese and "thận" in vietnamese
    page.get_by_label("Language of the leaflet").select_option("es")
    page.get_by_label("Add the English leaflet after it").check()
    with page.context.expect_page():
        page.get_by_role("button", name="Create leaflet").click()
    wait_for(page, answers, 3)
    both = pdf_text(answers[2]["body"])
    assert both.index("riñón") < both.index("Making the path for your kidney tube wider")
    assert both.count("Grace Hopper") == 2


def test_every_personal_field_is_empty_after_back(browser, server):
    """No field keeps a patient's details in the browser's history: all behave alike."""
    page = browser.new_page()
    page.goto(server + "/leaflet/dialysis-fistula-creation?ui=en")
    typed = {"Patient's name": "Ada Lovelace", "Date of the appointment": "2026-12-01", "Time": "09:30",
             "Where to go": "Room 4", "What to bring": "Glasses", "Notes": "Fasting"}
    for label, value in typed.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("link", name="Back to all leaflets").click()
    page.wait_for_url("**/?ui=en")
    page.go_back()
    page.wait_for_load_state()
    assert {label: page.get_by_label(label, exact=True).input_value() for label in typed} == dict.fromkeys(typed, "")
    assert all(page.locator(f"#{field}").get_attribute("autocomplete") == "off"
               for field in ("patient_name", "date", "time", "location", "bring", "note"))


def test_an_infobutton_link_opens_the_form_in_the_patients_language(browser, server):
    page = browser.new_page()
    feed = urllib.request.urlopen(server + "/infobutton?mainSearchCriteria.v.c=36904&mainSearchCriteria.v.cs="
                                  "2.16.840.1.113883.6.12&informationRecipient.languageCode.c=ar").read().decode()
    form_link = re.search(r'type="text/html"[^>]*href="([^"]+)"', feed).group(1)
    page.goto(form_link.replace("&amp;", "&") + "&ui=en")
    assert page.get_by_label("Language of the leaflet").input_value() == "ar"
    assert page.locator("h1").inner_text() == "Clearing a clot from your dialysis access"


def test_a_mistake_is_shown_in_place_and_the_leaflet_then_opens_in_a_new_tab(browser, server):
    page = browser.new_page()
    answers = keep_pdfs(page.context)
    opened: list = []
    page.context.on("page", lambda new: opened.append(new))
    page.goto(server + "/leaflet/dialysis-fistula-creation?ui=en")
    page.get_by_label("Patient's name").fill("Ada Lovelace")
    page.locator("#date").fill("2026-12-01")  # a date without its time
    page.get_by_role("button", name="Create leaflet").click()
    page.locator("#time-error").wait_for()
    assert opened == [] and page.context.pages == [page]  # no new tab: the mistake is on this page
    assert page.locator("#time").get_attribute("aria-invalid") == "true"
    assert page.locator("#date").input_value() == "2026-12-01"
    assert page.get_by_label("Patient's name").input_value() == "Ada Lovelace"
    assert page.evaluate("document.activeElement.getAttribute('role')") == "alert"  # a screen reader hears it
    page.locator("#time").fill("09:30")
    with page.context.expect_page():
        page.get_by_role("button", name="Create leaflet").click()
    wait_for(page, answers, 1)
    assert answers[0]["type"] == "application/pdf" and "Ada Lovelace" in pdf_text(answers[0]["body"])


def test_a_translation_not_ready_is_said_in_place(browser, server, root):
    record = root / "content" / "procedures" / "kidney-tube-tract-widening.yaml"
    original = record.read_text()
    record.write_text(original.replace("summary: >-\n", "summary: >-\n  Edited today.\n", 1))  # every translation is stale
    try:
        page = browser.new_page()
        opened: list = []
        page.context.on("page", lambda new: opened.append(new))
        page.goto(server + "/leaflet/kidney-tube-tract-widening?ui=en")
        page.locator("#lang").select_option("es")
        page.get_by_role("button", name="Create leaflet").click()
        page.locator("main [name=instead]").wait_for()
        assert opened == [] and page.locator("main .refused h2").inner_text() == "This translation is not ready"
    finally:
        record.write_text(original)


# -- small screens, slow links, axe --------------------------------------------------------------


def page_states(browser, server: str, root: Path, ui: str):
    """Every state of the page in ``ui``: (name, page). POSTed states are opened as the form opens them."""
    page = browser.new_page()
    for name, path in (("search", "/"), ("results", "/?q=kidney"), ("nothing-found", "/?q=kidnney+tubbbbe+draaain"),
                       ("form", "/leaflet/foot-vein-arterialization"), ("packet", "/packet?name=fistula-day"),
                       ("chosen", "/packet?leaflet=kidney-tube-tract-widening&leaflet=coronary-blockage-opening"),
                       ("not-found", "/leaflet/nope"), ("pdf-refused", "/pdf/de/nope.pdf")):
        page.goto(f"{server}{path}{'&' if '?' in path else '?'}ui={ui}")
        yield name, page
    page.goto(f"{server}/leaflet/foot-vein-arterialization?ui={ui}")
    page.locator("#patient_name").fill("A" * 120)
    page.locator("#date").fill("2026-12-01")
    page.locator("button[type=submit]").first.click()
    page.locator("main [role=alert]").wait_for()  # shown in place (form.js), not in a new tab
    yield "errors", page
    record = root / "content" / "procedures" / "foot-vein-arterialization.yaml"
    original = record.read_text()
    record.write_text(original.replace("summary: >-\n", "summary: >-\n  Edited today.\n", 1))  # now every translation is stale
    try:
        page.goto(f"{server}/leaflet/foot-vein-arterialization?ui={ui}")
        page.locator("#lang").select_option("vi")
        page.locator("#patient_name").fill("Ada")
        page.locator("button[type=submit]").first.click()
        page.locator("main [name=instead]").wait_for()  # in place, as a mistake is
        yield "refused", page
    finally:
        record.write_text(original)


def visible_overflow(page) -> list[str]:
    """Elements that reach past the screen's edges."""
    return page.evaluate("""() => { const w = document.documentElement.clientWidth; const out = [];
        for (const el of document.querySelectorAll('body *')) { const r = el.getBoundingClientRect();
          if (r.width && (r.right > w + 0.5 || r.left < -0.5)) out.push(el.tagName + '#' + el.id + '.' + el.className); }
        return out; }""")


def wide_states(browser, server: str, root: Path, ui: str, width: int, scale: int, check=None) -> dict:
    """The page states in ``ui`` that scroll sideways at ``width`` CSS px (WCAG 1.4.10 reflow), each with what
    reaches past the edge; ``check(name, page)`` also runs on every state."""
    context = browser.new_context(viewport={"width": width, "height": 800}, device_scale_factor=scale)
    wide = {}
    for name, page in page_states(context, server, root, ui):
        screenshot(page, f"{name}-{ui}-{width}")
        if page.evaluate("document.documentElement.scrollWidth") > width or visible_overflow(page):
            wide[name] = (page.evaluate("document.documentElement.scrollWidth"), visible_overflow(page)[:3])
        if check:
            check(name, page)
    context.close()
    return wide


@pytest.mark.parametrize("ui", LANGUAGES)
def test_axe_finds_nothing_on_any_page_state_and_none_scrolls_sideways_on_a_desktop(browser, server, root, ui):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found = {}

    def run_axe(name: str, page) -> None:
        results = axe.run(page)
        if results.violations_count:
            found[name] = [v["id"] for v in results.response["violations"]]

    assert wide_states(browser, server, root, ui, 1280, 1, run_axe) == {}
    assert found == {}


@pytest.mark.parametrize("width, scale", [(320, 4), (375, 2)], ids=["400%-zoom", "phone"])
@pytest.mark.parametrize("ui", LANGUAGES)
def test_no_page_state_scrolls_sideways(browser, server, root, ui, width, scale):
    """WCAG 1.4.10 reflow: 1280 px at 400 % zoom is 320 CSS px; a phone is 375 (a desktop: with axe, above)."""
    assert wide_states(browser, server, root, ui, width, scale) == {}


@pytest.mark.parametrize("ui", LANGUAGES)
def test_a_first_visit_weighs_under_300_kb(browser, server, ui):
    context = browser.new_context()
    page = context.new_page()
    session = context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.setCacheDisabled", {"cacheDisabled": True})
    sizes: dict[str, float] = {}
    session.on("Network.loadingFinished", lambda event: sizes.__setitem__(event["requestId"], event["encodedDataLength"]))
    page.goto(f"{server}/leaflet/dialysis-access-clot-removal?ui={ui}", wait_until="networkidle")
    page.evaluate("document.fonts.ready.then(() => true)")
    fonts = page.evaluate("[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")
    context.close()
    assert 0 < sum(sizes.values()) < PAGE_WEIGHT_LIMIT
    assert '"Leaflet Sans"' in fonts or "Leaflet Sans" in fonts  # the page still draws in its own fonts


# -- the built clinic: page counts, fresh content without a restart ------------------------------


@pytest.mark.timeout(900)  # whichever test asks first for built_example builds the clinic (60 PDFs) in its setup
def test_the_form_says_how_many_pages_each_language_prints(built_project):
    """From the batch build's PDFs, when they are current: regular and large print."""
    from leaflets.web.pagecount import page_count

    project = Project(built_project)  # the example clinic, built
    built = built_project / "dist" / "example"
    regular = page_count(built / "en" / "dialysis-fistula-creation.pdf")
    large = page_count(built / "en" / "dialysis-fistula-creation-large-print.pdf")
    assert regular and large and large > regular
    pool = make_pool(project, "example", workers=1)
    try:
        form = create_app(project, "example", pool).test_client().get("/leaflet/dialysis-fistula-creation?ui=en").text
    finally:
        pool.close()
    assert f'<span class="pages">{regular} pages (large print: {large} pages)</span>' in form


@pytest.mark.timeout(900)  # whichever test asks first for built_example builds the clinic (60 PDFs) in its setup
def test_a_running_server_shows_edited_records_and_new_prebuilt_pdfs(built_project):
    root = built_project  # the example clinic, built
    build = [sys.executable, "-m", "leaflets", "--root", str(root), "build", "--all"]
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "leaflets", "--root", str(root), "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base, prebuilt = f"http://127.0.0.1:{port}", root / "dist" / "example" / "en" / "dialysis-fistula-creation.pdf"
    try:
        wait_until_up(base + "/")
        assert urllib.request.urlopen(base + "/pdf/en/dialysis-fistula-creation.pdf").read() == prebuilt.read_bytes()
        record = root / "content" / "procedures" / "dialysis-fistula-creation.yaml"
        record.write_text(record.read_text().replace("title: Making a fistula in your arm for dialysis",
                                                     "title: Making a fistula in your arm for your dialysis"))
        assert "Making a fistula in your arm for your dialysis" in urllib.request.urlopen(base + "/?ui=en").read().decode()
        with urllib.request.urlopen(base + "/pdf/en/dialysis-fistula-creation.pdf") as answer:
            assert answer.headers["X-Leaflets-Made"] == "rendered"  # the old prebuilt PDF is out of date
            assert "for your dialysis" in pdf_text(answer.read())
        subprocess.run(build, capture_output=True)  # the translations now refuse; English builds
        with urllib.request.urlopen(base + "/pdf/en/dialysis-fistula-creation.pdf") as answer:
            assert answer.headers.get("X-Leaflets-Made") is None and answer.read() == prebuilt.read_bytes()
        assert "for your dialysis" in pdf_text(prebuilt.read_bytes())
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
