"""What keeps leaflets fast, as behaviour: commands load only what they use, the cache is keyed by
what files hold (and survives a broken entry), and the web page's render workers live as long as it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from helpers import edit_record, set_languages
from leaflets.build.ondemand import PoolStarting
from leaflets.model.cache import FOLDER, RACY_SECONDS
from leaflets.model.project import Project

RECORD = "dialysis-fistula-creation"
HEAVY = ("weasyprint", "pikepdf", "fontTools.subset")


def settled(project: Path) -> None:
    """Every record's time of change moved back past the racy window, so its reading is cached."""
    past = time.time() - 10 * RACY_SECONDS
    for record in (project / "content" / "procedures").glob("*.yaml"):
        os.utime(record, (past, past))


def heavy_modules_loaded_by(project: Path, *args: str) -> list[str]:
    """Which of the PDF tools a fresh process running ``leaflets ARGS`` imported."""
    script = ("import sys, contextlib, io\nfrom leaflets.cli import main\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n    main(sys.argv[1:])\n"
              f"print([name for name in {HEAVY!r} if name in sys.modules])")
    done = subprocess.run([sys.executable, "-c", script, "--root", str(project), *args],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1].replace("'", '"'))


def test_list_check_and_i18n_status_never_load_the_pdf_tools(project):
    set_languages(project, "en")
    assert heavy_modules_loaded_by(project, "list") == []
    assert heavy_modules_loaded_by(project, "i18n", "status") == []
    assert heavy_modules_loaded_by(project, "check") == []


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
