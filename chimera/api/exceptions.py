"""The service layer's API errors: one class, its status taken from the error catalogue.

The project's exception handler (``observability.errors.exception_handler``) shapes every
error as ``{"error": {"code", "message", "request_id"}}``; the codes below are the ones the
generate endpoint adds to DRF's own (``invalid``, ``not_authenticated``, ``throttled``, ...).
"""

from __future__ import annotations

from types import MappingProxyType

from rest_framework import status
from rest_framework.exceptions import APIException

from chimera.llm.base import ProviderFailure
from chimera.transform import PromptRejected

CATALOGUE = MappingProxyType({
    "unknown_provider": status.HTTP_400_BAD_REQUEST,
    "prompt_empty": status.HTTP_400_BAD_REQUEST,
    "prompt_too_long": status.HTTP_400_BAD_REQUEST,
    "provider_not_configured": status.HTTP_503_SERVICE_UNAVAILABLE,
    "provider_error": status.HTTP_502_BAD_GATEWAY,
    "provider_timeout": status.HTTP_504_GATEWAY_TIMEOUT,
    "queue_unavailable": status.HTTP_503_SERVICE_UNAVAILABLE,
    "queue_full": status.HTTP_503_SERVICE_UNAVAILABLE,
    "unsupported_format": status.HTTP_406_NOT_ACCEPTABLE,
    "length_required": status.HTTP_411_LENGTH_REQUIRED,
})
# Codes only a background task's status shows, next to the provider codes above: the task
# failed, not the call asking for its status (which answers 200).
TASK_CODES = ("task_time_limit", "task_expired", "worker_lost", "task_error")


class ServiceError(APIException):
    """An error of the service layer, answered with the status its code has in the catalogue."""

    def __init__(self, code: str, message: str):
        self.status_code = CATALOGUE[code]
        super().__init__(message, code)


def from_failure(failure: ProviderFailure) -> ServiceError:
    """The API error for a provider failure, with its message."""
    return ServiceError(failure.code, failure.message)


def from_rejection(rejection: PromptRejected) -> ServiceError:
    """The API error for a prompt the transformation engine refused."""
    return ServiceError(rejection.code, rejection.message)
