"""Request and response bodies of the generate endpoint."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers
from rest_framework.fields import ProhibitNullCharactersValidator

from chimera.conf import PROVIDER_NAMES


class StrictCharField(serializers.CharField):
    """A string that must be sent as one: 42 or true is refused, not turned into "42"."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # NUL and other control characters are the transformation engine's to remove.
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "enum": list(PROVIDER_NAMES)})
class ProviderField(StrictCharField):
    """A provider's name; unknown names are refused by the view with their own error code."""


class StrictBooleanField(serializers.BooleanField):
    """A JSON true or false: "yes" or 1 is refused, not taken for true."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class GenerateRequestSerializer(serializers.Serializer):
    """``{"prompt": "...", "provider": "...", "async": false}``; provider defaults to CHIMERA_DEFAULT_PROVIDER."""

    # Limits and emptiness are the transformation engine's (the schema shows them, see schema.py).
    prompt = StrictCharField(trim_whitespace=False, allow_blank=True)
    provider = ProviderField(required=False, max_length=64)

    def get_fields(self):
        fields = super().get_fields()
        # "async" is a Python keyword, so it cannot be declared as a class attribute.
        fields["async"] = StrictBooleanField(
            required=False, default=False,
            help_text="true: answer 202 at once and run the generation as a background task.")
        return fields


class GenerateResponseSerializer(serializers.Serializer):
    """What the provider answered, and the request's ID."""

    text = serializers.CharField()
    provider = serializers.CharField()
    model = serializers.CharField()
    request_id = serializers.CharField(allow_null=True)


class ErrorDetailSerializer(serializers.Serializer):
    """One error: a stable code, a message, the request's ID."""

    code = serializers.CharField()
    message = serializers.CharField()
    request_id = serializers.CharField(allow_null=True)
    details = serializers.JSONField(required=False, help_text="Field errors of an invalid body.")


class ErrorSerializer(serializers.Serializer):
    """``{"error": {"code", "message", "request_id"}}``, the shape of every API error."""

    error = ErrorDetailSerializer()


class TaskAcceptedSerializer(serializers.Serializer):
    """The answer to an asynchronous generate: where to ask for the result."""

    task_id = serializers.CharField()
    status = serializers.ChoiceField(choices=["pending"])
    request_id = serializers.CharField(allow_null=True)


class TaskErrorSerializer(serializers.Serializer):
    """Why a task failed: a code of the synchronous call's (or a task's own), and a message."""

    code = serializers.CharField()
    message = serializers.CharField()


class TaskStatusSerializer(serializers.Serializer):
    """A background generation: its status, then its result or its error."""

    task_id = serializers.CharField()
    status = serializers.ChoiceField(choices=["pending", "started", "success", "failure"])
    result = GenerateResponseSerializer(required=False, help_text="With status success.")
    error = TaskErrorSerializer(required=False, help_text="With status failure.")


def error_response(description: str) -> OpenApiResponse:
    """An answer in the JSON error envelope, as the schema describes it."""
    return OpenApiResponse(ErrorSerializer, description=description)
