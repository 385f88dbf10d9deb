"""Load balancers probe ``/health``, ``/health/live``, ``/health/startup`` and ``/health/ready`` with the
instance's IP address as Host.

``ALLOWED_HOSTS`` rightly rejects such a Host (a 400), and listing every instance's address would
open it for every path. So, for those paths only, when the Host is an IP literal that
``ALLOWED_HOSTS`` does not admit, the Host is replaced by an allowed name before Django builds the
request. It happens in a ``request_started`` receiver, before any middleware runs, rather than in a
middleware listed first: OpenTelemetry's Django middleware builds (and so validates) the absolute
URL of every request, and its instrumentor inserts it ahead of every line of ``MIDDLEWARE``. Every
other path, and any Host that is not an IP address, goes through host validation as before; the
probe views use no host.
"""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.urls import NoReverseMatch, get_script_prefix, reverse

PROBE_URL_NAMES = ("healthdash:liveness", "healthdash:live", "healthdash:startup", "healthdash:readiness")
DEBUG_HOSTS = [".localhost", "127.0.0.1", "[::1]"]  # what Django allows with DEBUG and no ALLOWED_HOSTS


def admit_ip_host_probes(sender, environ=None, scope=None, **kwargs) -> None:
    """``request_started`` receiver: for a probe path with an IP Host, give Django an allowed host."""
    if environ is not None:
        _admit_wsgi(environ)
    elif scope is not None and scope.get("type") == "http":
        _admit_asgi(scope)


def _admit_wsgi(environ: dict) -> None:
    if environ.get("PATH_INFO", "") not in probe_paths():
        return
    if settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in environ:
        return
    replacement = replacement_host(environ.get("HTTP_HOST", ""))
    if replacement:
        environ["HTTP_HOST"] = replacement


def _admit_asgi(scope: dict) -> None:
    path, root = scope.get("path", ""), scope.get("root_path", "")
    if path.removeprefix(root) not in probe_paths():
        return
    headers = list(scope.get("headers") or ())
    if settings.USE_X_FORWARDED_HOST and any(name == b"x-forwarded-host" for name, _ in headers):
        return
    host = next((value.decode("latin-1") for name, value in headers if name == b"host"), "")
    replacement = replacement_host(host)
    if replacement:
        scope["headers"] = [(name, replacement.encode() if name == b"host" else value) for name, value in headers]


def replacement_host(host: str) -> str | None:
    """An allowed host to use instead of `host`, when `host` is an IP literal ALLOWED_HOSTS rejects."""
    return _replacement(host, tuple(allowed_hosts())) if host else None


# A probe comes every few seconds with the same Host: parsing it each time was a tenth of liveness's
# cost. Bounded, so a stream of made-up Host headers cannot grow it.
@functools.lru_cache(maxsize=256)
def _replacement(host: str, allowed: tuple[str, ...]) -> str | None:
    if not is_ip_literal(host):
        return None
    if validate_host(split_domain_port(host)[0], allowed):
        return None
    for pattern in allowed:
        candidate = pattern.lstrip(".")
        if candidate and validate_host(candidate, allowed):
            return candidate
    return None


def is_ip_literal(host: str) -> bool:
    """Whether `host` (with or without a port) is an IPv4 address or a bracketed IPv6 address."""
    domain, _ = split_domain_port(host)
    if domain.startswith("["):
        domain = domain[1:-1]
    try:
        ipaddress.ip_address(domain)
    except ValueError:
        return False
    return True


def allowed_hosts() -> list[str]:
    """ALLOWED_HOSTS as Django applies it."""
    allowed = list(settings.ALLOWED_HOSTS)
    return DEBUG_HOSTS if settings.DEBUG and not allowed else allowed


@functools.cache
def probe_paths() -> frozenset[str]:
    """The paths of the probe views (without the script prefix); dropped when ROOT_URLCONF changes."""
    prefix = get_script_prefix()
    paths = set()
    for name in PROBE_URL_NAMES:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        paths.add("/" + url.removeprefix(prefix) if url.startswith(prefix) else url)
    return frozenset(paths)
