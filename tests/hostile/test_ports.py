"""Ports and addresses a user types: each mistake is one line naming the option, before anything listens."""

from __future__ import annotations

import pytest

from leaflets.errors import UsageError
from leaflets.model.addresses import check_host, check_port, check_scheduler


@pytest.mark.parametrize("port", ["0", "70000", "65536", "-1", "abc", "", "80.5", "\u0668\u0660\u0660\u0660",
                                  "\uff18\uff10", "9" * 5000])
def test_serve_on_a_port_that_is_not_one_is_one_line(cli, project, port):
    code, out, err = cli("--root", project, "serve", f"--port={port}")

    assert code == 1 and out == ""
    assert err.startswith("--port must be a port number from 1 to 65535, not ") and err.count("\n") == 1
    assert len(err) < 120


@pytest.mark.parametrize("host", ["bad host", "::1x", "a\x1bb", "-leading.example", "a" * 300, "1.2.3.4.5/8",
                                  "exa_mple.org", "\u0661\u0662\u0667.0.0.1"])
def test_serve_on_an_address_that_is_not_one_is_one_line(cli, project, host):
    code, _, err = cli("--root", project, "serve", f"--host={host}", "--allow-network")

    assert code == 1
    assert err.startswith("--host must be an IP address (such as 127.0.0.1 or ::1) or a host name") and "\x1b" not in err


@pytest.mark.parametrize(("given", "expected"), [
    ("127.0.0.1", "127.0.0.1"), ("::1", "::1"), ("[::1]", "::1"), ("localhost", "localhost"),
    ("leaflets.clinic.example", "leaflets.clinic.example"),
])
def test_addresses_that_are_fine(given, expected):
    assert check_host(given) == expected


@pytest.mark.parametrize("port", ["1", "8000", "65535", 443])
def test_ports_that_are_fine(port):
    assert check_port(port) == int(port)


@pytest.mark.parametrize(("address", "problem"), [
    ("garbage", "--scheduler must be an address such as tcp://10.0.0.5:8786"),
    ("http://10.0.0.5:8786", "--scheduler must be an address such as tcp://10.0.0.5:8786"),
    ("tls://10.0.0.5:8786", "--scheduler must be an address such as tcp://10.0.0.5:8786"),
    ("tcp://10.0.0.5:99999", "--scheduler must be a port number from 1 to 65535"),
    ("tcp://10.0.0.5:0", "--scheduler must be a port number from 1 to 65535"),
    ("tcp://bad host:8786", "--scheduler must be an IP address"),
])
def test_a_scheduler_address_that_is_not_one_is_refused_before_connecting(address, problem):
    with pytest.raises(UsageError, match=problem.replace(".", r"\.")):
        check_scheduler(address)


def test_a_scheduler_address_gives_its_host_and_port():
    assert check_scheduler("tcp://10.0.0.5:8786") == ("10.0.0.5", 8786)
    assert check_scheduler("scheduler.clinic.example:8786") == ("scheduler.clinic.example", 8786)
    assert check_scheduler("tcp://[::1]:8786") == ("::1", 8786)
