"""Request timings: queries and cache calls counted per request, Server-Timing, SERVER_TIMING."""

from __future__ import annotations

import re
import threading

import pytest
from django.core.cache import cache
from django.http import HttpResponse

from observability.context import ContextThreadPoolExecutor
from observability.middleware import RequestIDMiddleware
from observability.timing import (
    ENVIRON_KEY,
    RequestTimings,
    parse_server_timing,
    server_timing_enabled,
    timings_var,
)

pytestmark = pytest.mark.urls("tests.observability.tracing.urls")


@pytest.fixture(autouse=True)
def responses_may_close_connections(django_db_blocker):
    """Closing a response checks a connection an earlier ``django_db`` test may have left open."""
    with django_db_blocker.unblock():
        yield
ENTRY = re.compile(r'(?P<name>[a-z]+);dur=(?P<dur>\d+\.\d{2})(?:;desc="(?P<desc>[^"]*)")?')


def entries(header: str) -> dict[str, tuple[float, str | None]]:
    """name -> (duration, description) of a Server-Timing value; every entry must parse."""
    parts = [part.strip() for part in header.split(",")]
    matches = [ENTRY.fullmatch(part) for part in parts]
    assert all(matches), header
    return {m["name"]: (float(m["dur"]), m["desc"]) for m in matches}


def test_the_header_lists_app_db_and_cache_in_milliseconds():
    timings = RequestTimings()
    timings.add_query(0.004)
    timings.add_query(0.0015)
    timings.add_cache(0.00025)
    found = entries(timings.server_timing())
    assert list(found) == ["app", "db", "cache"]
    assert found["db"] == (5.5, "2 queries")
    assert found["cache"] == (0.25, None)
    assert found["app"][0] >= 0


def test_one_query_is_one_query():
    timings = RequestTimings()
    timings.add_query(0.001)
    assert 'desc="1 query"' in timings.server_timing()


@pytest.fixture
def server_timing(settings):
    def set_to(value):
        settings.OBSERVABILITY = {**settings.OBSERVABILITY, "SERVER_TIMING": value}
    return set_to


@pytest.mark.django_db
def test_a_request_counts_its_queries_and_cache_calls(client, server_timing):
    server_timing("true")
    response = client.get("/anatomy/")
    found = entries(response["Server-Timing"])
    assert found["db"][1] == "3 queries"
    assert found["cache"][0] > 0
    assert found["app"][0] >= found["db"][0] + found["cache"][0]
    timings = response.wsgi_request.META[ENVIRON_KEY]
    assert (timings.queries, timings.db > 0) == (3, True)


@pytest.mark.parametrize(("value", "debug", "header"), [
    ("true", False, True), ("false", True, False), (None, True, True), (None, False, False), ("", True, True),
])
def test_server_timing_follows_the_setting_else_debug(client, server_timing, settings, value, debug, header):
    if value is not None:
        server_timing(value)
    settings.DEBUG = debug
    assert server_timing_enabled() is header
    assert client.get("/items/1/").has_header("Server-Timing") is header


def test_an_invalid_value_is_a_problem_naming_it():
    config, problems = parse_server_timing({"SERVER_TIMING": "sometimes"})
    assert config.enabled is None
    ((problem),) = problems
    assert problem.id == "observability.E026"
    assert "SERVER_TIMING" in problem.message and "'sometimes'" in problem.message and problem.hint


def test_a_view_s_own_server_timing_entries_are_kept(rf, server_timing):
    server_timing("true")

    def view(request):
        response = HttpResponse("ok")
        response["Server-Timing"] = 'render;dur=1.50;desc="template"'
        return response

    response = RequestIDMiddleware(view)(rf.get("/"))
    response.close()
    assert list(entries(response["Server-Timing"])) == ["render", "app", "db", "cache"]


def test_nested_cache_calls_count_once_and_threads_of_the_request_count_too(rf):
    seen = []

    def view(request):
        timings = timings_var.get()
        cache.get_or_set("nested", lambda: "value", 30)  # get, then add: one call as the caller sees it
        with ContextThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda _: cache.get("nested"), range(4)))
        seen.append(timings)
        return HttpResponse("ok")

    calls = []
    original = RequestTimings.add_cache
    lock = threading.Lock()

    def counting(self, seconds):
        with lock:
            calls.append(seconds)
        original(self, seconds)

    RequestTimings.add_cache = counting
    try:
        RequestIDMiddleware(view)(rf.get("/")).close()  # closing ends the request's timings
    finally:
        RequestTimings.add_cache = original
    cache.delete("nested")
    assert len(calls) == 5
    assert seen[0].cache == pytest.approx(sum(calls))


def test_the_timings_end_with_the_response_and_nothing_is_counted_outside(rf):
    before = timings_var.get()  # None, or what an unclosed response of an earlier test left
    response = RequestIDMiddleware(lambda request: HttpResponse("ok"))(rf.get("/"))
    timings = timings_var.get()
    response.close()
    assert timings is not before and timings_var.get() is before
    cache.set("outside", 1, 30)  # no request: the wrapper only looks the timings up
    assert (cache.get("outside"), timings.cache) == (1, 0.0)
