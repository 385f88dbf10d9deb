"""``GET /api/v1/health/fleet``: every process of the fleet, for staff and API keys.

The records are read from where the fleet keeps them (`healthdash.fleet`): while that store cannot
be read (the shared cache, or the database without one) the answer is a 503 in the error envelope,
never a 500 and never an empty fleet that would read as "nothing runs".
"""

from __future__ import annotations

import logging

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


class FleetUnavailable(APIException):
    """The fleet's store could not be read."""

    status_code = 503
    default_code = "fleet_unavailable"
    default_detail = "The fleet's records cannot be read right now (the shared cache or the database is unavailable)."


def fleet_document() -> dict[str, object]:
    """``{"instances": [...], "count": N}``, oldest process first; FleetUnavailable when the store fails."""
    beat, moment = get_settings().heartbeat_seconds, now()
    try:
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

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response
