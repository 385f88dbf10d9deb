"""The request pipeline is MIDDLEWARE as the project lists it: order, no-ops, the splice for older projects."""

from __future__ import annotations

import pytest
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpResponse

from observability import pipeline
from observability.conf import TracingConfig
from observability.journal.recording import JournalMiddleware
from observability.metrics.middleware import MetricsMiddleware
from observability.metrics.setup import set_up_metrics
from observability.proxies import ClientAddressMiddleware
from observability.tracing import setup
from observability.tracing.middleware import TracingMiddleware
from observability.tracing.sdk import official_middleware_path

pytestmark = pytest.mark.urls("tests.observability.tracing.urls")

REQUEST_ID, SECURITY = pipeline.REQUEST_ID, "django.middleware.security.SecurityMiddleware"
# The first published lines: RequestIDMiddleware alone, then the project's own.
PUBLISHED = [REQUEST_ID, SECURITY, "django.middleware.common.CommonMiddleware"]


def answer(request):
    return HttpResponse("ok")


def test_the_server_span_records_the_client_behind_a_trusted_proxy(client, settings, span_exporter):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "TRUSTED_PROXIES": "127.0.0.1"}
    client.get("/healthcare", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["net.peer.ip"] == "203.0.113.7"


@pytest.mark.parametrize("middleware", [ClientAddressMiddleware, TracingMiddleware, MetricsMiddleware,
                                        JournalMiddleware])
def test_each_middleware_leaves_the_chain_while_its_feature_is_off(settings, middleware):
    settings.OBSERVABILITY = {"METRICS_ENABLED": "false", "TRUSTED_PROXIES": "", "REQUEST_JOURNAL_ENABLED": "false"}
    with pytest.raises(MiddlewareNotUsed):
        middleware(answer)


@pytest.mark.parametrize("middleware", [ClientAddressMiddleware, TracingMiddleware, MetricsMiddleware,
                                        JournalMiddleware])
def test_each_middleware_stays_while_its_feature_is_on(settings, span_exporter, middleware):
    settings.OBSERVABILITY = {"METRICS_ENABLED": "true", "TRUSTED_PROXIES": "10.0.0.0/8",
                              "REQUEST_JOURNAL_ENABLED": "true"}
    assert middleware(answer).get_response is answer


def test_a_project_of_the_published_lines_gets_tracing_and_metrics_spliced_in(settings):
    settings.MIDDLEWARE = list(PUBLISHED)
    # A settings change of its own: when it is undone, the process's metrics are rebuilt from its settings.
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "METRICS_ENABLED": "true"}
    assert set_up_metrics()  # as ready() does
    assert [REQUEST_ID, pipeline.METRICS, *PUBLISHED[1:]] == settings.MIDDLEWARE
    config = TracingConfig(enabled=True, exporter_type="console", endpoint=None)
    assert setup.instrument_django(setup.build_provider(config, _NoExport()), config)
    try:
        assert [pipeline.TRACING, REQUEST_ID, pipeline.METRICS, *PUBLISHED[1:]] == settings.MIDDLEWARE
        assert pipeline.as_written(settings.MIDDLEWARE) == PUBLISHED
    finally:
        setup.uninstrument_django()
    assert [REQUEST_ID, pipeline.METRICS, *PUBLISHED[1:]] == settings.MIDDLEWARE


def test_the_spliced_tracing_middleware_traces_and_request_ids_tag_its_span(settings, span_exporter, client):
    # span_exporter instrumented the project's MIDDLEWARE: here the published lines' project, as ready() sees it.
    settings.MIDDLEWARE = list(PUBLISHED)
    pipeline.splice(pipeline.TRACING)
    response = client.get("/healthcare")
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["request.id"] == response["X-Request-ID"]


def test_listed_middleware_is_never_spliced_again_nor_taken_out(settings, span_exporter):
    listed = list(settings.MIDDLEWARE)
    pipeline.splice(pipeline.TRACING)
    pipeline.splice(pipeline.METRICS)
    pipeline.unsplice(pipeline.TRACING)
    assert listed == settings.MIDDLEWARE


def test_opentelemetry_s_own_middleware_is_not_doubled(settings, global_tracer_provider):
    settings.MIDDLEWARE = [official_middleware_path(), *settings.MIDDLEWARE]
    config = TracingConfig(enabled=True, exporter_type="console", endpoint=None)
    assert not setup.instrument_django(setup.build_provider(config, _NoExport()), config)
    with pytest.raises(MiddlewareNotUsed):
        TracingMiddleware(answer)


@pytest.mark.parametrize(("middleware", "path", "expected"), [
    (PUBLISHED, pipeline.TRACING, 0),
    (PUBLISHED, pipeline.METRICS, 1),
    ([pipeline.CLIENT_ADDRESS, REQUEST_ID, SECURITY], pipeline.TRACING, 1),
    ([pipeline.TRACING, SECURITY], pipeline.METRICS, 1),
    ([SECURITY, REQUEST_ID], pipeline.TRACING, 0),
    ([REQUEST_ID, pipeline.CLIENT_ADDRESS, SECURITY], pipeline.TRACING, 0),  # before RequestID, which tags its span
    ([SECURITY], pipeline.METRICS, 0),
])
def test_splice_position_follows_the_pipeline_s_order(middleware, path, expected):
    assert pipeline.position(middleware, path) == expected


class _NoExport:
    """A span processor that drops every span: these tests look at MIDDLEWARE only."""

    def on_start(self, span, parent_context=None):
        pass

    def on_end(self, span):
        pass

    def shutdown(self):
        pass

    def force_flush(self, timeout_millis=None):
        return True
