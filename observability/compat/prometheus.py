"""prometheus_client's internals: the value class its metrics are made with.

Written against prometheus_client 0.26 (the pinned release);
``tests/observability/compat/test_prometheus.py`` pins it in the installed version.
"""

from __future__ import annotations

from prometheus_client import values


def use_multiprocess_values() -> None:
    """Make the metrics created from now on keep their values in ``PROMETHEUS_MULTIPROC_DIR``'s files.

    prometheus_client 0.26: the module global ``values.ValueClass`` is chosen once, when the
    package is imported, from that variable, and each metric reads it when it is created; the
    multiprocess class says so in ``_multiprocess``. The folder is known later (gunicorn's
    master makes it), so the global is reassigned. If the global stops being read, metrics keep
    their values in memory and ``/metrics`` under gunicorn shows one worker's counts; if the
    flag goes, each call makes a new class with files of its own open, and two of them appending
    to one file lose each other's values.
    """
    if not getattr(values.ValueClass, "_multiprocess", False):
        values.ValueClass = values.MultiProcessValue()
