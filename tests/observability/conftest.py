"""Fixtures of the observability tests."""

from __future__ import annotations

import logging

import pytest

from observability.log_filters import RequestContextFilter


@pytest.fixture
def context_caplog(caplog):
    """caplog at DEBUG whose records carry request_id, trace_id and span_id, as the project's handlers do."""
    context_filter = RequestContextFilter()
    caplog.handler.addFilter(context_filter)
    caplog.set_level(logging.DEBUG)
    yield caplog
    caplog.handler.removeFilter(context_filter)
