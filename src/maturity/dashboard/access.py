"""Who may reach a server: the Host names it answers to and the secret link token.

A server answers only requests whose ``Host`` header names it: loopback names by default,
plus the interface it was told to bind and any name the operator allows. That is what
stops DNS rebinding (a foreign page resolving its own name to 127.0.0.1 and talking to the
server with the visitor's browser). A server reachable beyond loopback also requires a
secret token in the link; it is printed at start-up and compared in constant time. And what
a server tells a browser names no file of the machine it runs on (:func:`public_message`).
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import secrets
from collections.abc import Iterable

#: Names that always reach a server bound to loopback.
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

#: Interfaces that mean "every interface".
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})

#: Query parameter and cookie that carry the link token.
TOKEN_PARAMETER = "token"

#: Environment variable that hands the link token to the server process (argv is public).
ENV_TOKEN = "MATURITY_DASHBOARD_TOKEN"

#: A dashboard server's status endpoint: kernel counts as JSON, and it takes no kernel.
STATUS_PATH = "/maturity/status"


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without its port and brackets, in lower case.

    Examples
    --------
    >>> host_name("Example.org:8866"), host_name("[::1]:8866"), host_name("localhost")
    ('example.org', '::1', 'localhost')
    """
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    if header.count(":") == 1:
        return header.rsplit(":", 1)[0]
    return header  # a bare name, or a bare IPv6 address without a port


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or address) only ever reaches this machine."""
    name = host_name(host)
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def allowed_hosts(bind_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """Host names a server bound to ``bind_host`` answers to.

    Loopback names always; the bound interface itself unless it is a wildcard
    (``0.0.0.0`` names no host a browser would send); and every name in ``extra``
    (``--allow-host``, for example the public name a reverse proxy forwards).
    """
    names = set(LOOPBACK_NAMES)
    if bind_host not in WILDCARD_HOSTS:
        names.add(host_name(bind_host))
    names.update(host_name(name) for name in extra if name.strip())
    return frozenset(names)


def host_allowed(header: str | None, allowed: Iterable[str]) -> bool:
    """Whether a request's ``Host`` header names one of the ``allowed`` hosts."""
    if not header:
        return False
    return host_name(header) in set(allowed)


def needs_token(bind_host: str) -> bool:
    """Whether a server bound to ``bind_host`` must require a link token (anything not loopback)."""
    return bind_host in WILDCARD_HOSTS or not is_loopback(bind_host)


def new_token() -> str:
    """A fresh secret link token (32 URL-safe characters, 192 bits)."""
    return secrets.token_urlsafe(24)


def token_matches(given: str | None, expected: str) -> bool:
    """Compare a presented token with the expected one in constant time."""
    if not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def tls_warning(url: str) -> str:
    """The start-up warning for a server reachable beyond this machine."""
    return (
        f"WARNING: {url} is reachable from other machines over plain HTTP: anyone on the network "
        "path can read the pages and the link token. Serve it behind a reverse proxy with TLS "
        "(see the documentation on serving to a crowd) and share only the https:// link."
    )


#: An absolute file path in a message (POSIX or Windows), up to the next space or quote.
_ABSOLUTE_PATH = re.compile(r"""(?<![\w/])(?:[A-Za-z]:\\|/)[^\s'"`]*[/\\]([^\s'"`/\\]+)""")


def public_message(text: str) -> str:
    """``text`` with every absolute file path cut to its last part, for a browser.

    The operator's log keeps the full message; a visitor learns nothing about the machine.

    Examples
    --------
    >>> public_message("no wave '2030' in /srv/kit/outputs/benchmark.duckdb; waves: 2025")
    "no wave '2030' in benchmark.duckdb; waves: 2025"
    """
    return _ABSOLUTE_PATH.sub(lambda m: m.group(1), text)
