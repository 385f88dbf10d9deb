"""TracingMiddleware makes the spans OpenTelemetry's own Django middleware makes.

Each request of a matrix (methods, routed or not, a 404, a 500 from an exception, a CSRF
refusal, with and without an incoming traceparent, query strings, user agents, client
addresses, gunicorn's RAW_URI) goes through two WSGI handlers that differ only in their first
middleware: the official one, installed by ``DjangoInstrumentor``, and ours, installed by
``observability.tracing.setup.instrument_django``. The exported spans are compared field by
field (name, kind, status, attributes, events, parent); every difference is named. The one
deliberate difference: the query values in the attributes that carry the query are ``***``.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.urls import set_script_prefix
from opentelemetry.instrumentation import propagators
from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from observability.tracing import setup
from observability.tracing.configuration import TracingConfig
from observability.tracing.sdk import official_middleware_path

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
UNSAMPLED_PARENT = f"00-{TRACE_ID}-{PARENT_ID}-00"
OURS = "observability.tracing.middleware.TracingMiddleware"
# The attributes holding the query string, whose values ours masks (no key is safe by default).
QUERY_ATTRIBUTES = ("http.target", "http.url", "url.query")
STACK = [
    "observability.middleware.RequestIDMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

# name -> (method, path, query string, extra environ)
CASES = {
    "GET routed": ("GET", "/items/7/", "", {}),
    "GET routed, query string": ("GET", "/items/8/", "a=1&b=two", {}),
    "GET routed, user agent, client address and port": (
        "GET", "/items/9/", "", {"HTTP_USER_AGENT": "Mozilla/5.0 (X11) parity/1.0", "REMOTE_ADDR": "10.1.2.3",
                                 "REMOTE_PORT": "51234"}),
    "GET routed, a bot's user agent": ("GET", "/items/9/", "", {"HTTP_USER_AGENT": "Googlebot/2.1"}),
    "GET routed, gunicorn's RAW_URI": ("GET", "/items/10/", "q=1", {"RAW_URI": "/items/10/?q=1"}),
    "GET routed, sampled traceparent": (
        "GET", "/items/11/", "", {"HTTP_TRACEPARENT": f"00-{TRACE_ID}-{PARENT_ID}-01"}),
    "GET routed, traceparent and tracestate": (
        "GET", "/items/12/", "", {"HTTP_TRACEPARENT": f"00-{TRACE_ID}-{PARENT_ID}-01", "HTTP_TRACESTATE": "k=v"}),
    "GET 404, no route": ("GET", "/no/such/page/", "", {}),
    "GET 404 raised by the view": ("GET", "/missing/", "", {}),
    "GET 500 from an exception": ("GET", "/boom/", "", {}),
    "GET redirect to the slash (CommonMiddleware)": ("GET", "/items/13", "", {}),
    "POST routed, refused by CSRF": (
        "POST", "/items/14/", "x=1", {"CONTENT_TYPE": "application/x-www-form-urlencoded"}),
    "POST 500 from an exception, traceparent": (
        "POST", "/boom/", "", {"HTTP_TRACEPARENT": f"00-{TRACE_ID}-{PARENT_ID}-01"}),
    "HEAD routed": ("HEAD", "/items/15/", "", {}),
    "unknown method": ("PROPFIND", "/items/16/", "", {}),
}
UNSAMPLED = {
    "GET routed, unsampled traceparent": ("GET", "/items/20/", "", {"HTTP_TRACEPARENT": UNSAMPLED_PARENT}),
    "GET 500, unsampled traceparent": ("GET", "/boom/", "", {"HTTP_TRACEPARENT": UNSAMPLED_PARENT}),
}


def environ(method: str, path: str, query: str, extra: dict, number: int) -> dict:
    body = b"x=1" if method == "POST" else b""
    env = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver", "HTTP_X_REQUEST_ID": f"parity-{number}", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)), "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
    }
    env.update(extra)
    return env


def call(handler: WSGIHandler, env: dict) -> dict[str, str]:
    headers = {}

    def start_response(status, response_headers, exc_info=None):
        headers.update((name.lower(), value) for name, value in response_headers)

    result = handler(env, start_response)
    b"".join(result)
    result.close()
    return headers


@pytest.fixture(params=["project provider", "provider of another"])
def handlers(request, global_tracer_provider, settings, django_db_blocker):
    """(official handler, our handler, exporter): both on one provider sampling at 1.0.

    The project's provider lets TracingMiddleware decide sampling first; a provider installed by
    someone else (its sampler could read attributes) gets the attributes before it decides.
    Closing a response may check a connection an earlier ``django_db`` test left open: allowed.
    """
    exporter = InMemorySpanExporter()
    config = TracingConfig(enabled=True, exporter_type="console", endpoint=None, sample_rate=1.0, excluded_urls=())
    if request.param == "project provider":
        provider = setup.build_provider(config, SimpleSpanProcessor(exporter))
    else:
        provider = TracerProvider(shutdown_on_exit=False)
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    global_tracer_provider(provider)  # RequestIDMiddleware tags spans only when a provider is installed
    response_propagator = propagators.get_global_response_propagator()
    settings.MIDDLEWARE = list(STACK)
    settings.ALLOWED_HOSTS = ["testserver"]
    assert setup.instrument_django(provider, config)
    ours = WSGIHandler()
    assert settings.MIDDLEWARE[0] == OURS
    setup.uninstrument_django()
    instrumentor = DjangoInstrumentor()
    instrumentor.instrument(tracer_provider=provider, excluded_urls="")
    try:
        settings.MIDDLEWARE = [official_middleware_path(instrumentor), *STACK]
        official = WSGIHandler()
        with django_db_blocker.unblock():
            yield official, ours, exporter
    finally:
        instrumentor.uninstrument()
        provider.shutdown()
        propagators.set_global_response_propagator(response_propagator)
        # The handler sets the thread's script prefix from each request's SCRIPT_NAME: a request
        # under /app must not leave later tests reversing URLs under it.
        set_script_prefix("/")


def describe(span) -> dict:
    """Every field the two middleware decide, without the IDs and times that differ by nature."""
    return {
        "name": span.name,
        "kind": span.kind,
        "status": (span.status.status_code, span.status.description),
        "attributes": dict(span.attributes),
        "events": [(event.name, {k: v for k, v in event.attributes.items() if k != "exception.stacktrace"})
                   for event in span.events],
        "parent": (span.parent.trace_id, span.parent.span_id, span.parent.is_remote) if span.parent else None,
        "trace id from the parent": span.parent is not None and span.context.trace_id == span.parent.trace_id,
        "scope": span.instrumentation_scope.name,
    }


def query_masked(key: str, value: object) -> object:
    """The official attribute's value with each query value written ``***``, as ours writes it."""
    if key not in QUERY_ATTRIBUTES or not isinstance(value, str):
        return value
    before, question, query = value.rpartition("?") if key != "url.query" else ("", "", value)
    return before + question + re.sub(r"=[^&]*", "=***", query)


def differences(case: str, official: dict, ours: dict) -> list[str]:
    found = []
    for field in official:
        if field == "attributes":
            for key in sorted(set(official[field]) | set(ours[field])):
                a, b = query_masked(key, official[field].get(key, "<absent>")), ours[field].get(key, "<absent>")
                if a != b:
                    found.append(f"{case}: attribute {key}: official {a!r}, ours {b!r}")
        elif official[field] != ours[field]:
            found.append(f"{case}: {field}: official {official[field]!r}, ours {ours[field]!r}")
    return found


@pytest.mark.urls("tests.observability.tracing.urls")
def test_every_sampled_request_gives_the_official_span(handlers):
    official, ours, exporter = handlers
    found, masked = [], []
    for number, (case, (method, path, query, extra)) in enumerate(CASES.items()):
        spans = {}
        for label, handler in (("official", official), ("ours", ours)):
            exporter.clear()
            headers = call(handler, environ(method, path, query, extra, number))
            finished = exporter.get_finished_spans()
            assert len(finished) == 1, f"{case}: {label} middleware made {len(finished)} spans"
            span = finished[0]
            ids = span.get_span_context()
            expected = f"00-{ids.trace_id:032x}-{ids.span_id:016x}-{ids.trace_flags:02x}"
            assert headers.get("traceresponse") == expected, f"{case}: {label}"
            spans[label] = describe(span)
        found += differences(case, spans["official"], spans["ours"])
        if query:
            masked.append(spans["ours"]["attributes"].get("http.target") or spans["ours"]["attributes"]["http.url"])
    assert found == []
    assert masked == ["http://testserver/items/8/?a=***&b=***", "/items/10/?q=***", "http://testserver/items/14/?x=***"]


@pytest.mark.urls("tests.observability.tracing.urls")
def test_unsampled_requests_give_no_span_and_the_same_traceresponse(handlers):
    official, ours, exporter = handlers
    for number, (case, (method, path, query, extra)) in enumerate(UNSAMPLED.items()):
        answers = [call(handler, environ(method, path, query, extra, number)) for handler in (official, ours)]
        assert exporter.get_finished_spans() == (), case
        flags = [headers["traceresponse"].split("-") for headers in answers]
        assert [(version, trace_id, sampled) for version, trace_id, _, sampled in flags] == [
            ("00", TRACE_ID, "00"), ("00", TRACE_ID, "00")], case
        assert [headers["access-control-expose-headers"] for headers in answers] == ["traceresponse"] * 2


@pytest.mark.urls("tests.observability.tracing.urls")
def test_under_a_script_prefix_the_span_keeps_its_route(handlers, request):
    # The one deliberate difference: the official middleware resolves request.path again, which
    # carries SCRIPT_NAME, and so names every span after the method alone under a prefix.
    # With a provider of another, the span is named before Django resolves the URL, as officially.
    official, ours, exporter = handlers
    ours_named = "GET" if "another" in request.node.callspec.params["handlers"] else "GET items/<int:pk>/"
    names = []
    for handler in (official, ours):
        exporter.clear()
        call(handler, environ("GET", "/items/3/", "", {"SCRIPT_NAME": "/app"}, 0))
        names.append(exporter.get_finished_spans()[0].name)
    assert names == ["GET", ours_named]
