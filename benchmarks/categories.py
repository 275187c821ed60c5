"""The cases benchmarks/hostile.py runs, a few of every category (the tests in tests/hostile/ hold more).

Each case: (category, what it is, a function that sets it up in a copy of the project and returns
the function that undoes it, the command's arguments).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from helpers import free_port, wait_until_up  # noqa: E402  (the tests' own helpers, as scale.py uses them)

CATALOG = Path("locales") / "es" / "LC_MESSAGES" / "messages.po"
RECORD = Path("content") / "procedures" / "dialysis-fistula-creation.yaml"
APPROVALS = Path("content") / "approvals" / "dialysis-fistula-creation.yaml"
Undo = Callable[[], None]


def nothing(root: Path) -> Undo:
    return lambda: None


def rewritten(relative: Path, change: Callable[[bytes], bytes]) -> Callable[[Path], Undo]:
    def prepare(root: Path) -> Undo:
        path = root / relative
        before = path.read_bytes() if path.exists() else None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(change(before or b""))
        return lambda: path.write_bytes(before) if before is not None else path.unlink()
    return prepare


def translated(english: str, translation: str) -> Callable[[Path], Undo]:
    pattern = re.compile(rf'(msgid "{re.escape(english)}"\nmsgstr )".*"'.encode())
    return rewritten(CATALOG, lambda text: pattern.sub(rb'\1"' + translation.encode() + b'"', text, count=1))


def version(text: str) -> Callable[[Path], Undo]:
    return rewritten(RECORD, lambda record: record.replace(b'version: "1.0"', f'version: "{text}"'.encode(), 1))


def fifo(relative: str) -> Callable[[Path], Undo]:
    """A named pipe where a file is read (the file there, if any, put aside)."""
    def prepare(root: Path) -> Undo:
        path = root / relative
        aside = path.with_name(path.name + ".aside")
        if path.exists():
            path.rename(aside)
        os.mkfifo(path)

        def undo() -> None:
            path.unlink()
            if aside.exists():
                aside.rename(path)
        return undo
    return prepare


def no_clinic(root: Path) -> Undo:
    clinic = root / "content" / "clinics" / "example.yaml"
    kept = clinic.rename(clinic.with_suffix(".kept"))
    return lambda: kept.rename(clinic)


def approval_on(day: str) -> Callable[[Path], Undo]:
    return rewritten(APPROVALS, lambda _: (f'approvals:\n- lang: en\n  version: "1.0"\n  fingerprint: {"a" * 64}\n'
                                           f"  by: Dr Ana Ruiz\n  role: Nephrologist\n  date: {day}\n").encode())


def silent_server(root: Path) -> Undo:
    """Something that accepts connections where the scheduler should be, and never says a word."""
    server = socket.create_server(("127.0.0.1", SILENT_PORT))
    threading.Thread(target=lambda: [server.accept() for _ in range(3)], daemon=True).start()
    return server.close


SILENT_PORT, CLOSED_PORT = free_port(), free_port()
BUILD_ES = ["build", "dialysis-fistula-creation", "--lang", "es", "--output", "out.pdf"]

CASES: list[tuple[str, str, Callable[[Path], Undo], list[str]]] = [
    ("sizes", "a translation asking for a 1 GB width", translated("Page %(page)s of %(pages)s",
                                                                  "Página %(page)999999999s de %(pages)s"), BUILD_ES),
    ("sizes", "a record translation with {x:>999999999}", translated(
        "Opening a long-term blockage in a heart artery", "Abrir {x:>999999999}"), BUILD_ES),
    ("sizes", "a version 5,000 digits long", version("1." + "9" * 5000), ["list"]),
    ("sizes", "review --since 10,000 digits", nothing, ["review", "dialysis-fistula-creation", "--since", "9" * 10_000]),
    ("encodings", "a catalog that is not UTF-8", rewritten(CATALOG, lambda t: t.replace(b'msgstr "P', b'msgstr "\xff', 1)),
     BUILD_ES),
    ("encodings", "a termbase that is not UTF-8", rewritten(Path("locales/es/termbase.csv"),
                                                            lambda _: b"english,approved,note\nfistula,f\xedstula,\n"),
     ["check"]),
    ("encodings", "an approvals file that is not UTF-8", rewritten(APPROVALS, lambda _: b"approvals: []\n# caf\xe9\n"),
     ["list"]),
    ("encodings", "a version in Arabic-Indic digits", version("\u0661.\u0660"), ["list"]),
    ("encodings", "a version in fullwidth digits", version("\uff11.\uff10"), ["list"]),
    ("special files", "check --pdf of a named pipe", fifo("pipe.pdf"), ["check", "--pdf", "pipe.pdf"]),
    ("special files", "check --pdf /dev/zero", nothing, ["check", "--pdf", "/dev/zero"]),
    ("special files", "check --pdf of a folder", nothing, ["check", "--pdf", "content"]),
    ("special files", "a termbase that is a named pipe", fifo("locales/es/termbase.csv"), ["check"]),
    ("controls", "an id with escape sequences and bidi", nothing, ["build", "a\x1b[2J\x1b]0;pwned\x07b\u202e"]),
    ("controls", "a record title with a bidi override", rewritten(
        RECORD, lambda t: re.sub(rb"^title: (.*)$", "title: \u202e\\1".encode(), t, count=1, flags=re.M)), ["list"]),
    ("dates", "an approval dated tomorrow", approval_on("2099-01-01"), ["list"]),
    ("ports", "serve --port 0", nothing, ["serve", "--port", "0"]),
    ("ports", "serve --port 70000", nothing, ["serve", "--port", "70000"]),
    ("ports", "serve --port -1", nothing, ["serve", "--port=-1"]),
    ("ports", "serve --port abc", nothing, ["serve", "--port", "abc"]),
    ("addresses", "serve --host 'bad host'", nothing, ["serve", "--host", "bad host", "--allow-network"]),
    ("network", "a scheduler nobody listens for", nothing,
     ["build", "--all", "--scheduler", f"tcp://127.0.0.1:{CLOSED_PORT}"]),
    ("network", "a scheduler address that never answers", silent_server,
     ["build", "--all", "--scheduler", f"tcp://127.0.0.1:{SILENT_PORT}"]),
    ("network", "a scheduler address that is not one", nothing, ["build", "--all", "--scheduler", "garbage"]),
    ("missing files", "i18n status without a clinic file", no_clinic, ["i18n", "status"]),
]


def slow_clients(root: Path, clients: int = 100) -> tuple[str, float]:
    """``leaflets serve``; a hundred clients trickling their headers; the time a normal request then takes."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "leaflets", "--root", str(root), "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    slow: list[socket.socket] = []
    try:
        wait_until_up(f"http://127.0.0.1:{port}/")
        for _ in range(clients):
            client = socket.create_connection(("127.0.0.1", port))
            client.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: 1\r\n".encode())
            slow.append(client)
        started = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as answer:
            status = answer.status
        return f"HTTP {status}", time.perf_counter() - started
    except OSError as exc:
        return f"not served: {exc}", float("nan")
    finally:
        for client in slow:
            client.close()
        server.terminate()
        server.wait(timeout=30)

