"""The service layer's API errors; the project's exception handler shapes them as JSON."""

from __future__ import annotations

from rest_framework import status
from rest_framework.exceptions import APIException

from chimera.llm import base
from chimera.transform import PromptRejected as PromptRejectedError


class UnknownProvider(APIException):
    """The request names a provider that does not exist."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "unknown_provider"
    default_detail = "Unknown provider."


class PromptEmpty(APIException):
    """Nothing is left of the prompt once normalised."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "prompt_empty"
    default_detail = "The prompt is empty."


class PromptTooLong(APIException):
    """The normalised prompt is over the configured limit."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "prompt_too_long"
    default_detail = "The prompt is too long."


class ProviderNotConfigured(APIException):
    """The provider exists but is not configured here."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "provider_not_configured"
    default_detail = "The provider is not configured."


class ProviderTimeout(APIException):
    """The provider did not answer in time."""

    status_code = status.HTTP_504_GATEWAY_TIMEOUT
    default_code = "provider_timeout"
    default_detail = "The provider did not answer in time."


class ProviderError(APIException):
    """The provider failed, could not be reached or answered something unusable."""

    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = "provider_error"
    default_detail = "The provider failed."


FAILURES: dict[type[base.ProviderFailure], type[APIException]] = {
    base.UnknownProvider: UnknownProvider,
    base.ProviderNotConfigured: ProviderNotConfigured,
    base.ProviderTimeout: ProviderTimeout,
    base.ProviderError: ProviderError,
}


REJECTIONS: dict[str, type[APIException]] = {"prompt_empty": PromptEmpty, "prompt_too_long": PromptTooLong}


def from_rejection(rejection: PromptRejectedError) -> APIException:
    """The API error for a prompt the transformation engine refused."""
    return REJECTIONS[rejection.code](rejection.message)


def from_failure(failure: base.ProviderFailure) -> APIException:
    """The API error for a provider failure, with its message."""
    return FAILURES.get(type(failure), ProviderError)(failure.message)
