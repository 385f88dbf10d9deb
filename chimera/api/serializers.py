"""Request and response bodies of the generate endpoint."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
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


class GenerateRequestSerializer(serializers.Serializer):
    """``{"prompt": "...", "provider": "..."}``; provider defaults to CHIMERA_DEFAULT_PROVIDER."""

    # Limits and emptiness are the transformation engine's (the schema shows them, see schema.py).
    prompt = StrictCharField(trim_whitespace=False, allow_blank=True)
    provider = ProviderField(required=False, max_length=64)


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
