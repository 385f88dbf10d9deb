"""Keeping secrets out of what healthdash shows and logs.

Every reason, detail and logged traceback goes through `redact()`: the configured secrets
(database and cache passwords, API keys, exporter headers, SECRET_KEY) are replaced by
``***``, and so is anything shaped like a credential (``user:password@`` in a URL,
``password=...``), whatever produced the text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit

from django.conf import settings

MASK = "***"
# Secrets this short would mask ordinary words; credential-shaped text is masked regardless.
MIN_SECRET_LENGTH = 4
# Names of keys whose values are secrets, as whole words of snake_case or kebab-case names.
SECRET_KEY_NAMES = re.compile(r"(^|[_-])(pass(word|wd)?|pwd|secret|token|api[_-]?keys?|auth|authorization|"
                              r"credentials?|headers|private[_-]?key)($|[_-])", re.IGNORECASE)
URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@\s]*@", re.IGNORECASE)
ASSIGNED_SECRET = re.compile(r"\b(?P<name>password|passwd|pwd|api[_-]?key|token|secret)(?P<sep>\s*[=:]\s*)"
                             r"(?P<value>'[^']*'|\"[^\"]*\"|[^\s,;&]+)", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` without any configured secret or credential-shaped value."""
    for secret in configured_secrets():
        text = text.replace(secret, MASK)
    text = URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    return ASSIGNED_SECRET.sub(lambda m: f"{m['name']}{m['sep']}{MASK}", text)


def redact_tree(value: object, depth: int = 0) -> object:
    """A JSON-able copy of `value` (details of a check), redacted; keys that name secrets are masked."""
    if depth > 8:
        return MASK
    if isinstance(value, Mapping):
        return {str(k): MASK if SECRET_KEY_NAMES.search(str(k)) else redact_tree(v, depth + 1)
                for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_tree(item, depth + 1) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))


@functools.cache
def configured_secrets() -> tuple[str, ...]:
    """Secret values found in the settings, longest first; dropped when those settings change."""
    found = [getattr(settings, "SECRET_KEY", "")]
    for database in getattr(settings, "DATABASES", {}).values():
        found.append(database.get("PASSWORD"))
    for cache in getattr(settings, "CACHES", {}).values():
        found.extend(_url_passwords(cache.get("LOCATION")))
        found.extend(_option_secrets(cache.get("OPTIONS") or {}))
    keys = getattr(settings, "HEALTHDASH", {}).get("API_KEYS") if isinstance(
        getattr(settings, "HEALTHDASH", {}), Mapping) else None
    found.extend(keys.split(",") if isinstance(keys, str) else keys or ())
    found.extend(_header_values(getattr(settings, "OBSERVABILITY", {})))
    secrets = {s.strip() for s in found if isinstance(s, str) and len(s.strip()) >= MIN_SECRET_LENGTH}
    return tuple(sorted(secrets, key=len, reverse=True))


def _url_passwords(location: object) -> Iterable[str]:
    urls = location if isinstance(location, list | tuple) else str(location or "").split(",")
    for url in urls:
        try:
            password = urlsplit(str(url).strip()).password
        except ValueError:
            continue
        if password:
            yield password
            yield unquote(password)


def _option_secrets(options: Mapping) -> Iterable[str]:
    for name, value in options.items():
        if SECRET_KEY_NAMES.search(str(name)) and isinstance(value, str):
            yield value


def _header_values(observability: object) -> Iterable[str]:
    """Values of the tracing exporter's headers, ``k=v,k2=v2`` or a dict."""
    headers = observability.get("TRACING_HEADERS") if isinstance(observability, Mapping) else None
    if isinstance(headers, Mapping):
        yield from (str(v) for v in headers.values())
    elif isinstance(headers, str):
        for pair in headers.split(","):
            yield unquote(pair.partition("=")[2])
