"""Settings of ``bench.probes``: the in-process benchmarks', with the probes routed and a migrated database
file (a check thread opens its own connection, which an in-memory database would leave empty)."""

import os
import tempfile

from bench.settings import *  # noqa: F403

ROOT_URLCONF = "bench.probes_urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": os.path.join(tempfile.mkdtemp(prefix="bench-probes-"), "db.sqlite3")}}
