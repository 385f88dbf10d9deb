"""``GET /api/v1/health/history``: the fleet's status changes, newest first, for API keys and staff.

``?service=NAME`` keeps one service's; ``?limit=N`` (1 to 1000, default 100) bounds the answer.
A database that does not answer is a 503 in the error envelope, never a 500: the history lives
there, and liveness and the dashboard do not depend on it.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError
from django.utils.cache import add_never_cache_headers
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from healthdash.history import as_json
from healthdash.transitions import latest
from observability.api_keys import ApiKeyAuthentication, is_authorized
from observability.redaction import redact

__all__ = ["HistoryUnavailable", "HistoryView"]

logger = logging.getLogger(__name__)
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


class HistoryUnavailable(APIException):
    status_code = 503
    default_code = "history_unavailable"
    default_detail = "The history of status changes is unavailable: the database did not answer."


class Authorized(BasePermission):
    """Staff and API keys only: the reasons tell how a service failed."""

    def has_permission(self, request, view) -> bool:
        return is_authorized(request)


def limit_of(value: str | None) -> int:
    """The ``limit`` parameter, DEFAULT_LIMIT when absent; a 400 for anything but 1 to MAX_LIMIT."""
    if value is None:
        return DEFAULT_LIMIT
    if not value.strip().isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise ValidationError({"limit": f"Give a whole number from 1 to {MAX_LIMIT}."})
    return int(value)


class HistoryView(APIView):
    """``{"transitions": [{"service", "from", "to", "at", "reason"}, ...]}``, newest first."""

    # The API key first: a wrong key is a 401 even with a session, and 401s name the header.
    authentication_classes = (ApiKeyAuthentication, SessionAuthentication)
    permission_classes = (Authorized,)

    def get(self, request) -> Response:
        params = request.query_params
        transitions = latest(params.get("service") or None, limit_of(params.get("limit")))
        return Response({"transitions": [as_json(transition) for transition in transitions]})

    def handle_exception(self, exc: Exception) -> Response:
        # The database fails here or in a staff session's lookup: either way a 503, not a 500.
        if isinstance(exc, DatabaseError):
            logger.warning("Health history not read: %s", redact(f"{type(exc).__name__}: {exc}")[:300])
            exc = HistoryUnavailable()
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response
