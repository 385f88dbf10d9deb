"""A batch span processor whose exporter belongs to the process that uses it.

The SDK's BatchSpanProcessor restarts its thread after a fork, but its exporter's gRPC channel
or HTTP session does not survive one. This processor builds the batch processor and exporter
lazily in the process that ends the first span (or when ``start()`` is called, as gunicorn's
post_fork hook does), so a gunicorn master that preloads the app never opens a connection,
and each worker exports through its own.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from observability.tracing.exporters import STATS, CountingExporter, ExportStats, build_exporter

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import ReadableSpan, Span

    from observability.tracing.configuration import TracingConfig

__all__ = ["ProcessLocalBatchProcessor"]

logger = logging.getLogger(__name__)


class ProcessLocalBatchProcessor(SpanProcessor):
    """Batches sampled spans to an exporter built in this process; counts what it drops.

    The SDK's batch processor says nothing of its queue, so this one counts: spans handed to it,
    spans its exporter took off the queue and finished, and spans the full queue pushed out.
    """

    def __init__(self, config: TracingConfig, stats: ExportStats = STATS,
                 exporter_factory: Callable[[TracingConfig], SpanExporter] = build_exporter) -> None:
        self.config, self.stats, self.exporter_factory = config, stats, exporter_factory
        self._lock = threading.Lock()
        self._pid = 0
        self._batch: BatchSpanProcessor | None = None
        self._closed = False
        self._reset_counts()

    def _reset_counts(self) -> None:
        self._handed = self._taken = self._finished = self._pushed_out = 0

    @property
    def active(self) -> bool:
        """Whether spans ended in this process will be exported."""
        return not self._closed

    @property
    def queued(self) -> int:
        """Spans waiting in the queue for an export."""
        return self._handed - self._pushed_out - self._taken

    def start(self) -> BatchSpanProcessor:
        """This process's batch processor, built on first use."""
        batch = self._batch
        if batch is not None and self._pid == os.getpid():
            return batch
        with self._lock:
            if self._batch is None or self._pid != os.getpid():
                if self._pid:  # a forked child: the parent's counts are not ours
                    self.stats.reset()
                self._reset_counts()
                exporter = CountingExporter(self.exporter_factory(self.config), self.stats, taken=self._take,
                                            finished=self._finish)
                self._batch = BatchSpanProcessor(
                    exporter,
                    max_queue_size=self.config.max_queue_size,
                    schedule_delay_millis=self.config.schedule_delay_millis,
                    max_export_batch_size=self.config.max_export_batch_size,
                )
                self._pid = os.getpid()
            return self._batch

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Nothing to do when a span starts."""

    def on_end(self, span: ReadableSpan) -> None:
        """Queue a sampled span; a full queue pushes out the oldest, which is counted as dropped."""
        if self._closed or not span.context.trace_flags.sampled:
            return
        batch = self.start()
        with self._lock:
            full = self.queued >= self.config.max_queue_size
            self._handed += 1
            self._pushed_out += full
        if full:
            self.stats.drop(1)
        batch.on_end(span)

    def _take(self, count: int) -> None:
        with self._lock:
            self._taken += count

    def _finish(self, count: int) -> None:
        with self._lock:
            self._finished += count

    def shutdown(self, timeout: float | None = None) -> None:
        """Export what is queued, giving up after `timeout` seconds (the configured bound)."""
        if self._closed:
            return
        self._closed = True
        batch = self._batch if self._pid == os.getpid() else None
        if batch is None:
            return
        bound = self.config.shutdown_timeout if timeout is None else timeout
        # BatchSpanProcessor.shutdown() allows itself 30 s: it runs on a daemon thread, waited
        # for only as long as the bound, so a collector that hangs cannot hold the process.
        closing = threading.Thread(target=batch.shutdown, name="tracing-shutdown", daemon=True)
        closing.start()
        closing.join(bound)
        with self._lock:
            left = self._handed - self._pushed_out - self._finished
        if left > 0:
            self.stats.drop(left)
            logger.warning("Tracing stopped with %d spans not exported within %.1f s.", left, bound)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Export what is queued now."""
        batch = self._batch if self._pid == os.getpid() else None
        return True if batch is None or self._closed else batch.force_flush(timeout_millis)
