"""Statuses and results: what a check returns and what the runner reports for a service."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = ["CheckResult", "InvalidResult", "ServiceResult", "Status", "overall_status", "to_check_result"]


class Status(StrEnum):
    """Status of one service, or of all of them."""

    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"


STATUS_VALUES = frozenset(status.value for status in Status)


class InvalidResult(TypeError):
    """A check returned something that is not a status."""


@dataclass(frozen=True)
class CheckResult:
    """What a check may return instead of None or a status string: a status with details."""

    status: Status = Status.UP
    details: Mapping[str, object] = field(default_factory=dict)
    reason: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "status", Status(self.status))

    @classmethod
    def up(cls, **details: object) -> CheckResult:
        """Up, with `details` for authorized callers."""
        return cls(Status.UP, details)

    @classmethod
    def degraded(cls, reason: str | None = None, **details: object) -> CheckResult:
        """Working, but not as it should: `reason` says why."""
        return cls(Status.DEGRADED, details, reason)


def to_check_result(value: object) -> CheckResult:
    """The CheckResult a check's return value stands for; InvalidResult for anything else."""
    if value is None:
        return CheckResult()
    if isinstance(value, CheckResult):
        return value
    if isinstance(value, str) and value.lower() in STATUS_VALUES:
        return CheckResult(Status(value.lower()))
    raise InvalidResult(
        f"the check returned a {type(value).__name__}; return None, 'up', 'degraded' or a CheckResult"
    )


@dataclass(frozen=True)
class ServiceResult:
    """The outcome of one service's check in one run."""

    name: str
    status: Status
    critical: bool
    latency_ms: float
    checked_at: datetime
    description: str = ""
    component_type: str = "component"
    reason: str | None = None
    details: Mapping[str, object] = field(default_factory=dict)


def overall_status(results: Iterable[ServiceResult]) -> Status:
    """Down when a critical service is down, degraded when any service is not up, else up."""
    overall = Status.UP
    for result in results:
        if result.status is Status.DOWN and result.critical:
            return Status.DOWN
        if result.status is not Status.UP:
            overall = Status.DEGRADED
    return overall
