"""Settings for in-process benchmarks: the project's, plus django-guid for comparison."""

import os

os.environ["CHIMERA_ENV_FILE"] = ""
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

from chimera.settings import *  # noqa: E402, F403

INSTALLED_APPS = [*INSTALLED_APPS, "django_guid"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["*"]

# Log lines are formatted and written as in production, to a file nobody reads: django-guid
# logs one INFO line per request at its defaults, and that cost is part of its row.
LOGGING["handlers"]["console"]["stream"] = "ext://bench.settings.DEVNULL"  # noqa: F405
DEVNULL = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the benchmark
