"""The OpenAPI schema at /api/schema/: hooks and extensions for the views chimera serves.

healthdash stays free of drf-spectacular: chimera, which wires the apps together, describes
the dashboard view and its API-key authentication from outside (drf-spectacular extensions).
"""

from __future__ import annotations

import threading

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiViewExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from drf_spectacular.views import SCHEMA_KWARGS, SpectacularAPIView

from chimera.api.serializers import error_response
from chimera.conf import get_service_config
from chimera.transform import CONTENT_PATTERN

API_KEY_SCHEME = "ApiKeyAuth"
STATUS = {"type": "string", "enum": ["up", "degraded", "down"]}
DASHBOARD = {
    "type": "object",
    "description": "Statuses for anyone; descriptions, reasons and details for staff and API keys.",
    "properties": {
        "status": STATUS,
        "checked_at": {"type": "string", "format": "date-time"},
        "services": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["status"],
            "properties": {"registered": {"type": "boolean"}, "status": STATUS, "critical": {"type": "boolean"},
                           "latency_ms": {"type": "number"}},
        }},
        "middleware": {"type": "object", "additionalProperties": {"type": "string"}},
        "providers": {"type": "object", "properties": {
            "count": {"type": "integer"},
            "items": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "configured": {"type": "boolean"}, "available": {"type": "boolean"},
                "default": {"type": "boolean"}, "reason": {"type": "string", "nullable": True},
            }}},
        }},
    },
    "required": ["status"],
}

IETF_STATUS = {"type": "string", "enum": ["pass", "warn", "fail"]}
HEALTH_JSON = {
    "type": "object",
    "description": "The IETF health check response format (draft-inadarei-api-health-check).",
    "properties": {
        "status": IETF_STATUS,
        "checks": {"type": "object", "additionalProperties": {"type": "array", "items": {
            "type": "object", "properties": {"componentId": {"type": "string"}, "status": IETF_STATUS,
                                             "observedValue": {"type": "number"}, "observedUnit": {"type": "string"}},
        }}},
    },
    "required": ["status"],
}


class SchemaView(SpectacularAPIView):
    """drf-spectacular's schema view, one generation at a time.

    Its first generation in a process loads extensions and resolves views lazily, which is not
    thread-safe: under threaded workers, parallel first requests answered 500.
    """

    generating = threading.Lock()

    @extend_schema(**SCHEMA_KWARGS)  # described as drf-spectacular describes its own view
    def get(self, request, *args, **kwargs):
        with self.generating:
            return super().get(request, *args, **kwargs)


def prompt_constraints(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook: the prompt's live length limit and content rule."""
    schemas = result.get("components", {}).get("schemas", {})
    prompt = schemas.get("GenerateRequest", {}).get("properties", {}).get("prompt")
    if prompt is not None:
        prompt.update(minLength=1, maxLength=get_service_config().prompt_max_chars, pattern=CONTENT_PATTERN)
    return result


def api_key_definition() -> dict:
    """The ``X-API-Key`` header as an OpenAPI security scheme."""
    return {"type": "apiKey", "in": "header", "name": "X-API-Key"}


class ApiKeySchema(OpenApiAuthenticationExtension):
    """observability's API-key authentication, which the generate and dashboard views both use."""

    target_class = "observability.api_keys.ApiKeyAuthentication"
    name = API_KEY_SCHEME

    def get_security_definition(self, auto_schema):
        return api_key_definition()


class DashboardSchema(OpenApiViewExtension):
    """healthdash's DashboardView: its answers, who may call it, its ``refresh`` parameter."""

    target_class = "healthdash.api.DashboardView"

    def view_replacement(self):
        @extend_schema_view(get=extend_schema(
            operation_id="health_dashboard", tags=["health"],
            # Anonymous callers are allowed (statuses only) unless HEALTH_ANONYMOUS=deny.
            auth=[{API_KEY_SCHEME: []}, {"cookieAuth": []}, {}],
            # The Accept header chooses JSON or health+json; DRF's ?format= override is left out.
            parameters=[OpenApiParameter("refresh", str, description="1: a new run instead of the cached one "
                                                                     "(authorized callers only)"),
                        OpenApiParameter("format", exclude=True)],
            responses={
                (200, "application/json"): OpenApiResponse(DASHBOARD, description="No critical service is down."),
                (200, "application/health+json"): OpenApiResponse(HEALTH_JSON),
                (401, "application/json"): error_response("A wrong X-API-Key."),
                (403, "application/json"): error_response("HEALTH_ANONYMOUS=deny and the caller is not authorized."),
                (503, "application/json"): OpenApiResponse(DASHBOARD, description="A critical service is down."),
                (503, "application/health+json"): OpenApiResponse(HEALTH_JSON),
            },
        ))
        class Fixed(self.target_class):
            pass

        return Fixed


NULLABLE_STRING = {"type": "string", "nullable": True}
JOURNAL_ENTRY = {
    "type": "object",
    "description": "A failed (5xx) or slow request, as the request journal recorded it; nothing secret.",
    "properties": {
        "request_id": {"type": "string"}, "trace_id": NULLABLE_STRING, "method": {"type": "string"},
        "route": {"type": "string"}, "path": {"type": "string"}, "status": {"type": "integer"},
        "duration_ms": {"type": "number"}, "started_at": {"type": "string", "format": "date-time"},
        "instance": {"type": "string"}, "user": NULLABLE_STRING, "exception": NULLABLE_STRING,
        "logs": {"type": "array", "items": {"type": "object", "properties": {
            "level": {"type": "string"}, "logger": {"type": "string"}, "message": {"type": "string"},
            "time": {"type": "string", "format": "date-time"}}}},
        "links": {"type": "object", "properties": {"trace": NULLABLE_STRING, "logs": NULLABLE_STRING}},
    },
    "required": ["request_id", "status", "started_at", "logs", "links"],
}
JOURNAL_ERRORS = {
    (401, "application/json"): error_response("No credentials, or a wrong X-API-Key."),
    (403, "application/json"): error_response("A user who is not staff."),
}


class JournalEntrySchema(OpenApiViewExtension):
    """observability's journal entry view: one failed or slow request by its request ID."""

    target_class = "observability.journal.api.JournalEntryView"

    def view_replacement(self):
        @extend_schema_view(get=extend_schema(
            operation_id="request_journal_entry", tags=["requests"], auth=[{API_KEY_SCHEME: []}, {"cookieAuth": []}],
            responses={(200, "application/json"): OpenApiResponse(JOURNAL_ENTRY), **JOURNAL_ERRORS,
                       (404, "application/json"): error_response("No such request recorded, or no request ID at all.")},
        ))
        class Fixed(self.target_class):
            pass

        return Fixed


class JournalListSchema(OpenApiViewExtension):
    """observability's journal list view: the latest failed and slow requests, filtered."""

    target_class = "observability.journal.api.JournalListView"

    def view_replacement(self):
        @extend_schema_view(get=extend_schema(
            operation_id="request_journal", tags=["requests"], auth=[{API_KEY_SCHEME: []}, {"cookieAuth": []}],
            parameters=[OpenApiParameter("trace_id", str, description="32 hexadecimal digits"),
                        OpenApiParameter("status", str, description="a status class such as 5xx, or a status",
                                         pattern=r"^([1-5]xx|[1-5][0-9][0-9])$"),
                        OpenApiParameter("route", str, description="a route pattern, as the metrics show it"),
                        OpenApiParameter("since", OpenApiTypes.DATETIME, description="ISO 8601 with its offset")],
            responses={(200, "application/json"): OpenApiResponse({
                "type": "object", "properties": {"results": {"type": "array", "items": JOURNAL_ENTRY}},
                "required": ["results"]}), **JOURNAL_ERRORS,
                (400, "application/json"): error_response("A status or since that cannot be read.")},
        ))
        class Fixed(self.target_class):
            pass

        return Fixed
