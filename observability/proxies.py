"""The client's address behind trusted proxies: ``X-Forwarded-For`` counts only when they sent it.

``OBSERVABILITY["TRUSTED_PROXIES"]`` (``TRUSTED_PROXIES``: addresses or networks, comma-separated;
empty by default, trusting nobody) names the proxies in front of the service. When a request comes
from one of them, ``ClientAddressMiddleware`` walks ``X-Forwarded-For`` from the right past every
trusted hop and puts the first other address in ``REMOTE_ADDR``, so the server span, Django, the
throttles, the limit on failed authentication and gunicorn's access log (which reads the same WSGI
environ) all see the client: it is the first observability middleware in ``MIDDLEWARE``
(``observability.pipeline``), and leaves the chain when no proxy is trusted. From anyone else the
header is ignored: a client cannot choose its own address. The scheme is Django's
``SECURE_PROXY_SSL_HEADER``'s business.

``unix`` among them trusts a peer on a unix socket (gunicorn bound to ``unix:/path``, which gives no
address, behind the proxy that owns the socket). A network holding every address (``0.0.0.0/0``,
``::/0``) is refused (``observability.E082``): it would let anyone choose the address the logs,
throttles and the limit on failed authentication see. The proxy a client came through is kept in
``request.META[PROXY_META]``, so that limits can count what one proxy forwards as a whole.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from observability.parsing import Invalid, Problem, Reader, Running, Variable, must
from observability.pipeline import set_up_middleware

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseBase

SETTINGS_NAME = "OBSERVABILITY"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNIX = "unix"  # the entry that trusts a peer on a unix socket
PROXY_META = "observability.proxy_addr"  # the trusted proxy a request was forwarded by


def networks(value: object, name: str) -> tuple[Network | str, ...]:
    """The networks of a list, or of a comma-separated string ("a, ,b" and a trailing comma are fine)."""
    entries = value.split(",") if isinstance(value, str) else value
    entries = entries if isinstance(entries, list | tuple) else [entries]
    parsed: list[Network | str] = []
    for entry in entries:
        if isinstance(value, str) and not str(entry).strip():
            continue
        if str(entry).strip().lower() == UNIX:
            parsed.append(UNIX)
            continue
        try:
            network = ipaddress.ip_network(str(entry).strip(), strict=False)
        except ValueError:
            raise Invalid(must(name, "a list of IP addresses or networks, or unix", entry)) from None
        if network.prefixlen == 0:
            raise Invalid(f"{name} must name the proxies in front of the service, not every address: "
                          f"got {str(entry).strip()!r}, which lets any client choose its own address.",
                          problem_id="observability.E082",
                          hint="List the proxies' own addresses or networks (10.0.0.0/8 for a private network), "
                               "or unix for a proxy on gunicorn's unix socket.")
        parsed.append(network)
    return tuple(parsed)


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple[Network | str, ...] = ()


TRUSTED_PROXIES = Variable("TRUSTED_PROXIES", "networks", networks, "observability.E080",
                           "For example 10.0.0.5,192.168.0.0/16 (the proxies in front of the service), or unix; "
                           "leave it empty to trust no proxy.")


def parse_trusted_proxies(raw: Mapping[str, object], environ: Mapping[str, str] | None = None,
                          ) -> tuple[tuple[Network | str, ...], list[Problem]]:
    """The networks of ``TRUSTED_PROXIES``; none when unset or invalid."""
    r = Reader(raw, environ, SETTINGS_NAME)
    r.read(TRUSTED_PROXIES)
    return TrustedProxies(**r.values).networks, r.problems


RUNNING = Running(SETTINGS_NAME, parse_trusted_proxies)


def trusted_proxies() -> tuple[Network | str, ...]:
    """The networks whose ``X-Forwarded-For`` is believed."""
    return RUNNING.config()


def trusted_proxy_problems() -> list[Problem]:
    """Problems of ``TRUSTED_PROXIES``."""
    return RUNNING.problems()


def _is_trusted(address: str, networks: Sequence[Network | str]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in network for network in networks if network != UNIX)


def _is_trusted_peer(peer: str, networks: Sequence[Network | str]) -> bool:
    """A trusted address, or, with ``unix`` trusted, a peer with no IP address: a unix socket's."""
    return _is_trusted(peer, networks) or (UNIX in networks and not _is_valid(peer.strip().strip("[]")))


def client_address(peer: str, forwarded_for: str | None, networks: Sequence[Network | str]) -> str:
    """The client's address: `peer`, or the rightmost address of `forwarded_for` that is not a trusted proxy."""
    if not forwarded_for or not networks or not _is_trusted_peer(peer, networks):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return hop if _is_valid(hop) else peer
    return hops[0] if hops and _is_valid(hops[0]) else peer


def _is_valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


class ClientAddressMiddleware:
    """Puts the client's address (behind ``TRUSTED_PROXIES``) in ``REMOTE_ADDR``; sync and async."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.networks = trusted_proxies()
        # Nobody's X-Forwarded-For is believed without networks: nothing to do on any request.
        set_up_middleware(self, get_response, bool(self.networks))

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        meta = request.META
        peer = meta.get("REMOTE_ADDR", "")
        meta["REMOTE_ADDR"] = client_address(peer, meta.get("HTTP_X_FORWARDED_FOR"), self.networks)
        if meta["REMOTE_ADDR"] != peer:
            meta[PROXY_META] = peer or UNIX
        return self.get_response(request)
