"""Settings of the gunicorn server ``bench.metrics`` scrapes: the load benchmarks' plus 50 routes."""

from bench.load_settings import *  # noqa: F403

ROOT_URLCONF = "bench.metrics_urls"
