"""Settings of the request journal's benchmark: bench.settings with a database file the writer thread can reach
(a database in memory is one per connection, and the writer has its own)."""

import tempfile
from pathlib import Path

from bench.settings import *  # noqa: F403

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": str(Path(tempfile.mkdtemp(prefix="bench-journal-")) / "db.sqlite3")}}
