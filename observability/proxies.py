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
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.exceptions import MiddlewareNotUsed

from observability.parsing import Problem, cached_until_changed, setting_dict, shown

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseBase

SETTINGS_NAME = "OBSERVABILITY"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted_proxies(raw: Mapping[str, object]) -> tuple[tuple[Network, ...], list[Problem]]:
    """The networks of ``TRUSTED_PROXIES`` (a list, or a comma-separated string); none when unset."""
    value = raw.get("TRUSTED_PROXIES")
    if value is None:
        return (), []
    entries = value.split(",") if isinstance(value, str) else value
    networks, bad = [], []
    for entry in entries if isinstance(entries, list | tuple) else [entries]:
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            bad.append(entry)
    if isinstance(value, str):
        bad = [entry for entry in bad if str(entry).strip()]  # "a, ,b" and a trailing comma are fine
    if not bad:
        return tuple(networks), []
    return (), [Problem("observability.E080", "TRUSTED_PROXIES",
                        f"TRUSTED_PROXIES must list IP addresses or networks, got {shown(bad[0])}.",
                        "For example 10.0.0.5,192.168.0.0/16 (the proxies in front of the service); "
                        "leave it empty to trust no proxy.")]


@cached_until_changed(SETTINGS_NAME)
def _parsed() -> tuple[tuple[Network, ...], list[Problem]]:
    return parse_trusted_proxies(setting_dict(SETTINGS_NAME))


def trusted_proxies() -> tuple[Network, ...]:
    """The networks whose ``X-Forwarded-For`` is believed."""
    return _parsed()[0]


def trusted_proxy_problems() -> list[Problem]:
    """Problems of ``TRUSTED_PROXIES``."""
    return list(_parsed()[1])


def _is_trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str, forwarded_for: str | None, networks: Sequence[Network]) -> str:
    """The client's address: `peer`, or the rightmost address of `forwarded_for` that is not a trusted proxy."""
    if not forwarded_for or not networks or not _is_trusted(peer, networks):
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
        if not self.networks:  # nobody's X-Forwarded-For is believed: nothing to do on any request
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        meta = request.META
        meta["REMOTE_ADDR"] = client_address(meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR"),
                                             self.networks)
        return self.get_response(request)
