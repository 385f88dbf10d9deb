"""Statuses: what a check may return, and the overall status."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from healthdash.status import CheckResult, InvalidResult, ServiceResult, Status, overall_status, to_check_result


@pytest.mark.parametrize(("value", "expected"), [
    (None, Status.UP), ("up", Status.UP), ("UP", Status.UP), ("degraded", Status.DEGRADED),
    ("down", Status.DOWN), (Status.DEGRADED, Status.DEGRADED),
])
def test_simple_return_values(value, expected):
    assert to_check_result(value).status is expected


def test_result_object_carries_details_and_reason():
    result = to_check_result(CheckResult.degraded("slow replica", lag_s=12))
    assert (result.status, result.reason, dict(result.details)) == (Status.DEGRADED, "slow replica", {"lag_s": 12})
    assert CheckResult.up(version="7").details == {"version": "7"}
    assert CheckResult("degraded").status is Status.DEGRADED


@pytest.mark.parametrize("value", [True, 0, "fine", {"status": "up"}, ["up"]])
def test_anything_else_is_invalid(value):
    with pytest.raises(InvalidResult, match="return None, 'up', 'degraded' or a CheckResult"):
        to_check_result(value)


def result(status: Status, critical: bool = True) -> ServiceResult:
    return ServiceResult("s", status, critical, 1.0, datetime.now(UTC))


@pytest.mark.parametrize(("statuses", "expected"), [
    ([], Status.UP),
    ([(Status.UP, True), (Status.UP, False)], Status.UP),
    ([(Status.UP, True), (Status.DEGRADED, True)], Status.DEGRADED),
    ([(Status.UP, True), (Status.DOWN, False)], Status.DEGRADED),
    ([(Status.DEGRADED, False), (Status.DOWN, True)], Status.DOWN),
])
def test_overall_status(statuses, expected):
    assert overall_status(result(status, critical) for status, critical in statuses) is expected
