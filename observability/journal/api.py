"""``GET /api/v1/requests/<request_id>`` and ``GET /api/v1/requests``: the journal for API keys and staff.

An ID that no request could carry (outside the request-ID alphabet, over 128 characters) is a
404 like an unknown one, and is never echoed. Anonymous callers get 401, other users 403.
"""

from __future__ import annotations

from django.utils.cache import add_never_cache_headers
from django.utils.dateparse import parse_datetime
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from observability.api_keys import ApiKeyAuthentication, is_authorized
from observability.journal import queries

__all__ = ["JournalEntryView", "JournalListView"]


class Authorized(BasePermission):
    """Staff and API keys only: an entry tells how the service failed."""

    def has_permission(self, request, view) -> bool:
        return is_authorized(request)


class JournalView(APIView):
    # The API key first: a wrong key is a 401 even with a session, and 401s name the header.
    authentication_classes = (ApiKeyAuthentication, SessionAuthentication)
    permission_classes = (Authorized,)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response


class JournalEntryView(JournalView):
    """One entry by its request ID."""

    def get(self, request, request_id: str) -> Response:
        entry = queries.find(request_id)
        if entry is None:
            raise NotFound("No request with this ID is in the journal.")
        return Response(queries.as_json(entry))


class JournalListView(JournalView):
    """The latest entries: ``?trace_id=``, ``?status=5xx`` (or a status), ``?route=``, ``?since=`` (ISO 8601)."""

    def get(self, request) -> Response:
        params = request.query_params
        status = since = None
        if "status" in params:  # given empty, it is still a status that cannot be read
            status = queries.status_range(params["status"].strip())
            if status is None:
                raise ValidationError({"status": "Give a status class such as 5xx, or a status such as 503."})
        if "since" in params:
            try:
                since = parse_datetime(params["since"])
            except ValueError:
                since = None
            if since is None or since.tzinfo is None:
                raise ValidationError({"since": "Give a date and time with its offset, such as 2026-12-07T10:00:00Z."})
        entries = queries.latest(trace_id=params.get("trace_id") or None, status=status,
                                 route=params.get("route") or None, since=since)
        return Response({"results": [queries.as_json(entry) for entry in entries]})
