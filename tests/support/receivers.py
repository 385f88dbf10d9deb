"""Real trace and metric receivers for end-to-end tests, each on 127.0.0.1 with a free port.

- ``OTLPGrpcReceiver``: grpcio with the generated ``TraceServiceServicer`` and
  ``MetricsServiceServicer`` of opentelemetry-proto.
- ``OTLPHttpReceiver``: ``POST /v1/traces`` with a protobuf ``ExportTraceServiceRequest``, and
  ``POST /v1/metrics`` with an ``ExportMetricsServiceRequest``.
- ``ZipkinReceiver``: ``POST /api/v2/spans`` with Zipkin v2 JSON.
- ``SilentListener``: accepts connections and never answers (a hung collector).
- ``console_spans()``: the spans the console exporter printed, one JSON object per line.

Every receiver normalizes what it got into ``ReceivedSpan`` (and ``ReceivedPoint``) and records
the request headers, so tests assert the same way whatever the protocol.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
import zlib
from concurrent import futures
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

__all__ = [
    "OTLPGrpcReceiver", "OTLPHttpReceiver", "ReceivedPoint", "ReceivedSpan", "SilentListener", "ZipkinReceiver",
    "console_spans", "otlp_points", "otlp_spans",
]


@dataclass(frozen=True)
class ReceivedSpan:
    """A span as a receiver got it, whatever the wire format."""

    name: str
    trace_id: str  # 32 lower-case hex digits
    span_id: str  # 16 lower-case hex digits
    parent_id: str | None
    service_name: str | None
    attributes: dict = field(hash=False)
    resource: dict = field(hash=False, default_factory=dict)


@dataclass(frozen=True)
class ReceivedPoint:
    """One data point of a metric as a receiver got it."""

    metric: str  # http.server.request.duration
    value: float  # a histogram's count, a sum's or gauge's value
    attributes: dict = field(hash=False)
    resource: dict = field(hash=False)
    exemplars: tuple[tuple[str, str], ...] = ()  # (trace ID, span ID) in hex


class _Receiver:
    """Collected spans, metric points and request headers, with a bounded wait."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spans: list[ReceivedSpan] = []
        self._points: list[ReceivedPoint] = []
        self.requests: list[dict[str, str]] = []  # headers of each export request, lower-case names

    def _add_points(self, points: list[ReceivedPoint]) -> None:
        with self._lock:
            self._points.extend(points)

    def points(self, metric: str | None = None) -> list[ReceivedPoint]:
        """Every metric point received (of `metric`), in arrival order."""
        with self._lock:
            return [p for p in self._points if metric is None or p.metric == metric]

    def _add(self, spans: list[ReceivedSpan], headers: dict[str, str]) -> None:
        with self._lock:
            self._spans.extend(spans)
            self.requests.append(headers)

    def spans(self) -> list[ReceivedSpan]:
        with self._lock:
            return list(self._spans)

    def clear(self) -> None:
        with self._lock:
            self._spans.clear()
            self._points.clear()
            self.requests.clear()

    def wait_for(self, count: int, timeout: float = 15, predicate=None) -> list[ReceivedSpan]:
        """Spans (those matching `predicate`), once there are `count` of them or `timeout` has passed."""
        deadline = time.monotonic() + timeout
        while True:
            spans = [s for s in self.spans() if predicate is None or predicate(s)]
            if len(spans) >= count or time.monotonic() > deadline:
                return spans
            time.sleep(0.05)


def _any_value(value) -> object:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def otlp_spans(request: trace_service_pb2.ExportTraceServiceRequest) -> list[ReceivedSpan]:
    """Normalize an OTLP export request."""
    spans = []
    for resource_spans in request.resource_spans:
        resource = {kv.key: _any_value(kv.value) for kv in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(ReceivedSpan(
                    name=span.name, trace_id=span.trace_id.hex(), span_id=span.span_id.hex(),
                    parent_id=span.parent_span_id.hex() or None, service_name=resource.get("service.name"),
                    attributes={kv.key: _any_value(kv.value) for kv in span.attributes}, resource=resource,
                ))
    return spans


def otlp_points(request: metrics_service_pb2.ExportMetricsServiceRequest) -> list[ReceivedPoint]:
    """Normalize an OTLP metrics export request."""
    points = []
    for resource_metrics in request.resource_metrics:
        resource = {kv.key: _any_value(kv.value) for kv in resource_metrics.resource.attributes}
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                kind = metric.WhichOneof("data")
                for point in getattr(metric, kind).data_points:
                    if kind == "histogram":
                        value = float(point.count)
                    else:
                        value = float(getattr(point, point.WhichOneof("value")))
                    points.append(ReceivedPoint(
                        metric=metric.name, value=value, resource=resource,
                        attributes={kv.key: _any_value(kv.value) for kv in point.attributes},
                        exemplars=tuple((e.trace_id.hex(), e.span_id.hex()) for e in point.exemplars),
                    ))
    return points


class _MetricsService(metrics_service_pb2_grpc.MetricsServiceServicer):
    def __init__(self, receiver: OTLPGrpcReceiver) -> None:
        self.receiver = receiver

    def Export(self, request, context):  # noqa: N802 - the generated service's method name
        self.receiver._add_points(otlp_points(request))
        return metrics_service_pb2.ExportMetricsServiceResponse()


class _TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, receiver: OTLPGrpcReceiver) -> None:
        self.receiver = receiver

    def Export(self, request, context):  # noqa: N802 - the generated service's method name
        headers = {key.lower(): value for key, value in context.invocation_metadata()}
        self.receiver.bodies.append(request.SerializeToString())
        self.receiver._add(otlp_spans(request), headers)
        return trace_service_pb2.ExportTraceServiceResponse()


class OTLPGrpcReceiver(_Receiver):
    """An OTLP/gRPC collector."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[bytes] = []  # each export request as received, serialized again
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_TraceService(self), self.server)
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(_MetricsService(self), self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.server.start()

    def stop(self) -> None:
        self.server.stop(grace=None)


class _HTTPReceiver(_Receiver):
    """A threading HTTP server answering POSTs on one path."""

    path = "/"
    metrics_path: str | None = None  # where metrics are received too, if anywhere

    def __init__(self, port: int = 0) -> None:
        """Listen on `port` (0: a free one); a stopped receiver comes back on its port with ``type(r)(r.port)``."""
        super().__init__()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's method name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                if self.path == receiver.metrics_path:
                    receiver._add_points(otlp_points(metrics_service_pb2.ExportMetricsServiceRequest.FromString(body)))
                    answer = metrics_service_pb2.ExportMetricsServiceResponse().SerializeToString()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/x-protobuf")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                if self.path != receiver.path:
                    self.send_response(404)
                    self.end_headers()
                    return
                receiver._add(receiver.parse(body), {k.lower(): v for k, v in self.headers.items()})
                status, content_type, answer = receiver.answer()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}{self.path}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    def parse(self, body: bytes) -> list[ReceivedSpan]:
        raise NotImplementedError

    def answer(self) -> tuple[int, str, bytes]:
        raise NotImplementedError

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class OTLPHttpReceiver(_HTTPReceiver):
    """An OTLP/HTTP collector: protobuf on POST /v1/traces."""

    path = "/v1/traces"
    metrics_path = "/v1/metrics"

    @property
    def metrics_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.metrics_path}"

    def parse(self, body: bytes) -> list[ReceivedSpan]:
        return otlp_spans(trace_service_pb2.ExportTraceServiceRequest.FromString(body))

    def answer(self) -> tuple[int, str, bytes]:
        return 200, "application/x-protobuf", trace_service_pb2.ExportTraceServiceResponse().SerializeToString()


class ZipkinReceiver(_HTTPReceiver):
    """A Zipkin collector: v2 JSON on POST /api/v2/spans."""

    path = "/api/v2/spans"

    def parse(self, body: bytes) -> list[ReceivedSpan]:
        return [ReceivedSpan(
            name=span["name"], trace_id=span["traceId"].rjust(32, "0"), span_id=span["id"],
            parent_id=span.get("parentId"), service_name=span.get("localEndpoint", {}).get("serviceName"),
            attributes=span.get("tags", {}),
        ) for span in json.loads(body)]

    def answer(self) -> tuple[int, str, bytes]:
        return 202, "application/json", b""


class SilentListener:
    """Accepts TCP connections and never sends a byte: a collector that hangs."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._running = True
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while self._running:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            self.connections.append(connection)  # held open, never read or answered

    def stop(self) -> None:
        self._running = False
        self._thread.join(timeout=5)
        for connection in [*self.connections, self.socket]:
            connection.close()


def console_spans(output: str) -> list[ReceivedSpan]:
    """The spans in the console exporter's output: lines holding one JSON span each."""
    spans = []
    for line in output.splitlines():
        if not line.startswith('{"name"'):
            continue
        span = json.loads(line)
        resource = span.get("resource", {}).get("attributes", {})
        spans.append(ReceivedSpan(
            name=span["name"], trace_id=span["context"]["trace_id"].removeprefix("0x"),
            span_id=span["context"]["span_id"].removeprefix("0x"),
            parent_id=(span.get("parent_id") or "").removeprefix("0x") or None,
            service_name=resource.get("service.name"), attributes=span.get("attributes", {}), resource=resource,
        ))
    return spans
