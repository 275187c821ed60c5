"""Network addresses a user types: the web page's ``--host`` and ``--port``, a Dask scheduler's address.

Each is checked before anything listens or connects, so a mistake is one line naming the option,
never a traceback, a silently different port (0 means "any free port") or a wait on a name that
cannot exist.
"""

from __future__ import annotations

import ipaddress
import re

from leaflets.errors import UsageError

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
MAX_HOST = 253  # the longest DNS name
SCHEMES = ("tcp",)  # leaflets passes Dask no TLS settings, so tls:// could never connect


def check_port(text: str | int, option: str = "--port") -> int:
    """A TCP port, 1 to 65535, written in ASCII digits."""
    shown = str(text)
    if not (shown.isascii() and shown.isdigit()) or len(shown) > 5 or not 1 <= int(shown) <= 65535:
        raise UsageError(f"{option} must be a port number from 1 to 65535, not {shown[:20]!a}")
    return int(shown)


def check_host(text: str, option: str = "--host") -> str:
    """An IPv4 or IPv6 address (brackets allowed) or a DNS name of ASCII letters, digits, hyphens and dots."""
    if _is_ip(text.removeprefix("[").removesuffix("]")) or _is_dns_name(text):
        return text.removeprefix("[").removesuffix("]")
    raise UsageError(f"{option} must be an IP address (such as 127.0.0.1 or ::1) or a host name (such as "
                     f"localhost), not {text[:40]!a}")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_dns_name(text: str) -> bool:
    name = text.removesuffix(".")
    return 0 < len(name) <= MAX_HOST and all(_LABEL.match(label) for label in name.split("."))


def check_scheduler(address: str) -> tuple[str, int]:
    """The host and port of a Dask scheduler's address, ``tcp://HOST:PORT`` (or ``HOST:PORT``)."""
    option = "--scheduler"
    scheme, _, rest = address.rpartition("://")
    host, colon, port = rest.rpartition(":")
    if (scheme and scheme not in SCHEMES) or not colon or not host:
        raise UsageError(f"{option} must be an address such as tcp://10.0.0.5:8786 (tcp://, a host and a "
                         f"port), not {address[:60]!a}")
    return check_host(host, option), check_port(port, option)
