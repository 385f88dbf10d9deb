"""``GET /api/v1/health/dashboard``: the services' health as JSON or IETF health+json."""

from __future__ import annotations

from django.utils.cache import add_never_cache_headers, patch_vary_headers
from rest_framework.authentication import SessionAuthentication
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from healthdash.access import Audience, DashboardAccess, audience_for
from healthdash.dashboard import dashboard_for
from healthdash.documents import HealthJSONRenderer, health_json
from healthdash.registry import service_registry
from healthdash.sections import section_registry
from healthdash.status import Status
from healthdash.traffic import with_traffic
from observability.api_keys import HEADER, ApiKeyAuthentication, is_authorized

REFRESH_VALUES = frozenset({"1", "true", "yes"})


class DashboardView(APIView):
    """Statuses for anyone; details for staff and API keys; 503 when a critical service is down."""

    registry = service_registry
    sections = section_registry
    # The API key first: a wrong key is a 401 even with a session, and 401s name the header.
    authentication_classes = (ApiKeyAuthentication, SessionAuthentication)
    permission_classes = (DashboardAccess,)
    renderer_classes = (JSONRenderer, HealthJSONRenderer)

    def get(self, request, *args, **kwargs) -> Response:
        """The dashboard, from a run at most HEALTH_CACHE_SECONDS old (``?refresh=1``: new, if authorized)."""
        authorized = is_authorized(request)
        audience = audience_for(authorized)
        refresh = authorized and request.query_params.get("refresh", "").lower() in REFRESH_VALUES
        run, payload = dashboard_for(self.registry, self.sections).answer(audience, refresh=refresh)
        if isinstance(request.accepted_renderer, HealthJSONRenderer):
            payload = health_json(run, audience)
        elif audience is Audience.DETAILED:
            payload = with_traffic(payload)  # read at each call: the admin page computes rates between them
        return Response(payload, status=503 if run.status is Status.DOWN else 200)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Health changes by the second and differs by caller: never stored, varies by credentials.
        add_never_cache_headers(response)
        patch_vary_headers(response, ("Accept", "Authorization", "Cookie", HEADER))
        return response

