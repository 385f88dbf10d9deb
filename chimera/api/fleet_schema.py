"""The OpenAPI descriptions of healthdash's fleet views: the history of status changes and the processes.

Registered, like the extensions of ``chimera.api.schema``, when ``chimera.api.urls`` imports them.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view

from chimera.api.schema import API_KEY_SCHEME, JOURNAL_ERRORS, NULLABLE_STRING
from chimera.api.serializers import error_response

TRANSITION = {
    "type": "object",
    "description": "A change of a service's status, recorded once for the whole fleet.",
    "properties": {"service": {"type": "string"}, "from": {"type": "string"}, "to": {"type": "string"},
                   "at": {"type": "string", "format": "date-time"}, "reason": NULLABLE_STRING},
    "required": ["service", "from", "to", "at", "reason"],
}


class HistorySchema(OpenApiViewExtension):
    """healthdash's history view: the fleet's status changes, newest first."""

    target_class = "healthdash.history_api.HistoryView"

    def view_replacement(self):
        @extend_schema_view(get=extend_schema(
            operation_id="health_history", tags=["health"], auth=[{API_KEY_SCHEME: []}, {"cookieAuth": []}],
            parameters=[OpenApiParameter("service", str, description="one service's changes only"),
                        OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": 1000},
                                         description="the most changes answered (default 100)")],
            responses={(200, "application/json"): OpenApiResponse({
                "type": "object", "properties": {"transitions": {"type": "array", "items": TRANSITION}},
                "required": ["transitions"]}), **JOURNAL_ERRORS,
                (400, "application/json"): error_response("A limit that is not a whole number from 1 to 1000."),
                (503, "application/json"): error_response("The database did not answer.")},
        ))
        class Fixed(self.target_class):
            pass

        return Fixed


FLEET = {
    "type": "object",
    "description": "Every process of the fleet as its last heartbeat recorded it, oldest first.",
    "properties": {
        "instances": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "string"}, "host": {"type": "string"}, "pid": {"type": "integer"},
            "version": {"type": "string"}, "started_at": {"type": "string", "format": "date-time"},
            "last_seen": {"type": "string", "format": "date-time"},
            "state": {"type": "string", "enum": ["live", "stale"]},
        }, "required": ["id", "host", "pid", "version", "started_at", "last_seen", "state"]}},
        "count": {"type": "integer"},
    },
    "required": ["instances", "count"],
}


class FleetSchema(OpenApiViewExtension):
    """healthdash's FleetView: the fleet's processes, for staff and API keys."""

    target_class = "healthdash.fleet_api.FleetView"

    def view_replacement(self):
        @extend_schema_view(get=extend_schema(
            operation_id="health_fleet", tags=["health"], auth=[{API_KEY_SCHEME: []}, {"cookieAuth": []}],
            responses={(200, "application/json"): OpenApiResponse(FLEET), **JOURNAL_ERRORS,
                       (503, "application/json"): error_response(
                           "The fleet's records cannot be read (the shared cache or the database is unavailable).")},
        ))
        class Fixed(self.target_class):
            pass

        return Fixed
