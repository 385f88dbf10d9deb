"""The Prometheus side: values in prometheus_client metrics, and ``/metrics``'s text aggregated over processes.

Under gunicorn the workers share a folder (``observability.metrics.folder``) and prometheus_client's
multiprocess mode: each process writes its values to memory-mapped files there, and whichever
worker answers ``/metrics`` reads them all. Counters and histograms sum over live and dead
processes, so they never go back while the master lives; ``http_server_active_requests`` sums
live processes only (``mark_process_dead`` drops a dead one); the health gauges keep the latest
value of any process. A process without a folder (``runserver``, tests) keeps its values in
memory, in a registry of its own.
"""

from __future__ import annotations

import glob
import os
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from observability.compat.prometheus import use_multiprocess_values
from observability.metrics.folder import FOLDER_VARIABLE, reading
from observability.metrics.recording import Instrument, Record

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

__all__ = ["FolderCollector", "PrometheusBackend", "file_values", "use_folder", "write_file"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
HEADER_BYTES = 8  # a multiprocess file's used-bytes count and padding, written before any value

# One prometheus_client metric per instrument and folder for the life of the process: two
# objects writing the same series to one file would overwrite each other's counts.
_shared: dict[tuple[str | None, str], object] = {}
_shared_lock = threading.Lock()


def use_folder(folder: str) -> None:
    """Write values to `folder` from now on (prometheus_client reads the variable as it opens files)."""
    os.makedirs(folder, exist_ok=True)
    os.environ[FOLDER_VARIABLE] = folder
    use_multiprocess_values()  # prometheus_client picked its value class when first imported, before the folder


class PrometheusBackend:
    """Records into prometheus_client metrics: in `folder`'s files, or in memory without one.

    `before_reading` runs before each scrape reads the files (what a master without hooks leaves undone).
    """

    def __init__(self, folder: str | None, before_reading: Callable[[], object] | None = None) -> None:
        self.folder = folder
        self.registry = CollectorRegistry(auto_describe=False)  # no reading of the files until a scrape
        self._own: dict[tuple[str | None, str], object] = {}  # in memory: this backend's metrics
        if folder is not None:
            use_folder(folder)
            FolderCollector(self.registry, path=folder, before_reading=before_reading)

    def bind(self, instrument: Instrument) -> Record:
        """A function recording `instrument` with one cached child per label set."""
        metric = self._metric(instrument)
        method = {"histogram": "observe", "gauge": "set"}.get(instrument.kind, "inc")
        if not instrument.attributes:
            call = getattr(metric, method)
            return lambda value, labels: call(value)
        children: dict[tuple[str, ...], object] = {}

        def record(value: float, labels: tuple[str, ...]) -> None:
            call = children.get(labels)
            if call is None:
                call = children[labels] = getattr(metric.labels(*labels), method)
            call(value)
        return record

    def _metric(self, instrument: Instrument):
        with _shared_lock:
            metrics = _shared if self.folder is not None else self._own
            key = (self.folder, instrument.name)
            if key not in metrics:
                metrics[key] = _new_metric(instrument, None if self.folder is not None else self.registry)
            return metrics[key]

    def collect(self) -> Iterable[Metric]:
        """Every metric family, aggregated over the processes sharing the folder."""
        return self.registry.collect()

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric."""
        return generate_latest(self.registry)


class FolderCollector(MultiProcessCollector):
    """Every process's values in the folder, without the files still being made.

    A process creates its file empty, then sizes it: a file read in between has no header,
    and prometheus_client's reader raises on it (a 500 for ``/metrics`` and the dashboard). A
    file removed since the folder was listed (a dead process's live gauges) is skipped too.
    """

    def __init__(self, registry: CollectorRegistry, path: str,
                 before_reading: Callable[[], object] | None = None) -> None:
        self.folder = path
        self.before_reading = before_reading
        super().__init__(registry, path=path)

    def collect(self):
        if self.before_reading is not None:
            self.before_reading()
        with reading(self.folder):  # never halfway through a compaction of dead processes' files
            files = [path for path in glob.glob(os.path.join(self.folder, "*.db")) if _has_header(path)]
            return self.merge(files)


def _has_header(path: str) -> bool:
    try:
        return os.path.getsize(path) >= HEADER_BYTES
    except OSError:
        return False


def file_values(path: str) -> list[tuple[str, float, float]]:
    """The (key, value, timestamp) entries of one multiprocess file: prometheus_client's private reader."""
    from prometheus_client.mmap_dict import MmapedDict

    if not _has_header(path):
        return []
    return [(key, value, timestamp) for key, value, timestamp, _ in MmapedDict.read_all_values_from_file(path)]


def write_file(path: str, entries: dict[str, tuple[float, float]]) -> None:
    """A multiprocess file holding `entries` (key -> value, timestamp): prometheus_client's private writer."""
    from prometheus_client.mmap_dict import MmapedDict

    written = MmapedDict(path)
    try:
        for key, (value, timestamp) in entries.items():
            written.write_value(key, value, timestamp)
    finally:
        written.close()


def _new_metric(instrument: Instrument, registry: CollectorRegistry | None):
    name, labels, help_text = instrument.prometheus_name, instrument.prometheus_labels, instrument.description
    if instrument.kind == "histogram":
        return Histogram(name, help_text, labels, registry=registry, buckets=instrument.buckets)
    if instrument.kind == "counter":
        return Counter(name, help_text, labels, registry=registry)
    mode = instrument.aggregation if instrument.kind == "gauge" else "livesum"
    return Gauge(name, help_text, labels, registry=registry, multiprocess_mode=mode)

