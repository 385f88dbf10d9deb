"""observability.tasks in-process: a Celery app running its tasks eagerly, with the receivers connected."""

from __future__ import annotations

import contextvars
import logging
import sys

import pytest
from celery import Celery

from observability import apps as observability_apps
from observability.context import get_request_id, request_id_context, request_id_var, task_var
from observability.log_filters import RequestContextFilter
from observability.request_id import is_valid_request_id
from observability.tasks import instrument, propagation, worker
from observability.tasks.tracing import instrument_tracing, uninstrument_tracing

app = instrument(Celery("observability-tests", broker="memory://", backend="cache+memory://",
                        task_always_eager=True))
seen: list[dict] = []


@app.task(name="tests.observed")
def observed(start_another: bool = False) -> str:
    record = logging.LogRecord("tests", logging.INFO, __file__, 1, "in the task", None, None)
    RequestContextFilter().filter(record)
    seen.append({"request_id": get_request_id(), "task": task_var.get(), "record": record.__dict__})
    if start_another:
        observed.delay()
    return get_request_id()


@pytest.fixture(autouse=True)
def fresh():
    seen.clear()
    token = request_id_var.set(None)
    yield
    request_id_var.reset(token)


def test_a_task_runs_under_the_request_id_of_its_publisher_and_puts_it_back():
    with request_id_context("req-42"):
        result = observed.delay(start_another=True)
        assert get_request_id() == "req-42" and task_var.get() is None
    assert [entry["request_id"] for entry in seen] == ["req-42", "req-42"]
    assert seen[0]["task"] == (result.id, "tests.observed")
    assert seen[0]["record"]["request_id"] == "req-42"
    assert (seen[0]["record"]["task_id"], seen[0]["record"]["task_name"]) == (result.id, "tests.observed")


def test_a_task_published_outside_any_request_gets_a_new_id_each_time():
    observed.delay()
    observed.delay()
    ids = [entry["request_id"] for entry in seen]
    assert all(is_valid_request_id(request_id) for request_id in ids) and ids[0] != ids[1]
    assert get_request_id() is None


def test_log_records_outside_tasks_have_no_task_fields():
    record = logging.LogRecord("tests", logging.INFO, __file__, 1, "outside", None, None)
    RequestContextFilter().filter(record)
    assert "task_id" not in record.__dict__ and record.request_id == "-"


def test_the_header_is_added_once_and_an_existing_one_is_kept():
    headers = {"id": "t1"}
    with request_id_context("req-7"):
        propagation.add_request_id(headers=headers)
    assert headers[propagation.HEADER] == "req-7"
    kept = {propagation.HEADER: "original"}
    with request_id_context("req-8"):
        propagation.add_request_id(headers=kept)
    assert kept[propagation.HEADER] == "original"
    propagation.add_request_id(headers=None)  # protocol 1 messages: nothing to do


class _Request:
    pass


class _Task:
    name = "tests.fake"

    def __init__(self, header: str | None):
        self.request = _Request()
        if header is not None:
            setattr(self.request, propagation.HEADER, header)


@pytest.mark.parametrize("header", ["bad id with spaces", "x" * 200, ""])
def test_an_invalid_incoming_id_is_replaced_never_used(header):
    task = _Task(header)

    def run():
        propagation.enter_task(task_id="t-1", task=task)
        used = get_request_id()
        propagation.leave_task(task=task)
        return used, get_request_id(), task_var.get()

    used, after, task_after = contextvars.copy_context().run(run)
    assert used != header and is_valid_request_id(used)
    assert after is None and task_after is None


def test_a_message_id_is_used_when_valid():
    task = _Task("from-the-message")
    assert contextvars.copy_context().run(
        lambda: (propagation.enter_task(task_id="t-2", task=task), get_request_id())[1]) == "from-the-message"


@pytest.mark.parametrize(("argv", "gets_id"), [
    (["manage.py", "migrate"], True), (["/srv/app/manage.py", "health"], True), (["manage.py", "shell"], False),
    (["manage.py", "runserver"], False), (["gunicorn", "chimera.wsgi"], False), (["celery", "-A", "chimera"], False),
])
def test_a_management_command_run_gets_one_request_id(argv, gets_id):
    def run():
        started = observability_apps.start_command_context(argv)
        return started, get_request_id()

    started, current = contextvars.copy_context().run(run)
    assert (started is not None) is gets_id
    assert current == started


def test_worker_processes_go_through_observability_processes(monkeypatch):
    calls = []
    monkeypatch.setattr("observability.processes.after_fork", lambda: calls.append("after_fork"))
    monkeypatch.setattr("observability.processes.before_exit", lambda bound: calls.append(("before_exit", bound)))
    worker.after_fork()
    worker.before_exit()
    assert calls == ["after_fork", ("before_exit", 5.0)]


def test_eager_task_span_is_a_child_of_the_current_span(span_exporter):
    from opentelemetry import trace

    assert instrument_tracing()
    try:
        assert not instrument_tracing()  # once per process
        with trace.get_tracer("tests").start_as_current_span("request") as parent, request_id_context("req-s"):
            observed.delay()
    finally:
        uninstrument_tracing()
    spans = {span.name: span for span in span_exporter.get_finished_spans()}
    run = spans["run/tests.observed"]
    assert run.parent.span_id == parent.get_span_context().span_id
    assert run.attributes["request.id"] == "req-s"


def test_without_tracing_nothing_is_instrumented():
    assert instrument_tracing() is False


def test_without_the_celery_extra_tasks_are_not_instrumented_and_nothing_is_imported(span_exporter, monkeypatch):
    from opentelemetry.instrumentation.celery import CeleryInstrumentor

    monkeypatch.setitem(sys.modules, "opentelemetry.instrumentation.celery", None)  # as if the extra were missing
    assert instrument_tracing() is False
    assert not CeleryInstrumentor().is_instrumented_by_opentelemetry
    uninstrument_tracing()
