"""DRF renderer for ``application/health+json``."""

from __future__ import annotations

from rest_framework.renderers import JSONRenderer

from healthdash.health_json import MEDIA_TYPE


class HealthJSONRenderer(JSONRenderer):
    """JSON under the IETF health check media type; the view builds the matching document."""

    media_type = MEDIA_TYPE
    format = "health+json"
