"""Log correlation: request_id, trace_id and span_id on records, in text and JSON."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest
from django.test import Client
from opentelemetry.sdk.trace import TracerProvider
from pythonjsonlogger.json import JsonFormatter

from observability.context import request_id_context
from observability.log_filters import RedactionFilter, RequestContextFilter, SecurityEventFilter

logger = logging.getLogger("tests.log_filters")


def pairs(caplog, name: str) -> list[tuple[str, str]]:
    return [(r.getMessage(), r.request_id) for r in caplog.records if r.name == name]


def test_outside_a_request_the_fields_are_dashes(context_caplog):
    logger.info("no request here")
    record = context_caplog.records[-1]
    assert (record.request_id, record.trace_id, record.span_id) == ("-", "-", "-")


def test_inside_request_id_context(context_caplog):
    with request_id_context("job-42"):
        logger.info("inside a job")
    logger.info("after the job")
    assert pairs(context_caplog, "tests.log_filters") == [("inside a job", "job-42"), ("after the job", "-")]


@pytest.mark.urls("tests.observability.urls")
def test_records_of_a_request_carry_its_id(context_caplog):
    client = Client(raise_request_exception=False)
    client.get("/api/test/ok", HTTP_X_REQUEST_ID="req-a")
    client.get("/ok", HTTP_X_REQUEST_ID="req-b")
    client.get("/boom", HTTP_X_REQUEST_ID="req-c")
    assert pairs(context_caplog, "tests.views") == [("api view ran", "req-a"), ("plain view ran", "req-b")]
    assert pairs(context_caplog, "django.request") == [("Internal Server Error: /boom", "req-c")]


def test_current_span_gives_trace_and_span_ids(context_caplog):
    tracer = TracerProvider().get_tracer("tests")
    with tracer.start_as_current_span("work") as span:
        logger.info("in a span")
    record = context_caplog.records[-1]
    context = span.get_span_context()
    assert record.trace_id == format(context.trace_id, "032x")
    assert record.span_id == format(context.span_id, "016x")
    assert len(record.trace_id) == 32 and len(record.span_id) == 16


def test_values_given_with_extra_are_kept(context_caplog):
    logger.info("from a task queue", extra={"request_id": "task-7"})
    assert context_caplog.records[-1].request_id == "task-7"


def test_json_lines_have_the_documented_fields():
    from django.conf import settings

    config = settings.LOGGING["formatters"]["json"]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(config["fmt"], rename_fields=config["rename_fields"]))
    handler.addFilter(RequestContextFilter())
    json_logger = logging.getLogger("tests.json")
    json_logger.addHandler(handler)
    json_logger.propagate = False
    try:
        with request_id_context("json-1"):
            json_logger.warning("hello %s", "world")
    finally:
        json_logger.removeHandler(handler)
        json_logger.propagate = True
    line = json.loads(stream.getvalue())
    assert line["message"] == "hello world"
    assert (line["level"], line["logger"], line["request_id"]) == ("WARNING", "tests.json", "json-1")
    assert line["trace_id"] == line["span_id"] == "-"
    assert line["timestamp"]


def test_text_format_includes_the_request_id():
    from django.conf import settings

    formatter = logging.Formatter(settings.LOGGING["formatters"]["text"]["format"])
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "message", (), None)
    RequestContextFilter().filter(record)
    with request_id_context("text-1"):
        record2 = logging.LogRecord("x", logging.INFO, __file__, 1, "message", (), None)
        RequestContextFilter().filter(record2)
    assert "[-] message" in formatter.format(record)
    assert "[text-1] message" in formatter.format(record2)


def test_project_logging_puts_the_filter_on_the_handler():
    from django.conf import settings

    assert settings.LOGGING["handlers"]["console"]["filters"] == ["security_events", "redact", "request_context"]
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "name", "") == "console")
    assert [type(f) for f in handler.filters] == [SecurityEventFilter, RedactionFilter, RequestContextFilter]


SECRET = "marker-secret-value-51d2"


def record(message: str, *args, exc_info=None, name: str = "library", level: int = logging.WARNING, **extra):
    made = logging.LogRecord(name, level, __file__, 1, message, args, exc_info)
    made.__dict__.update(extra)
    return made


@pytest.fixture
def secret(use_api_keys):
    use_api_keys(SECRET)


def test_redaction_masks_message_arguments_and_urls(secret):
    made = record("export to %s failed with key %s", "http://u:pw-7781@collector:4318/v1/traces?token=tok-9931",
                  SECRET)
    assert RedactionFilter().filter(made) is True
    text = made.getMessage()
    assert SECRET not in text and "pw-7781" not in text and "tok-9931" not in text
    assert "http://u:***@collector:4318/v1/traces?token=***" in text


def test_redaction_masks_tracebacks_for_every_formatter(secret):
    try:
        raise ConnectionError(f"could not reach http://cache/?key={SECRET}")
    except ConnectionError:
        made = record("it failed", exc_info=sys.exc_info())
    RedactionFilter().filter(made)
    assert made.exc_info is None and "ConnectionError" in made.exc_text
    from pythonjsonlogger.json import JsonFormatter

    for formatter in (logging.Formatter(), JsonFormatter("%(message)s")):
        output = formatter.format(made)
        assert "ConnectionError" in output and SECRET not in output


def test_redaction_masks_extra_fields(secret):
    made = record("call", url=f"https://provider/v1?api_key={SECRET}", attempt=3)
    RedactionFilter().filter(made)
    assert SECRET not in made.url and made.attempt == 3


def test_a_record_without_secrets_is_left_as_it_was(secret):
    made = record("served %d requests", 5)
    RedactionFilter().filter(made)
    assert (made.msg, made.args) == ("served %d requests", (5,))


def test_security_records_become_one_warning_line_without_traceback():
    host = "evil.example" + "x" * 1000
    try:
        raise ValueError("DisallowedHost")
    except ValueError:
        made = record("Invalid HTTP_HOST header: %r.\nYou may need to add %r to ALLOWED_HOSTS.", host, host,
                      exc_info=sys.exc_info(), name="django.security.DisallowedHost", level=logging.ERROR)
    assert SecurityEventFilter().filter(made) is True
    assert (made.levelname, made.exc_info, made.exc_text) == ("WARNING", None, None)
    assert "\n" not in made.getMessage() and len(made.getMessage()) <= 300
    assert made.getMessage().startswith("Invalid HTTP_HOST header: 'evil.example")


def test_other_records_keep_their_level():
    made = record("boom", name="django.request", level=logging.ERROR)
    SecurityEventFilter().filter(made)
    assert made.levelname == "ERROR"


@pytest.fixture
def project_json_logging():
    """The project's LOGGING with LOG_FORMAT=json, its console writing to the stream yielded; the original after."""
    from logging.config import dictConfig

    from django.conf import settings

    from observability.logging import logging_config

    dictConfig(logging_config("INFO", "json"))
    stream = io.StringIO()
    next(h for h in logging.getLogger().handlers if h.name == "console").setStream(stream)
    try:
        yield stream
    finally:
        dictConfig(settings.LOGGING)


@pytest.mark.urls("tests.observability.urls")
def test_json_lines_of_a_404_and_a_500_carry_no_query_value(project_json_logging):
    client = Client(raise_request_exception=False)
    query = "api_key=ak-live-7731&password=pw-hunter-8842"
    assert client.get(f"/no/such/page/?{query}").status_code == 404
    assert client.get(f"/boom?{query}").status_code == 500
    output = project_json_logging.getvalue()
    lines = [json.loads(line) for line in output.splitlines()]
    requests = [line for line in lines if line["logger"] == "django.request"]
    assert [line["level"] for line in requests] == ["WARNING", "ERROR"]
    assert "ak-live-7731" not in output and "pw-hunter-8842" not in output
    assert all("?api_key=***&password=***" in line["request"] for line in requests)
    assert [line["status_code"] for line in requests] == [404, 500]


def test_an_object_without_secrets_stays_for_handlers_that_read_it(rf):
    request = rf.get("/items/")
    made = record("Not Found: /items/", name="django.request", request=request, status_code=404)
    RedactionFilter().filter(made)
    assert made.request is request and made.status_code == 404
