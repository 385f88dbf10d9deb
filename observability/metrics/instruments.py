"""The instruments observability records, by OpenTelemetry's semantic-convention names.

Other apps declare theirs the same way (``Instrument(...)`` once, at import) and record them with
``record()`` or ``add()``: healthdash its service gauges, chimera its provider calls.
"""

from __future__ import annotations

from observability.metrics.recording import Instrument

__all__ = ["ACTIVE_REQUESTS", "JOURNAL_DROPPED", "REQUEST_DURATION", "SERVER_DRAINING"]

# OpenTelemetry's advice for http.server.request.duration, in seconds.
HTTP_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
# Methods kept as they are; any other is _OTHER, as the semantic conventions say, so that a
# caller inventing methods cannot grow the number of series.
KNOWN_METHODS = frozenset({"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"})
OTHER_METHOD = "_OTHER"
# http.route of requests that match no route: routes start with "/", so this cannot collide.
UNMATCHED_ROUTE = "unmatched"

REQUEST_DURATION = Instrument(
    "http.server.request.duration", "histogram", "s", "Duration of HTTP server requests.",
    ("http.request.method", "http.route", "http.response.status_code"), HTTP_DURATION_BUCKETS,
)
ACTIVE_REQUESTS = Instrument(
    "http.server.active_requests", "updown_counter", "{request}", "Number of active HTTP server requests.",
    ("http.request.method",),
)
SPANS_EXPORTED = Instrument("tracing.spans.exported", "counter", "{span}", "Spans the tracing exporter delivered.")
SPANS_DROPPED = Instrument("tracing.spans.dropped", "counter", "{span}",
                           "Spans lost: refused by the collector, pushed out of a full queue or left at shutdown.")
JOURNAL_DROPPED = Instrument("request_journal.entries.dropped", "counter", "{entry}",
                             "Request journal entries lost: the writer's queue was full or the database failed.")
# Per process, and the most of the live ones: an instance drains when its master or its workers were told to stop.
SERVER_DRAINING = Instrument("server.draining", "gauge", "1", "1 while the server drains before it stops, else 0.",
                             aggregation="livemax")
