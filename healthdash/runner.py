"""Running a registry's checks: concurrently, each within its timeout, all within a deadline.

Every check runs on a pool thread (an async check in its own event loop there, bounded by
``asyncio.timeout()``), so sync and async checks share one rule: a check still running after
its timeout is reported ``down`` with reason ``timeout`` and is not started again until it
ends, so hung checks cannot pile up threads. The caller waits on futures with deadlines rather
than on an event loop of its own: it works the same from a WSGI worker, an ASGI thread or a
management command. A service's change of status is logged once from the caller's thread (so
the record carries the request's ID): a run every few seconds in every worker must not repeat
a traceback while a dependency stays down. The (redacted) traceback goes to DEBUG.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from django.db import connections

from healthdash.conf import get_settings
from healthdash.gauges import record_run
from healthdash.history import observe_run
from healthdash.pool import CheckPool, shared_pool
from healthdash.reasons import TIMEOUT, reason_for, safe_traceback
from healthdash.registry import Service, ServiceRegistry
from healthdash.status import CheckResult, ServiceResult, Status, overall_status, to_check_result
from observability.redaction import redact, redact_tree

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Run:
    """The results of one run of the checks."""

    results: Mapping[str, ServiceResult]
    checked_at: datetime
    duration_ms: float
    finished: float  # time.monotonic() when the run ended

    @property
    def status(self) -> Status:
        """The overall status."""
        return overall_status(self.results.values())

    def age(self) -> float:
        """Seconds since the run ended."""
        return time.monotonic() - self.finished


@dataclass(frozen=True)
class _Outcome:
    result: CheckResult | None
    error: Exception | None
    elapsed_ms: float


@dataclass(frozen=True)
class _Execution:
    service: Service
    future: Future
    started: float  # time.monotonic()
    started_at: datetime
    ongoing: bool = False  # started by an earlier run, still running


class Runner:
    """Runs the checks of `registry` on `pool` (the process's shared pool by default)."""

    def __init__(self, registry: ServiceRegistry, pool: CheckPool | None = None):
        self.registry = registry
        self._pool = pool
        self._lock = threading.Lock()
        self._executions: dict[str, _Execution] = {}
        self._statuses: dict[str, Status] = {}  # each service's status in the latest run, for its changes

    def run(self, names: Iterable[str] | None = None, *, deadline: float | None = None) -> Run:
        """Check the services named (all by default) now; UnknownService for a name not registered."""
        services = self.registry.select(names)
        seconds = get_settings().deadline if deadline is None else deadline
        started, checked_at = time.monotonic(), datetime.now(UTC)
        executions = [self._start(service) for service in services]
        results = {e.service.name: self._collect(e, started + seconds) for e in executions}
        finished = time.monotonic()
        run = Run(results, checked_at, round((finished - started) * 1000, 2), finished)
        record_run(run)
        self._log_changes(results.values())
        observe_run(run)  # the fleet's history and notifications: after real runs only, never waited for
        return run

    def _start(self, service: Service) -> _Execution:
        with self._lock:
            previous = self._executions.get(service.name)
            if previous is not None and previous.service is service and not previous.future.done():
                return replace(previous, ongoing=True)
            pool = self._pool or shared_pool()
            future = pool.submit(_invoke, contextvars.copy_context(), service.check, service.timeout)
            execution = _Execution(service, future, time.monotonic(), datetime.now(UTC))
            self._executions[service.name] = execution
            return execution

    def _collect(self, execution: _Execution, deadline: float) -> ServiceResult:
        service = execution.service
        if execution.ongoing:
            logger.debug("Health check %s is still running from an earlier run; not started again", service.name)
            return _down(execution, TIMEOUT, details={"still_running": True})
        wait = min(execution.started + service.timeout, deadline) - time.monotonic()
        try:
            outcome: _Outcome = execution.future.result(timeout=max(wait, 0))
        except FutureTimeout:
            logger.debug("Health check %s timed out after %.2f s", service.name, time.monotonic() - execution.started)
            return _down(execution, TIMEOUT)
        if outcome.error is not None:
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("Health check %s failed:\n%s", service.name, safe_traceback(outcome.error))
            return _down(execution, reason_for(outcome.error), latency_ms=outcome.elapsed_ms)
        result = outcome.result
        return _service_result(execution, result.status, outcome.elapsed_ms,
                               redact(result.reason) if result.reason else None, redact_tree(result.details))

    def _log_changes(self, results: Iterable[ServiceResult]) -> None:
        """One line per service whose status changed since the latest run: INFO when up again, else WARNING.

        A critical service going down is an ERROR: it takes the instance out of its load balancer
        (``/health/ready`` answers 503), which someone has to act on.
        """
        with self._lock:
            changes = [(result, self._statuses.get(result.name)) for result in results
                       if self._statuses.get(result.name) is not result.status]
            self._statuses.update((result.name, result.status) for result in results)
        for result, before in changes:
            if result.status is Status.UP:
                if before is not None:
                    logger.info("Health check %s is up again (was %s)", result.name, before.value)
                continue
            level = logging.ERROR if result.critical and result.status is Status.DOWN else logging.WARNING
            logger.log(level, "Health check %s is %s: %s", result.name, result.status.value, result.reason)


def _down(execution: _Execution, reason: str, *, latency_ms: float | None = None,
          details: Mapping[str, object] | None = None) -> ServiceResult:
    if latency_ms is None:
        latency_ms = (time.monotonic() - execution.started) * 1000
    return _service_result(execution, Status.DOWN, latency_ms, reason, details or {})


def _service_result(execution: _Execution, status: Status, latency_ms: float, reason: str | None,
                    details: Mapping[str, object]) -> ServiceResult:
    service = execution.service
    return ServiceResult(
        name=service.name, status=status, critical=service.critical, latency_ms=round(latency_ms, 2),
        checked_at=execution.started_at, description=redact(service.description),
        component_type=service.component_type, reason=reason, details=details,
    )


def _invoke(context: contextvars.Context, check, timeout: float) -> _Outcome:
    """Call `check` in `context` (the caller's request ID, span); runs on a pool thread."""
    started = time.perf_counter()
    try:
        result, error = to_check_result(context.run(_call, check, timeout)), None
    except Exception as exc:
        result, error = None, exc
    finally:
        # Connections the check opened through the ORM belong to this pool thread: close them.
        connections.close_all()
    return _Outcome(result, error, (time.perf_counter() - started) * 1000)


def _call(check, timeout: float) -> object:
    value = check()
    if inspect.isawaitable(value):
        value = asyncio.run(_within(value, timeout))
    return value


async def _within(awaitable, timeout: float) -> object:
    async with asyncio.timeout(timeout):
        return await awaitable
