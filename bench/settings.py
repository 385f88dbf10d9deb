"""Settings for in-process benchmarks: the project's, with django-guid for comparison.

Log records are formatted as a real handler would, then dropped: django-guid logs one INFO
line per request at its defaults and the benchmark view logs one line, and that cost belongs
in the figures, but not the terminal's.
"""

import os

os.environ["CHIMERA_ENV_FILE"] = ""
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
for name in [name for name in os.environ if name.startswith(("TRACING_", "OTEL_"))]:
    del os.environ[name]  # the benchmark's rows decide what is traced

from chimera.settings import *  # noqa: E402, F403

INSTALLED_APPS = [*INSTALLED_APPS, "django_guid"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
# The three-query view's queries need no table: a database in memory, nothing on disk.
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
ALLOWED_HOSTS = ["*"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"discard": {"class": "bench.urls.DiscardingHandler", "formatter": "text"}},
    "root": {"handlers": ["discard"], "level": "INFO"},
}
