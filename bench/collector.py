"""A counting OTLP collector for load benchmarks, in its own process.

    .venv/bin/python -m bench.collector

Listens on 127.0.0.1 (free ports) for OTLP/gRPC and OTLP/HTTP, counts the spans it receives
and keeps nothing else, so a long run costs it no memory. Prints one JSON line with its ports;
``GET /count`` on the HTTP port answers the number of spans so far. Running apart from the
benchmark keeps its work off the benchmark's own interpreter.
"""

from __future__ import annotations

import json
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc


class Counter:
    """Spans received, from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.spans = 0

    def add(self, request: trace_service_pb2.ExportTraceServiceRequest) -> None:
        count = sum(len(scope.spans) for resource in request.resource_spans for scope in resource.scope_spans)
        with self._lock:
            self.spans += count


class TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, counter: Counter) -> None:
        self.counter = counter

    def Export(self, request, context):  # noqa: N802 - the generated service's method name
        self.counter.add(request)
        return trace_service_pb2.ExportTraceServiceResponse()


def http_handler(counter: Counter) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802 - http.server's method name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            counter.add(trace_service_pb2.ExportTraceServiceRequest.FromString(body))
            self._answer(trace_service_pb2.ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf")

        def do_GET(self):  # noqa: N802
            self._answer(str(counter.spans).encode(), "text/plain")

        def _answer(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    return Handler


def main() -> None:
    counter = Counter()
    grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(TraceService(counter), grpc_server)
    grpc_port = grpc_server.add_insecure_port("127.0.0.1:0")
    grpc_server.start()
    http_server = ThreadingHTTPServer(("127.0.0.1", 0), http_handler(counter))
    print(json.dumps({"grpc_port": grpc_port, "http_port": http_server.server_address[1]}), flush=True)
    try:
        http_server.serve_forever()
    finally:
        grpc_server.stop(grace=None)


if __name__ == "__main__":
    main()
