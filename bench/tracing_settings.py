"""Settings for the benchmarks: the project's, with a benchmark view and a discarding log handler."""

import os

os.environ["CHIMERA_ENV_FILE"] = ""
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
for name in [name for name in os.environ if name.startswith(("TRACING_", "OTEL_"))]:
    del os.environ[name]  # the rows decide what is traced

from chimera.settings import *  # noqa: E402, F403

ROOT_URLCONF = "bench.tracing_urls"
DEBUG = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"discard": {"class": "bench.tracing_urls.DiscardingHandler", "level": "INFO"}},
    "loggers": {"bench": {"handlers": ["discard"], "level": "INFO", "propagate": False}},
}
