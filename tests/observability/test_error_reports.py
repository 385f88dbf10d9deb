"""Django's DEBUG error page shows no broker, cache, exporter or provider credential."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import Client
from django.urls import path

from observability.error_reports import SecretsExceptionReporter, SecretsExceptionReporterFilter

MARKERS = {
    "broker password": "BrokerPassMarker-1a2b",
    "result backend password": "ResultPassMarker-3c4d",
    "cache password": "CachePassMarker-5e6f",
    "tracing endpoint password": "TracePassMarker-7a8b",
    "tracing endpoint token": "TraceTok3nMarker-9c0d",
    "metrics endpoint token": "MetricsTok3nMarker-1e2f",
    "exporter header": "HeaderMarker-3a4b",
    "provider key": "ProviderKeyMarker-5c6d",
}
TRACING_ENDPOINT = (f"https://collector:{MARKERS['tracing endpoint password']}@otel.example/v1/traces"
                    f"?tenant={MARKERS['tracing endpoint token']}")
CACHE_LOCATION = f"redis://:{MARKERS['cache password']}@cache.example:6379/1"


def failing_view(request):
    """Fails holding credentials in local variables, as a client library's frame would."""
    endpoint = TRACING_ENDPOINT  # noqa: F841 - shown by the error page
    connection = {"location": CACHE_LOCATION, "token": MARKERS["provider key"]}  # noqa: F841
    credentials = MARKERS["provider key"]  # noqa: F841
    raise ConnectionError("the broker went away")


def failing_with_secrets_in_messages(request):
    """Fails with credentials in the exception's message, its note and the exception it was raised from."""
    try:
        raise ConnectionError(f"cannot reach {CACHE_LOCATION}")
    except ConnectionError as cause:
        error = RuntimeError(f"provider refused {MARKERS['provider key']} (password={MARKERS['broker password']})")
        error.add_note(f"endpoint {TRACING_ENDPOINT}")
        raise error from cause


def not_found_with_secrets_in_the_reason(request):
    """Not found, saying what was looked for, credentials included (a client library's message)."""
    raise Http404(f"no session in {CACHE_LOCATION} for token={MARKERS['provider key']}")


urlpatterns = [path("fail/", failing_view), path("fail-loudly/", failing_with_secrets_in_messages),
               path("missing/", not_found_with_secrets_in_the_reason)]


@pytest.fixture
def configured(settings):
    settings.DEBUG = True
    settings.CELERY_BROKER_URL = f"redis://:{MARKERS['broker password']}@broker.example:6379/0"
    settings.CELERY_RESULT_BACKEND = f"redis://app:{MARKERS['result backend password']}@broker.example:6379/2"
    settings.CACHES = {**settings.CACHES, "sessions": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                                       "LOCATION": CACHE_LOCATION}}
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "TRACING_ENDPOINT": TRACING_ENDPOINT,
                              "TRACING_HEADERS": f"x-api-token={MARKERS['exporter header']}",
                              "METRICS_EXPORTER": "prometheus,otlp_http",
                              "METRICS_ENDPOINT": f"http://c/v1/metrics?tenant={MARKERS['metrics endpoint token']}"}
    settings.CHIMERA_SERVICE = {**settings.CHIMERA_SERVICE, "CHIMERA_PROVIDER_GOOGLE_API_KEY": MARKERS["provider key"]}


@pytest.mark.urls(__name__)
def test_the_debug_page_shows_no_credential(configured):
    # runserver copies the environment into META: the variables an operator set show there too.
    environment = {"CELERY_BROKER_URL": f"redis://:{MARKERS['broker password']}@broker.example:6379/0",
                   "TRACING_ENDPOINT": TRACING_ENDPOINT, "CACHE_URL": CACHE_LOCATION,
                   "OTEL_EXPORTER_OTLP_HEADERS": f"x-api-token={MARKERS['exporter header']}"}
    response = Client(raise_request_exception=False).get("/fail/", **environment)
    page = response.content.decode()
    assert response.status_code == 500 and "the broker went away" in page  # Django's technical page
    assert "CELERY_BROKER_URL" in page and "failing_view" in page and "credentials" in page
    assert [name for name, marker in MARKERS.items() if marker in page] == []
    assert "redis://:***@broker.example:6379/0" in page


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("accept", ["text/html", "text/plain"])
def test_the_debug_page_redacts_the_exceptions_messages_and_the_query(configured, accept):
    query = f"?page=2&api_key={MARKERS['exporter header']}"
    response = Client(raise_request_exception=False).get(f"/fail-loudly/{query}", HTTP_ACCEPT=accept)
    page = response.content.decode()
    assert response.status_code == 500 and "provider refused" in page and "cannot reach redis://" in page
    assert "failing_with_secrets_in_messages" in page and "api_key" in page and "endpoint https://" in page
    assert [name for name, marker in MARKERS.items() if marker in page] == []


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("target", ["/missing/", "/no-such-page/"], ids=["raised-http404", "no-route"])
def test_the_debug_not_found_page_redacts_its_reason_and_the_query(configured, target):
    response = Client().get(f"{target}?page=2&api_key={MARKERS['exporter header']}")
    page = response.content.decode()
    assert response.status_code == 404 and "Page not found" in page  # Django's technical 404 page
    assert "api_key=" in page and target in page
    assert [name for name, marker in MARKERS.items() if marker in page] == []


def test_the_project_uses_the_filter_and_the_reporter(settings):
    from django.views.debug import get_default_exception_reporter_filter, get_exception_reporter_class

    assert isinstance(get_default_exception_reporter_filter(), SecretsExceptionReporterFilter)
    assert get_exception_reporter_class(None) is SecretsExceptionReporter
