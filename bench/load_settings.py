"""Settings of the gunicorn servers that load benchmarks start.

The project's settings plus the benchmark endpoint. With ``BENCH_BARE=1`` the request-ID
middleware and the log filter are taken out (tracing is off unless TRACING_ENABLED says so):
the same Django+DRF project without this project's observability, to compare against.
"""

import os

from chimera.settings import *  # noqa: F403

ROOT_URLCONF = "bench.load_urls"

if os.environ.get("BENCH_BARE") == "1":
    MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("observability.")]  # noqa: F405
    LOGGING["handlers"]["console"].pop("filters", None)  # noqa: F405
    LOGGING["formatters"]["text"]["format"] = "%(asctime)s %(levelname)s %(name)s: %(message)s"  # noqa: F405
    OBSERVABILITY = {**OBSERVABILITY, "METRICS_ENABLED": "false"}  # noqa: F405

if os.environ.get("BENCH_COUNTING_SERVICE"):
    # A health service whose every run appends one byte to a file: runs can be counted
    # across worker processes after the benchmark.
    HEALTHDASH["SERVICES"] = {  # noqa: F405
        "counted": {"check": "bench.load_urls.counted_check", "critical": False, "timeout": 1.0},
    }
