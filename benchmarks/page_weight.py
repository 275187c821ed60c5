#!/usr/bin/env python3
"""What the clinicians' page costs a slow link and a small screen, measured in Chromium.

    .venv/bin/python benchmarks/page_weight.py [--root PROJECT]

Starts `leaflets serve` for the project on a free loopback port and, for the search page and a
leaflet form in English, Arabic and Chinese, prints: the bytes a first visit transfers (Chromium's
own count, headers included, nothing cached), and document.documentElement.scrollWidth at 320 CSS px
(1280 px at 400 % zoom) and on a 375 px phone. Targets: under 300 KB; scrollWidth no wider than the screen.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from helpers import free_port, wait_until_up  # noqa: E402  (the tests' own helpers)

PAGES = {"search": "/?ui={ui}", "form": "/leaflet/dialysis-access-clot-removal?ui={ui}"}
LANGUAGES = ("en", "ar", "zh_Hans")
WIDTHS = (320, 375)


def first_visit_bytes(browser, url: str) -> int:
    """Everything a fresh browser downloads to show ``url``: Chromium's encoded sizes, headers included."""
    context = browser.new_context()
    page = context.new_page()
    session = context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.setCacheDisabled", {"cacheDisabled": True})
    sizes: dict[str, float] = {}
    session.on("Network.loadingFinished", lambda event: sizes.__setitem__(event["requestId"], event["encodedDataLength"]))
    page.goto(url, wait_until="networkidle")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.wait_for_timeout(300)
    context.close()
    return int(sum(sizes.values()))


def scroll_width(browser, url: str, width: int) -> int:
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(url, wait_until="networkidle")
    measured = page.evaluate("document.documentElement.scrollWidth")
    page.close()
    return measured


def measure(base: str) -> list[tuple[str, str, int, dict[int, int]]]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        for name, path in PAGES.items():
            for ui in LANGUAGES:
                url = base + path.format(ui=ui)
                rows.append((name, ui, first_visit_bytes(browser, url),
                             {width: scroll_width(browser, url, width) for width in WIDTHS}))
        browser.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=str(REPO), help="the project to serve (default: this repository)")
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "leaflets", "--root", args.root, "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ | {"PYTHONUNBUFFERED": "1"})
    try:
        wait_until_up(f"http://127.0.0.1:{port}/")
        rows = measure(f"http://127.0.0.1:{port}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print(f"{'page':8} {'lang':8} {'first visit':>12} " + " ".join(f"{'width@' + str(w):>10}" for w in WIDTHS))
    for name, ui, size, widths in rows:
        print(f"{name:8} {ui:8} {size / 1024:>9.0f} KB " + " ".join(f"{widths[w]:>10}" for w in WIDTHS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
