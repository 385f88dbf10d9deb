"""Tasks of the Celery tests; both log a line, so the test can read their request IDs."""

from __future__ import annotations

import logging
import time

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

logger = logging.getLogger(__name__)


@shared_task(name="taskapp.first")
def first(seconds: float = 0.0) -> str:
    """Log, start ``second``, and return its ID."""
    logger.info("first task runs")
    time.sleep(seconds)
    return second.delay().id


@shared_task(name="taskapp.second")
def second() -> str:
    """Log and return the request ID it runs under."""
    from observability.context import get_request_id

    logger.info("second task runs")
    return get_request_id()


@shared_task(name="taskapp.sleep")
def sleep(seconds: float) -> float:
    """Sleep, so a test can stop the worker while a task runs; deaf to its soft time limit, as a task
    stuck in a C call is, so only the hard one stops it."""
    logger.info("sleep task starts")
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            time.sleep(left)
        except SoftTimeLimitExceeded:
            logger.info("sleep task ignores its soft time limit")
    logger.info("sleep task ends")
    return seconds
