"""URLs of the load benchmark servers: the project's, plus a trivial DRF endpoint."""

import os

from django.urls import path

from bench.urls import Ping
from chimera.urls import handler400, handler403, handler404, handler500  # noqa: F401 - Django reads these
from chimera.urls import urlpatterns as project_urlpatterns


def counted_check() -> None:
    """A health check that records each run (one byte appended to BENCH_COUNTING_SERVICE)."""
    descriptor = os.open(os.environ["BENCH_COUNTING_SERVICE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(descriptor, b".")
    finally:
        os.close(descriptor)


urlpatterns = [path("bench", Ping.as_view()), *project_urlpatterns]
