"""Network waits are bounded: an unreachable or silent Dask scheduler is one line within seconds, and a
hundred slow clients cannot starve a clinician's request to the page."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from helpers import free_port, wait_until_up

SLOW_CLIENTS = 100


def leaflets(*args: str | Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "leaflets", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, check=False)


@contextmanager
def listening(answer: bytes | None) -> Iterator[int]:
    """A server on a free port that accepts connections and says ``answer`` (None: nothing at all)."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            held.append(connection)
            if answer is not None:
                connection.sendall(answer)

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()
        for connection in held:
            connection.close()


def test_a_scheduler_nobody_listens_for_is_one_line(project):
    done = leaflets("--root", project, "build", "--all", "--scheduler", f"tcp://127.0.0.1:{free_port()}", timeout=30)

    assert done.returncode == 1
    assert done.stderr.startswith("cannot reach the Dask scheduler at tcp://127.0.0.1:") and "Connection refused" in done.stderr
    assert done.stderr.count("\n") == 1


def test_a_scheduler_address_that_accepts_and_says_nothing_is_one_line_within_seconds(project):
    with listening(None) as port:
        done = leaflets("--root", project, "build", "--all", "--scheduler", f"tcp://127.0.0.1:{port}", timeout=30)

    assert done.returncode == 1
    assert done.stderr == (f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}: no Dask scheduler answered "
                           "within 3 s; is it running, and is the address right?\n")


def test_a_web_server_where_the_scheduler_should_be_is_one_line(project):
    with listening(b"HTTP/1.0 426 Upgrade Required\r\nserver: proxy\r\n\r\n") as port:
        done = leaflets("--root", project, "build", "--all", "--scheduler", f"tcp://127.0.0.1:{port}", timeout=30)

    assert done.returncode == 1
    assert done.stderr == (f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}: what answers there does not "
                           "speak Dask's protocol; is it running, and is the address right?\n")


def test_i18n_status_without_a_clinic_file_is_one_line(cli, project):
    for clinic in (project / "content" / "clinics").glob("*.yaml"):
        clinic.unlink()

    code, _, err = cli("--root", project, "i18n", "status")

    assert code == 1
    assert err.endswith("content/clinics: no clinic file; leaflets need one to be made\n") and err.count("\n") == 1


@pytest.fixture
def page(project) -> Iterator[str]:
    """``leaflets serve`` in its own process, as a clinic runs it."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "leaflets", "--root", str(project), "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "LANG": "C.UTF-8"})
    try:
        wait_until_up(f"http://127.0.0.1:{port}/")
        yield f"127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_hundred_slow_clients_do_not_starve_a_clinicians_request(page):
    host, port = page.split(":")
    stop = threading.Event()
    slow = [socket.create_connection((host, int(port)), timeout=5) for _ in range(SLOW_CLIENTS)]

    def trickle() -> None:  # slowloris: a header line now and then, never the blank line that ends them
        for client in slow:
            client.sendall(f"GET / HTTP/1.1\r\nHost: {page}\r\n".encode())
        while not stop.wait(1):
            for client in slow:
                with suppress(OSError):
                    client.sendall(b"X-Slow: 1\r\n")

    threading.Thread(target=trickle, daemon=True).start()
    try:
        with urllib.request.urlopen(f"http://{page}/", timeout=10) as answer:
            assert answer.status == 200 and b"<html" in answer.read()
    finally:
        stop.set()
        for client in slow:
            client.close()


def test_a_connection_that_says_nothing_is_dropped(page):
    host, port = page.split(":")
    with socket.create_connection((host, int(port)), timeout=30) as silent:
        assert silent.recv(1) == b""  # the server closed it (after 10 s, looked for every 2 s)
