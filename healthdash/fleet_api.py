"""``GET /api/v1/health/fleet``: every process of the fleet, for staff and API keys.

The records are read from where the fleet keeps them (`healthdash.fleet`): while that store cannot
be read (the shared cache, or the database without one), or the database does not answer even
where the records are in the cache, the answer is a 503 in the error envelope, never a 500 and
never a fleet that would read as healthy: processes cannot serve much without their database.
"""

from __future__ import annotations

import logging

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.utils.cache import add_never_cache_headers
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from healthdash.access import Authorized
from healthdash.conf import get_settings
from healthdash.fleet import fleet_store, now
from observability.api_keys import ApiKeyAuthentication
from observability.redaction import redact

__all__ = ["FleetUnavailable", "FleetView", "fleet_document"]

logger = logging.getLogger(__name__)

DATABASE = DEFAULT_DB_ALIAS  # the database whose outage makes the fleet view a 503


class FleetUnavailable(APIException):
    """The fleet's store could not be read."""

    status_code = 503
    default_code = "fleet_unavailable"
    default_detail = "The fleet's records cannot be read right now (the shared cache or the database is unavailable)."


def fleet_document() -> dict[str, object]:
    """``{"instances": [...], "count": N}``, oldest process first; FleetUnavailable when the store fails."""
    beat, moment = get_settings().heartbeat_seconds, now()
    try:
        with connections[DATABASE].cursor() as cursor:
            cursor.execute("SELECT 1")
        instances = fleet_store().instances(moment, beat)
    except Exception as exc:  # any store's failure: connection refused, timeout, missing table
        logger.warning("The fleet's records cannot be read: %s: %s", type(exc).__name__, redact(str(exc))[:200])
        raise FleetUnavailable() from None
    entries = [i.entry(moment, beat) for i in sorted(instances, key=lambda i: (i.started_at, i.host, i.pid))]
    return {"instances": entries, "count": len(entries)}


class FleetView(APIView):
    """The fleet's processes with their version, start, last heartbeat and state (live or stale)."""

    # The API key first: a wrong key is a 401 even with a session, and 401s name the header.
    authentication_classes = (ApiKeyAuthentication, SessionAuthentication)
    permission_classes = (Authorized,)

    def get(self, request, *args, **kwargs) -> Response:
        """The fleet as its processes last recorded themselves."""
        return Response(fleet_document())

    def handle_exception(self, exc: Exception) -> Response:
        # A staff session is looked up in the database: without it, the same 503 as the records'.
        if isinstance(exc, DatabaseError):
            logger.warning("The fleet's records cannot be read: %s", type(exc).__name__)
            exc = FleetUnavailable()
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response
