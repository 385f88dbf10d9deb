"""Keeping secrets out of what the apps show and log: one rule for URLs, one for any text.

``mask_url()`` is how every message, page and report writes a URL: the password and the query
values become ``***``. ``redact()`` takes any text (an exception's message, an exporter's log
line) and masks the configured secrets (database, cache and broker passwords, API keys, exporter
header values, ``SECRET_KEY``, and what apps add with ``add_secret_source()``), every URL's
credentials, the query values of URLs and of request targets (``GET /items/?page=***``), and
``password=...``-shaped assignments, whatever wrote the text. A query value is anyone's secret
(an API key, a signed link's signature, a password reset token), so all of them are masked
except those of the keys ``REDACTION_SAFE_QUERY_KEYS`` names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import parse_qsl, quote, unquote, unquote_plus, urlsplit

from django.conf import settings

from observability.parsing import on_setting_change
from observability.query_keys import safe_query_keys

__all__ = ["add_secret_source", "configured_secrets", "mask_url", "redact", "redact_tree", "url_secrets"]

MASK = "***"
# Secrets this short would mask ordinary words; credential-shaped text is masked regardless.
MIN_SECRET_LENGTH = 4
# Celery's connection URLs, whose passwords are secrets of the project's settings too.
BROKER_SETTINGS = ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")
# Names of keys whose values are secrets, as whole words of snake_case or kebab-case names.
SECRET_KEY_NAMES = re.compile(r"(^|[_-])(pass(word|wd)?|pwd|secret|token|api[_-]?keys?|auth|authorization|"
                              r"credentials?|headers|private[_-]?key)($|[_-])", re.IGNORECASE)
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>()]+", re.IGNORECASE)
# A request target with a query, as request lines and request reprs write it ("GET /a/?k=v HTTP/1.1",
# "<WSGIRequest: GET '/a/?k=v'>"); a path that is part of a URL (after its host) is URL's.
TARGET = re.compile(r"(?<![\w/:.@%-])/[^\s?'\"<>]*\?[^\s'\"<>#]+")
ASSIGNED_SECRET = re.compile(r"\b(?P<name>password|passwd|pwd|api[_-]?key|token|secret)(?P<sep>\s*[=:]\s*)"
                             r"(?P<value>'[^']*'|\"[^\"]*\"|[^\s,;&]+)", re.IGNORECASE)
# Every name ASSIGNED_SECRET matches contains one of these (lower case).
ASSIGNMENT_WORDS = ("pass", "pwd", "key", "token", "secret")
SETTINGS_WITH_SECRETS = ("SECRET_KEY", "DATABASES", "CACHES", "OBSERVABILITY", "HEALTHDASH", *BROKER_SETTINGS)

_sources: list[Callable[[], Iterable[object]]] = []


def mask_url(url: str, safe: frozenset[str] = frozenset()) -> str:
    """`url` with its password and query values shown as ``***`` (``postgres://app:***@db/x?sslkey=***``).

    The values of the `safe` keys are kept.
    """
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "<unparsable URL>"
    # Edited in place rather than rebuilt: urlunsplit() would rewrite some URLs (sqlite:////path).
    if password is not None:
        userinfo, _, hostinfo = parts.netloc.rpartition("@")
        url = url.replace(parts.netloc, f"{userinfo.split(':', 1)[0]}:{MASK}@{hostinfo}", 1)
    base, _, _ = url.partition("#")
    if parts.query:
        base = f"{base.partition('?')[0]}?{mask_query(parts.query, safe)}"
    return base


def mask_query(query: str, safe: frozenset[str] = frozenset()) -> str:
    """`query` with each value shown as ``***`` but those of the `safe` keys, keys as written (``a=***&page=2``).

    A part without ``=`` is a value with no name (``?<token>``): it is masked whole.
    """
    masked = []
    for part in query.split("&"):
        name, equals, _ = part.partition("=")
        if not part or (safe and (unquote_plus(name) if "%" in name or "+" in name else name) in safe):
            masked.append(part)
        else:
            masked.append(f"{name}={MASK}" if equals else MASK)
    return "&".join(masked)


def mask_target(target: str, safe: frozenset[str] | None = None) -> str:
    """A request target or URL (``/items/?page=2&key=k``) with its query masked by ``mask_query()``.

    `safe` defaults to the keys of ``REDACTION_SAFE_QUERY_KEYS``.
    """
    path, question, query = target.partition("?")
    if not question:
        return target
    return f"{path}?{mask_query(query, safe_query_keys() if safe is None else safe)}"


def redact(text: str) -> str:
    """`text` without any configured secret, URL credential, query value or assigned secret."""
    # Every log line passes through here: the patterns run only on text that could match them.
    for secret in configured_secrets():
        if secret in text:
            text = text.replace(secret, MASK)
    if "://" in text:
        text = URL.sub(lambda match: mask_url(match[0], safe_query_keys()), text)
    if "?" in text:
        text = TARGET.sub(lambda match: mask_target(match[0]), text)
    if ("=" in text or ":" in text) and any(word in text.lower() for word in ASSIGNMENT_WORDS):
        text = ASSIGNED_SECRET.sub(lambda m: f"{m['name']}{m['sep']}{MASK}", text)
    return text


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


def add_secret_source(source: Callable[[], Iterable[object]], *setting_names: str) -> None:
    """Mask what `source()` returns too; it is asked again when one of `setting_names` changes."""
    if source not in _sources:
        _sources.append(source)
        on_setting_change(setting_names, _forget)
    _forget()


def url_secrets(url: object) -> list[str]:
    """The secrets a URL carries: its password and its query values (as written and decoded)."""
    try:
        parts = urlsplit(str(url or "").strip())
        password = parts.password
    except ValueError:
        return []
    found = [password, unquote(password)] if password else []
    for _, value in parse_qsl(parts.query, keep_blank_values=False):
        found += [value, quote(value, safe="")]
    return found


def configured_secrets() -> tuple[str, ...]:
    """Secret values found in the settings, longest first; asked again when those settings change.

    Before Django's settings are loaded (gunicorn's master) there are none: only the patterns apply.
    """
    secrets = _found
    if secrets is None:
        if not settings.configured:
            return ()
        secrets = _remember(_secrets_of_settings())
    return secrets


_found: tuple[str, ...] | None = None


def _remember(secrets: tuple[str, ...]) -> tuple[str, ...]:
    global _found
    _found = secrets
    return secrets


def _forget() -> None:
    global _found
    _found = None


def _secrets_of_settings() -> tuple[str, ...]:
    found: list[object] = [getattr(settings, "SECRET_KEY", "")]
    for database in getattr(settings, "DATABASES", {}).values():
        found.append(database.get("PASSWORD"))
    for name in BROKER_SETTINGS:
        found.extend(_url_passwords(getattr(settings, name, None)))
    for cache in getattr(settings, "CACHES", {}).values():
        found.extend(_url_passwords(cache.get("LOCATION")))
        found.extend(_option_secrets(cache.get("OPTIONS") or {}))
    observability = getattr(settings, "OBSERVABILITY", None)
    if isinstance(observability, Mapping):
        keys = observability.get("API_KEYS")
        found.extend(keys.split(",") if isinstance(keys, str) else keys or ())
        found.extend(_header_values(observability.get("TRACING_HEADERS")))
    for source in _sources:
        found.extend(source())
    secrets = {s.strip() for s in found if isinstance(s, str) and len(s.strip()) >= MIN_SECRET_LENGTH}
    return tuple(sorted(secrets, key=len, reverse=True))


on_setting_change(SETTINGS_WITH_SECRETS, _forget)


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


def _header_values(headers: object) -> Iterable[str]:
    """Values of the tracing exporter's headers, ``k=v,k2=v2`` or a dict."""
    if isinstance(headers, Mapping):
        yield from (str(v) for v in headers.values())
    elif isinstance(headers, str):
        for pair in headers.split(","):
            yield unquote(pair.partition("=")[2])
