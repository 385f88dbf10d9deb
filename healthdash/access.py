"""Who may see the dashboard and what: audiences, and the permission of the dashboard's API.

Callers prove who they are with a staff session or an API key (``observability.api_keys``):
those see the details; anonymous callers see what ``HEALTH_ANONYMOUS`` allows.
"""

from __future__ import annotations

from enum import StrEnum

from rest_framework.permissions import BasePermission

from healthdash.conf import get_settings
from observability.api_keys import is_authorized


class Audience(StrEnum):
    """What a caller sees; answers are cached per audience."""

    DETAILED = "detailed"   # staff, API key, the command line: statuses plus details, reasons, times
    STATUSES = "statuses"   # anonymous (default): each service's status, critical flag and latency
    OVERALL = "overall"     # anonymous with HEALTH_ANONYMOUS=overall: the overall status only


def audience_for(authorized: bool) -> Audience:
    """The audience of an authorized caller, or of an anonymous one under ``HEALTH_ANONYMOUS``."""
    if authorized:
        return Audience.DETAILED
    return Audience.OVERALL if get_settings().anonymous == "overall" else Audience.STATUSES


class DashboardAccess(BasePermission):
    """Anyone, unless ``HEALTH_ANONYMOUS=deny`` keeps the dashboard to staff and API keys."""

    def has_permission(self, request, view) -> bool:
        return get_settings().anonymous != "deny" or is_authorized(request)


class Authorized(BasePermission):
    """Staff and API keys only: 401 without credentials, 403 for other users."""

    def has_permission(self, request, view) -> bool:
        return is_authorized(request)
