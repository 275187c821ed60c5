"""The clinicians' page, through Flask's test client and through a real browser."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO, copy_project
from helpers import free_port, pdf_text, wait_until_up
from leaflets.build.ondemand import make_pool
from leaflets.model.project import Project
from leaflets.web.app import create_app


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A copy of the project, its app, and a warm pool of one renderer."""
    root = copy_project(REPO, tmp_path_factory.mktemp("web") / "project")
    project = Project(root)
    pool = make_pool(project, "example", workers=1)
    app = create_app(project, "example", pool)
    yield root, app
    pool.close()


@pytest.fixture
def client(served):
    return served[1].test_client()


def test_search_by_title_other_name_or_code_in_any_language(client):
    assert "Making a fistula in your arm for dialysis" in client.get("/?q=fistula").text
    assert "Clearing a clot" in client.get("/?q=36904").text
    assert "Clearing a clot" in client.get("/?q=declot").text
    spanish = client.get("/?q=coágulo&ui=es").text
    assert "Quitar un coágulo de su acceso para diálisis" in spanish and '<html lang="es" dir="ltr">' in spanish
    assert "No leaflet matches your search" in client.get("/?q=zzzz").text


def test_the_page_speaks_the_browser_language(client):
    page = client.get("/", headers={"Accept-Language": "ar,en;q=0.5"}).text
    assert '<html lang="ar" dir="rtl">' in page


def test_an_unpersonalised_leaflet_comes_from_the_prebuilt_url(client):
    response = client.post("/leaflet/dialysis-fistula-creation", data={"lang": "fr", "print": "large"})
    assert response.status_code == 303 and response.location.endswith("/pdf/fr/dialysis-fistula-creation-large-print.pdf")
    pdf = client.get(response.location)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-") and pdf.mimetype == "application/pdf"


def test_a_personalised_leaflet_is_never_cached_and_holds_the_name(client, tmp_path):
    response = client.post("/leaflet/kidney-tube-tract-widening", data={
        "lang": "es", "print": "regular", "patient_name": "Grace Hopper", "date": "2026-12-01", "time": "09:30",
        "location": "Sala 4", "bring": "", "note": "",
    })
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    (tmp_path / "x.pdf").write_bytes(response.data)
    text = subprocess.run(["pdftotext", str(tmp_path / "x.pdf"), "-"], capture_output=True, text=True).stdout
    assert "Grace Hopper" in text and "Sala 4" in text
    assert "Grace" not in response.headers.get("Content-Disposition", "")


@pytest.mark.parametrize(
    "path",
    [
        "/leaflet/nope",
        "/leaflet/../../etc/passwd",
        "/leaflet/..%2F..%2Fetc%2Fpasswd",
        "/pdf/de/dialysis-fistula-creation.pdf",
        "/pdf/en/../../pyproject.toml",
        "/fonts/..%2Fleaflet.css",
    ],
)
def test_unknown_and_path_like_addresses_are_404_in_the_users_language(client, path):
    response = client.get(path + ("&" if "?" in path else "?") + "ui=es")
    assert response.status_code == 404
    assert "Página no encontrada" in response.text


def test_errors_are_shown_beside_their_field(client):
    response = client.post(
        "/leaflet/dialysis-fistula-creation?ui=en",
        data={
            "lang": "en",
            "print": "regular",
            "patient_name": "A" * 500,
            "date": "2026-02-30",
            "time": "09:30",
        },
    )
    assert response.status_code == 400
    page = response.text
    assert 'id="patient_name" name="patient_name" aria-invalid="true" aria-describedby="patient_name-error"' in page
    assert '<p class="error" id="patient_name-error">This is too long. Please shorten it.</p>' in page
    assert '<p class="error" id="date-error">This is not a real date and time.</p>' in page


def test_a_request_that_is_too_large_is_refused(client):
    response = client.post("/leaflet/dialysis-fistula-creation", data={"lang": "en", "note": "x" * 40_000})
    assert response.status_code == 413


def test_a_refused_translation_keeps_what_was_typed_and_offers_english(served, client):
    root, _ = served
    record = root / "content" / "procedures" / "foot-vein-arterialization.yaml"
    original = record.read_text()
    record.write_text(original.replace("summary: ", "summary: Edited today. ", 1))
    typed = {"lang": "vi", "print": "regular", "patient_name": "Ada Byron", "date": "", "time": "", "note": "Bring socks"}
    try:
        response = client.post("/leaflet/foot-vein-arterialization?ui=en", data=typed)
        assert response.status_code == 409 and response.headers["Cache-Control"] == "no-store"
        assert "This translation is not ready" in response.text
        assert 'value="Ada Byron"' in response.text and ">Bring socks</textarea>" in response.text
        assert 'name="instead" value="en"' in response.text and 'name="with_english"' in response.text
        english = client.post("/leaflet/foot-vein-arterialization?ui=en", data=typed | {"instead": "en"})
        assert english.status_code == 200 and "Ada Byron" in pdf_text(english.data)
    finally:
        record.write_text(original)


# -- a real browser ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(served):
    from waitress import create_server

    app = served[1]
    httpd = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=httpd.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.effective_port}"
    httpd.close()


def capture_posts(page) -> dict[str, object]:
    """Let the browser show the PDF as it would (in the new tab the form opens), and keep the bytes
    the server sent."""
    captured: dict[str, object] = {}

    def keep(route) -> None:
        if route.request.method != "POST" or route.request.headers.get("x-leaflets-check"):  # form.js's check in place
            route.continue_()
            return
        response = route.fetch()
        captured.update(
            status=response.status,
            type=response.headers.get("content-type"),
            body=response.body(),
            cache=response.headers.get("cache-control"),
            url=route.request.url,
        )
        route.fulfill(response=response)

    page.context.route("**/leaflet/**", keep)
    page.context.route("**/packet?**", keep)
    return captured


def wait_for(page, captured: dict[str, object], seconds: float = 30) -> None:
    """Let Playwright run the route handler until the POST's answer has been kept."""
    deadline = time.monotonic() + seconds
    while "status" not in captured and time.monotonic() < deadline:
        page.wait_for_timeout(100)


def test_search_choose_arabic_fill_in_and_get_the_pdf(browser, server, tmp_path):
    page = browser.new_page()
    captured = capture_posts(page)
    page.goto(server + "/?ui=en")
    page.get_by_label("Procedure name, other name or code").fill("fistula")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Making a fistula in your arm for dialysis").click()
    page.get_by_label("Language of the leaflet").select_option("ar")
    page.get_by_label("Patient's name").fill("Ada Lovelace")
    page.get_by_label("Date of the appointment").fill("2026-12-01")
    page.get_by_label("Time").fill("09:30")
    page.get_by_role("button", name="Create leaflet").click()
    wait_for(page, captured)
    assert (captured["status"], captured["type"], captured["cache"]) == (200, "application/pdf", "no-store")
    assert "Ada Lovelace" in pdf_text(captured["body"])
    assert "Ada" not in str(captured["url"]) and "Ada" not in page.url


def test_keyboard_only(browser, server, tmp_path):
    page = browser.new_page()
    captured = capture_posts(page)
    page.goto(server + "/?ui=es")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    for _ in range(8):  # to the search field
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    page.keyboard.type("riñón")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    for _ in range(12):  # to the first result
        page.keyboard.press("Tab")
        if "/leaflet/" in (page.evaluate("document.activeElement.getAttribute('href')") or ""):
            break
    with page.expect_navigation():
        page.keyboard.press("Enter")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "patient_name":
            break
    page.keyboard.type("Marie Curie")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "BUTTON":
            break
    page.keyboard.press("Enter")
    wait_for(page, captured)
    assert captured["status"] == 200
    assert "Marie Curie" in pdf_text(captured["body"])


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_the_form_fits_the_screen_in_english_and_arabic(browser, server, width):
    """Nothing wider than the screen, the form right to left in Arabic. To look at the pages too, set
    LEAFLETS_SCREENSHOTS to a folder: each page is saved there."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    for ui, direction in (("en", "ltr"), ("ar", "rtl")):
        page.goto(f"{server}/leaflet/dialysis-access-clot-removal?ui={ui}")
        assert page.locator("h1").inner_text()
        if os.environ.get("LEAFLETS_SCREENSHOTS"):
            page.screenshot(path=str(Path(os.environ["LEAFLETS_SCREENSHOTS"]) / f"form-{ui}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.dir") == direction
        assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_patients_name_is_nowhere_on_disk_or_in_the_logs(tmp_path):
    root = copy_project(REPO, tmp_path / "project")
    private_tmp, home = tmp_path / "tmp", tmp_path / "home"
    private_tmp.mkdir(), home.mkdir()
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(private_tmp), "HOME": str(home), "LANG": "C.UTF-8",
           "SOURCE_DATE_EPOCH": os.environ["SOURCE_DATE_EPOCH"]}  # the suite's "today" (conftest.py)
    server = subprocess.Popen(
        [sys.executable, "-m", "leaflets", "--root", str(root), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    name = "Zebulon Quixotic-Marchetti"
    try:
        wait_until_up(f"http://127.0.0.1:{port}/")
        form = urllib.parse.urlencode(
            {
                "lang": "fr",
                "print": "regular",
                "patient_name": name,
                "date": "2026-12-01",
                "time": "10:15",
                "location": "Salle 2",
                "note": "à jeun",
            }
        ).encode()
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/leaflet/coronary-blockage-opening", data=form, timeout=120
        ) as answer:
            assert answer.headers["Cache-Control"] == "no-store"
            (tmp_path / "answer.pdf").write_bytes(answer.read())
        assert name in pdf_text((tmp_path / "answer.pdf").read_bytes())
    finally:
        server.terminate()
        logs = server.communicate(timeout=20)[0]
    assert "POST /leaflet/coronary-blockage-opening 200" in logs
    assert "Zebulon" not in logs and "Salle 2" not in logs
    (tmp_path / "answer.pdf").unlink()
    for place in (root, private_tmp, home):
        holding = [p for p in place.rglob("*") if p.is_file() and b"Zebulon" in p.read_bytes()]
        assert holding == [], holding


@pytest.mark.timeout(900)  # whichever test asks first for built_example builds the clinic (60 PDFs) in its setup
def test_details_are_written_onto_the_prebuilt_leaflet_fast_and_stay_accessible(built_project, tmp_path):
    import pdfua

    from leaflets.checks.pdf import check_pdf

    project = Project(built_project)  # the example clinic, built (English and Arabic among its languages)
    pool = make_pool(project, "example", workers=1)
    try:
        client = create_app(project, "example", pool).test_client()
        for lang, large in (("ar", False), ("en", True)):
            response = client.post(
                "/leaflet/dialysis-fistula-creation",
                data={
                    "lang": lang,
                    "print": "large" if large else "regular",
                    "patient_name": "Ada Lovelace",
                    "date": "2026-12-01",
                    "time": "09:30",
                    "location": "Room 4",
                },
            )
            assert response.headers["X-Leaflets-Made"] == "prebuilt-with-details"
            target = tmp_path / f"{lang}.pdf"
            target.write_bytes(response.data)
            text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True).stdout
            assert "Ada Lovelace" in text and "Room 4" in text and "9:30" in text
            assert check_pdf(target) == [] and not pdfua.validate(str(target)).findings
        long_note = client.post("/leaflet/dialysis-fistula-creation", data={"lang": "en", "note": "A long note. " * 30})
        assert long_note.headers["X-Leaflets-Made"] == "rendered"  # too long for its line: laid out anew
    finally:
        pool.close()


def test_markup_in_a_patients_name_is_printed_as_text(client, tmp_path):
    name = '<b>Ann</b> "); @import url(http://127.0.0.1:9/); <script>x()</script>'
    response = client.post(
        "/leaflet/kidney-tube-tract-widening",
        data={
            "lang": "en",
            "print": "regular",
            "patient_name": name,
            "date": "",
            "time": "",
            "location": "",
            "bring": "",
            "note": "",
        },
    )
    assert response.status_code == 200
    assert name in pdf_text(response.data)


@pytest.mark.benchmark
@pytest.mark.timeout(900)  # whichever test asks first for built_example builds the clinic (60 PDFs) in its setup
def test_twenty_clients_with_valid_and_hostile_requests(built_example):
    """The load benchmark, shortened and serving a copy of the shared build: only intended statuses,
    memory bounded, no patient detail kept."""
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "web_load.py"), "--project", str(built_example),
         "--clients", "20", "--seconds", "4", "--warm-up", "2"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "unexpected statuses: 0; patient details found in: nothing" in done.stdout
    served = re.search(r"for \d+ s: (\d+) requests", done.stdout)
    assert served and int(served.group(1)) > 100, done.stdout  # every kind of request, from all twenty at once


def test_a_clinic_stylesheet_that_reaches_outside_stops_the_server_in_one_line(project):
    clinic_folder = project / "templates" / "clinics" / "example"
    clinic_folder.mkdir(parents=True)
    stylesheet = '@import url("file:///etc/passwd");\n' + (project / "templates" / "leaflet.css").read_text()
    (clinic_folder / "leaflet.css").write_text(stylesheet)
    done = subprocess.run(
        [sys.executable, "-m", "leaflets", "serve", "--port", str(free_port())],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stderr) == (
        1,
        "templates/clinics/example/leaflet.css:1: @import is not allowed in a leaflet's style\n",
    )
