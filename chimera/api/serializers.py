"""Request and response bodies of the generate endpoint."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chimera.conf import PROVIDER_NAMES


@extend_schema_field({"type": "string", "enum": list(PROVIDER_NAMES)})
class ProviderField(serializers.CharField):
    """A provider's name; unknown names are refused by the view with their own error code."""


class GenerateRequestSerializer(serializers.Serializer):
    """``{"prompt": "...", "provider": "..."}``; provider defaults to CHIMERA_DEFAULT_PROVIDER."""

    # Limits and emptiness are the transformation engine's (the schema shows them, see schema.py).
    prompt = serializers.CharField(trim_whitespace=False, allow_blank=True)
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


class ErrorSerializer(serializers.Serializer):
    """``{"error": {"code", "message", "request_id"}}``, the shape of every API error."""

    error = ErrorDetailSerializer()
