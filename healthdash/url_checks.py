"""``HEALTH_URL_CHECKS``: upstream URLs checked like any other service, one non-critical service each.

``name=https://host/path,other=http://...``: each entry registers a service `name` whose check
GETs the URL, without following redirects: a 2xx or 3xx answer is up, any other answer (or none
within ``HEALTH_CHECK_TIMEOUT``) is down. A URL may carry credentials (``https://user:pw@host``)
or a token in its query: the page, the dashboard, the log and every message show it masked, and
its password is one of the configured secrets the redactor masks wherever it appears.
"""

from __future__ import annotations

import base64
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

from healthdash.status import CheckResult
from observability.parsing import Invalid, as_http_url
from observability.redaction import mask_url, url_secrets

__all__ = ["NAME", "UrlCheck", "parse_url_checks", "url_check_secrets"]

NAME = re.compile(r"[a-z0-9_-]{1,64}")
EXAMPLE = "search=https://search.internal/health,payments=http://payments:8080/ping"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is an answer of the upstream (up), not a request to make elsewhere."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def parse_url_checks(value: object, name: str) -> dict[str, str]:
    """``{service name: URL}`` from `value` (``name=url`` entries separated by commas, or a dict)."""
    entries = list(value.items()) if isinstance(value, Mapping) else _entries(value, name)
    checks: dict[str, str] = {}
    for number, (service, url) in enumerate(entries, 1):
        service = str(service).strip()
        if not NAME.fullmatch(service):
            raise Invalid(f"{name} entry {number} is named {service[:70]!r}: a name is 1 to 64 of a-z, 0-9, _ and -.",
                          hint=f"Write name=URL pairs separated by commas, for example {EXAMPLE}.")
        if as_http_url(url) is None:
            shown = mask_url(url.strip()) if isinstance(url, str) else type(url).__name__
            raise Invalid(f"{name} entry {number} ({service}) must be an http:// or https:// URL with a host, got "
                          f"{shown[:120]!r}.", hint=f"For example {EXAMPLE}.")
        if service in checks:
            raise Invalid(f"{name} names {service!r} twice: each URL check needs a name of its own.",
                          problem_id="healthdash.E033", hint="Give each entry another name.")
        checks[service] = url.strip()
    return checks


def _entries(value: object, name: str) -> list[tuple[str, object]]:
    if not isinstance(value, str):
        raise Invalid(f"{name} must be name=URL pairs separated by commas, got a {type(value).__name__}.",
                      hint=f"For example {EXAMPLE}.")
    entries = []
    for number, entry in enumerate(filter(str.strip, value.split(",")), 1):
        service, equals, url = entry.partition("=")
        if not equals:
            raise Invalid(f"{name} entry {number} is not name=URL: {mask_url(entry.strip())[:120]!r}.",
                          hint=f"Write name=URL pairs separated by commas, for example {EXAMPLE}.")
        entries.append((service, url))
    return entries


def _without_userinfo(url: str) -> tuple[str, dict[str, str]]:
    """`url` without ``user:password@`` and the headers of the request: Basic authentication for those."""
    headers = {"User-Agent": "healthdash-url-check"}
    parts = urlsplit(url)
    if parts.username is None:
        return url, headers
    credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
    headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode("ascii")
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2])), headers


@dataclass(frozen=True)
class UrlCheck:
    """GET `url` within `timeout` seconds: up on 2xx and 3xx, raises (down) otherwise."""

    url: str = field(repr=False)  # may hold credentials: never in a repr
    timeout: float = 2.0

    @property
    def shown_url(self) -> str:
        """The URL as the page, the dashboard and the log may show it."""
        return mask_url(self.url)

    def __call__(self) -> CheckResult:
        url, headers = _without_userinfo(self.url)
        request = urllib.request.Request(url, headers=headers)
        try:
            with _opener.open(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as error:  # 4xx, 5xx, and the 3xx left unfollowed
            status = error.code
            error.close()
        if not 200 <= status < 400:
            raise ConnectionError(f"{self.shown_url} answered {status}")
        return CheckResult.up(url=self.shown_url, status_code=status)


def url_check_secrets(checks: Mapping[str, str]) -> list[str]:
    """The passwords and query values of the URLs, for the redactor."""
    return [secret for url in checks.values() for secret in url_secrets(url)]
