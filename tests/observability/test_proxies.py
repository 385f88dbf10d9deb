"""The client's address: X-Forwarded-For believed from TRUSTED_PROXIES only."""

from __future__ import annotations

import ipaddress

import pytest

from observability.proxies import client_address, parse_trusted_proxies

NETWORKS = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128"))


@pytest.mark.parametrize(("peer", "forwarded", "expected"), [
    ("10.1.1.1", "203.0.113.7", "203.0.113.7"),                 # one trusted proxy
    ("10.1.1.1", "198.51.100.1, 203.0.113.7, 10.2.2.2", "203.0.113.7"),  # the client's own claim is skipped
    ("10.1.1.1", "10.3.3.3, 10.2.2.2", "10.3.3.3"),              # every hop trusted: the first
    ("203.0.113.9", "1.2.3.4", "203.0.113.9"),                  # an untrusted peer cannot choose its address
    ("10.1.1.1", None, "10.1.1.1"),
    ("10.1.1.1", "not-an-address", "10.1.1.1"),
    ("::1", "2001:db8::5", "2001:db8::5"),
])
def test_client_address(peer, forwarded, expected):
    assert client_address(peer, forwarded, NETWORKS) == expected


def test_nobody_is_trusted_by_default():
    assert client_address("127.0.0.1", "1.2.3.4", ()) == "127.0.0.1"
    assert parse_trusted_proxies({}) == ((), [])


def test_parsing_accepts_addresses_networks_and_lists():
    networks, problems = parse_trusted_proxies({"TRUSTED_PROXIES": "10.0.0.5, 192.168.0.0/16,"})
    assert problems == []
    assert [str(n) for n in networks] == ["10.0.0.5/32", "192.168.0.0/16"]
    assert parse_trusted_proxies({"TRUSTED_PROXIES": ["::1"]})[0] == (ipaddress.ip_network("::1"),)


def test_a_bad_entry_is_e080_naming_it():
    networks, problems = parse_trusted_proxies({"TRUSTED_PROXIES": "10.0.0.5,lb.internal"})
    assert networks == ()
    assert [(p.id, p.variable) for p in problems] == [("observability.E080", "TRUSTED_PROXIES")]
    assert "'lb.internal'" in problems[0].message


def test_the_middleware_sets_remote_addr(client, settings):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "TRUSTED_PROXIES": "127.0.0.1"}
    from django.test import RequestFactory

    from observability.proxies import ClientAddressMiddleware

    seen = {}
    middleware = ClientAddressMiddleware(lambda request: seen.setdefault("addr", request.META["REMOTE_ADDR"]))
    middleware(RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7"))
    assert seen["addr"] == "203.0.113.7"


def test_without_trusted_proxies_the_middleware_leaves_the_chain(client, settings):
    from django.core.exceptions import MiddlewareNotUsed

    from observability.proxies import ClientAddressMiddleware

    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "TRUSTED_PROXIES": ""}
    with pytest.raises(MiddlewareNotUsed):
        ClientAddressMiddleware(lambda request: None)
    # The handler drops it: X-Forwarded-For counts for nothing.
    seen = client.get("/health", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert seen.wsgi_request.META["REMOTE_ADDR"] == "127.0.0.1"


@pytest.mark.parametrize("everyone", ["0.0.0.0/0", "10.0.0.1, ::/0"])
def test_trusting_every_address_is_e082(everyone):
    networks, problems = parse_trusted_proxies({"TRUSTED_PROXIES": everyone})
    assert networks == ()
    assert [(p.id, p.variable) for p in problems] == [("observability.E082", "TRUSTED_PROXIES")]
    assert "not every address" in problems[0].message


def test_unix_trusts_a_peer_on_a_unix_socket_only():
    networks, problems = parse_trusted_proxies({"TRUSTED_PROXIES": "unix, 10.0.0.5"})
    assert (networks, problems) == (("unix", ipaddress.ip_network("10.0.0.5")), [])
    assert client_address("", "203.0.113.7", networks) == "203.0.113.7"  # gunicorn on unix:/path
    assert client_address("10.0.0.5", "203.0.113.7", networks) == "203.0.113.7"
    assert client_address("203.0.113.9", "1.2.3.4", networks) == "203.0.113.9"
    assert client_address("10.0.0.5", "unix, 203.0.113.7", networks) == "203.0.113.7"  # never a hop
    assert client_address("", "1.2.3.4", NETWORKS) == ""  # without unix, a socket peer is nobody's proxy


def test_the_middleware_keeps_the_proxy_for_the_limits(settings):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "TRUSTED_PROXIES": "unix"}
    from django.test import RequestFactory

    from observability.proxies import PROXY_META, ClientAddressMiddleware

    seen = {}
    middleware = ClientAddressMiddleware(lambda request: seen.update(request.META))
    middleware(RequestFactory().get("/", REMOTE_ADDR="", HTTP_X_FORWARDED_FOR="203.0.113.7"))
    assert (seen["REMOTE_ADDR"], seen[PROXY_META]) == ("203.0.113.7", "unix")
    seen.clear()
    middleware(RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7"))
    assert (seen["REMOTE_ADDR"], PROXY_META in seen) == ("127.0.0.1", False)  # not forwarded by a proxy
