"""Who may see the dashboard, and who may see its details."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from healthdash.authentication import ApiKeyAccess
from healthdash.conf import get_settings


def is_authorized(request) -> bool:
    """Staff users and callers with a valid API key see details."""
    if isinstance(getattr(request, "auth", None), ApiKeyAccess):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_active and (user.is_staff or user.is_superuser))


class IsStaffOrApiKey(BasePermission):
    """Only staff users and callers with a valid API key."""

    def has_permission(self, request, view) -> bool:
        return is_authorized(request)


class DashboardAccess(BasePermission):
    """Anyone, unless ``HEALTH_ANONYMOUS=deny`` keeps the dashboard to staff and API keys."""

    def has_permission(self, request, view) -> bool:
        return get_settings().anonymous != "deny" or is_authorized(request)
