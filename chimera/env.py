"""Reading operator settings from the environment, strictly.

django-environ does the parsing; this module adds what it leaves out: a malformed value stops
start-up with a message that names the variable (``DEBUG=maybe`` is not silently false), URLs
are checked for a known scheme, secrets are never echoed, and every name read is recorded so
tests can compare it with ``.env.template``.
"""

from __future__ import annotations

import functools
import os
import re
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from observability.parsing import as_number
from observability.redaction import mask_url

TRUE_VALUES = frozenset({"1", "true", "yes", "on"})
FALSE_VALUES = frozenset({"0", "false", "no", "off"})
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Seconds; a cache call is usually well under a millisecond, and the features that use the cache
# fail open, so a short bound costs nothing but a skipped cache while Redis is unwell.
REDIS_TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}


class ConfigurationError(ImproperlyConfigured):
    """An operator setting is missing or malformed; the message names the variable."""


def collected(method):
    """In a collecting ``Env``, a malformed variable is recorded and read as unset, so every problem shows at once."""
    @functools.wraps(method)
    def read(self, name, *args, **kwargs):
        try:
            return method(self, name, *args, **kwargs)
        except ConfigurationError as problem:
            if not self.collect:
                raise
            self.problems.append(str(problem))
            self.refused.add(name)
            return method(self, name, *args, **kwargs)
    return read


class Env(environ.Env):
    """``environ.Env`` that records the name of every variable it is asked for.

    With ``collect=True`` (``chimera/settings.py``) a malformed value does not stop the reading:
    every problem is collected and ``refuse_collected()``, at the end, stops start-up with all of
    them at once, as the apps report theirs.
    """

    # Celery's brokers and result stores this project can reach with its pinned clients.
    BROKER_SCHEMES = frozenset({"redis", "rediss", "redis+socket", "sentinel", "amqp", "amqps", "pyamqp"})
    RESULT_SCHEMES = frozenset({"redis", "rediss", "redis+socket", "sentinel", "file"})

    def __init__(self, collect: bool = False, **scheme):
        super().__init__(**scheme)
        self.names_read: set[str] = set()
        self.collect, self.problems, self.refused = collect, [], set()

    def refuse_collected(self) -> None:
        """Stop start-up with every problem collected, one line each."""
        if len(self.problems) == 1:
            raise ConfigurationError(self.problems[0])
        if self.problems:
            raise ConfigurationError(f"{len(self.problems)} settings are invalid:\n" + "\n".join(
                f"  {problem}" for problem in self.problems))

    def get_value(self, var, *args, **kwargs):
        self.names_read.add(var)
        return super().get_value(var, *args, **kwargs)

    def is_set(self, name: str) -> bool:
        """Whether the operator set `name` (to anything but the empty string)."""
        self.names_read.add(name)
        return os.environ.get(name, "") != "" and name not in self.refused

    def raw(self, name: str) -> str | None:
        """The value as written, or None when unset or empty; for values parsed elsewhere."""
        return os.environ[name] if self.is_set(name) else None

    def forward(self, *names: str) -> dict[str, str]:
        """The variables of `names` the operator set, as written: an app's settings dict, which parses them."""
        return {name: os.environ[name] for name in names if self.is_set(name)}

    @collected
    def strict_bool(self, name: str, default: bool) -> bool:
        """A boolean that must be spelled as one: true/false, yes/no, on/off, 1/0."""
        if not self.is_set(name):
            return default
        value = os.environ[name].strip().lower()
        if value in TRUE_VALUES:
            return True
        if value in FALSE_VALUES:
            return False
        raise ConfigurationError(
            f"{name} must be true or false (also yes/no, on/off, 1/0), got {os.environ[name]!r}."
        )

    @collected
    def strict_int(self, name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
        """An integer no smaller than `minimum` and, when given, no larger than `maximum`."""
        return self._number(name, default, minimum, int, "a whole number", maximum)

    @collected
    def strict_float(self, name: str, default: float, *, minimum: float = 0.0) -> float:
        """A finite number no smaller than `minimum` (seconds, for the timeouts that use it)."""
        return self._number(name, default, minimum, float, "a number")

    def _number(self, name: str, default, minimum, kind, what: str, maximum=None):
        if not self.is_set(name):
            return default
        value = as_number(os.environ[name], kind)
        if value is None or value < minimum or (maximum is not None and value > maximum):
            bounds = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"
            raise ConfigurationError(f"{name} must be {what} {bounds}, got {os.environ[name]!r}.")
        return value

    @collected
    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        """One of `choices`, compared without regard to case."""
        if not self.is_set(name):
            return default
        value = os.environ[name].strip()
        for choice in choices:
            if value.lower() == choice.lower():
                return choice
        raise ConfigurationError(f"{name} must be one of {', '.join(choices)}; got {value!r}.")

    @collected
    def proxy_ssl_header(self, name: str) -> tuple[str, str] | None:
        """Django's ``SECURE_PROXY_SSL_HEADER`` from ``Header-Name,value`` (``X-Forwarded-Proto,https``)."""
        if not self.is_set(name):
            return None
        header, _, value = os.environ[name].partition(",")
        header, value = header.strip(), value.strip()
        if not HEADER_NAME.fullmatch(header) or not value or "," in value:
            raise ConfigurationError(
                f"{name} must be a header name and the value that means HTTPS, such as "
                f"X-Forwarded-Proto,https; got {os.environ[name]!r}."
            )
        meta = header.upper().replace("-", "_")
        return (meta if meta.startswith("HTTP_") else f"HTTP_{meta}", value)

    @collected
    def database(self, name: str, default: str) -> dict:
        """A database URL in django-environ's syntax; the message never shows the password."""
        url = os.environ[name] if self.is_set(name) else default
        _require_scheme(name, url, environ.Env.DB_SCHEMES)
        try:
            config = environ.Env.db_url_config(url)
        except (ValueError, ImproperlyConfigured) as exc:
            raise ConfigurationError(f"{name} is not a valid database URL ({mask_url(url)!r}): {exc}") from None
        if not config.get("ENGINE"):
            raise ConfigurationError(f"{name} is not a valid database URL ({mask_url(url)!r}).")
        return config

    @collected
    def cache(self, name: str, default: str) -> dict:
        """A cache URL in django-environ's syntax; the message never shows the password.

        Redis gets socket timeouts unless the URL sets its own (``?socket_timeout=0.5``): without
        them a server that accepts connections and never answers holds a request forever.
        """
        url = os.environ[name] if self.is_set(name) else default
        _require_scheme(name, url, environ.Env.CACHE_SCHEMES)
        try:
            config = environ.Env.cache_url_config(url)
        except (ValueError, ImproperlyConfigured) as exc:
            raise ConfigurationError(f"{name} is not a valid cache URL ({mask_url(url)!r}): {exc}") from None
        if config["BACKEND"] == REDIS_CACHE:
            options = config.setdefault("OPTIONS", {})
            for option, seconds in REDIS_TIMEOUTS.items():
                options.setdefault(option, seconds)
        return config

    @collected
    def url(self, name: str, default: str | None, *, schemes: frozenset[str], example: str) -> str | None:
        """A URL with one of `schemes` (a broker's, a result store's), or `default` when unset; the message masks it."""
        if not self.is_set(name):
            return default
        url = os.environ[name].strip()
        scheme = url.split("://", 1)[0].lower() if "://" in url else ""
        try:
            urlsplit(url).port  # noqa: B018 - raises ValueError for a port that is not a number
            valid = scheme in schemes
        except ValueError:
            valid = False
        if not valid:
            raise ConfigurationError(
                f"{name} must be a URL such as {example} (known schemes: {', '.join(sorted(schemes))}); "
                f"got {mask_url(url)!r}."
            )
        return url


def _require_scheme(name: str, url: str, schemes) -> None:
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in schemes:
        known = ", ".join(sorted(s for s in schemes if not s.startswith("prometheus")))
        raise ConfigurationError(
            f"{name} must be a URL such as postgres://user:password@host:5432/name or "
            f"sqlite:////path/db.sqlite3 (known schemes: {known}); got {mask_url(url)!r}."
        )


# Values that must never run in production: empty, the template's placeholder, Django's own
# insecure prefix, or too short to resist guessing.
PLACEHOLDER_SECRET_KEYS = frozenset({"change-me", "changeme", "secret", "replace-me"})
DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-never-use-this-key-in-production"
MIN_SECRET_KEY_LENGTH = 32


def secret_key(env: Env, *, debug: bool) -> str:
    """SECRET_KEY, refused when missing or weak unless DEBUG is on."""
    value = env.raw("SECRET_KEY")
    if value is None:
        if debug:
            return DEVELOPMENT_SECRET_KEY
        problem = "is not set"
    elif value.strip().lower() in PLACEHOLDER_SECRET_KEYS or value.startswith("django-insecure-"):
        if debug:
            return value
        problem = "is a placeholder value"
    elif len(value) < MIN_SECRET_KEY_LENGTH and not debug:
        problem = f"is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    else:
        return value
    refusal = ConfigurationError(
        f"SECRET_KEY {problem}. With DEBUG=false a real secret key is required: put "
        "SECRET_KEY=<random string> in .env or the environment, for example the output of "
        "python -c \"import secrets; print(secrets.token_urlsafe(50))\"."
    )
    if not env.collect:
        raise refusal
    env.problems.append(str(refusal))
    return DEVELOPMENT_SECRET_KEY  # never served: refuse_collected() stops start-up
