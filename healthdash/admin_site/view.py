"""The admin health page: the detailed dashboard rendered server-side, refreshed by a static script.

The page is the dashboard JSON (`Dashboard.answer(Audience.DETAILED)`) made readable, with the
latency samples of `Dashboard.history`; the script fetches the same JSON from
``/api/v1/health/dashboard`` and updates the page in place. Nothing inline: the script and the
stylesheet are static files, so a strict Content-Security-Policy (``default-src 'self'``) holds.
"""

from __future__ import annotations

from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views import View

from healthdash import maintenance
from healthdash.access import Audience
from healthdash.admin_site import content as page
from healthdash.admin_site.changes import recent_changes
from healthdash.admin_site.fleet import fleet
from healthdash.api import REFRESH_VALUES
from healthdash.conf import get_settings
from healthdash.dashboard import dashboard_for
from healthdash.registry import service_registry
from healthdash.sections import section_registry
from healthdash.traffic import history, with_traffic

TEMPLATE = "healthdash/admin/health.html"
MAINTENANCE_OFF = "health-maintenance-off"  # the URL name of MaintenanceOffView on its admin site
# Refreshing faster than the results are cached only fetches the same answer again.
MIN_REFRESH_SECONDS, DEFAULT_REFRESH_SECONDS, MAX_REFRESH_SECONDS = 2.0, 5.0, 60.0


def refresh_seconds(cache_seconds: float) -> float:
    """How often the page fetches the dashboard: every HEALTH_CACHE_SECONDS, within 2 to 60 s (5 without a cache)."""
    seconds = cache_seconds or DEFAULT_REFRESH_SECONDS
    return min(max(seconds, MIN_REFRESH_SECONDS), MAX_REFRESH_SECONDS)


class HealthPageView(View):
    """``GET``: the page; ``?refresh=1`` runs the checks again first (the button, without JavaScript)."""

    http_method_names = ["get", "head", "options"]
    registry = service_registry
    sections = section_registry
    site = None  # the AdminSite, for the admin's header, sidebar and URLs
    title = "Service health"

    def get(self, request, *args, **kwargs) -> TemplateResponse:
        """The page, from the shared dashboard's current run."""
        dashboard = dashboard_for(self.registry, self.sections)
        refresh = request.GET.get("refresh", "").lower() in REFRESH_VALUES
        _, payload = dashboard.answer(Audience.DETAILED, refresh=refresh)
        payload = with_traffic(payload)
        settings = get_settings()
        context = {
            **self.site.each_context(request),
            "title": self.title,
            # Read by the admin's base template: a name it lacks is logged at DEBUG with the whole context.
            "subtitle": None,
            "payload": payload,
            "status_label": page.STATUS_LABELS[payload["status"]],
            "banner": page.banner(payload),
            "maintenance_text": page.maintenance_text(payload),
            "maintenance_off_url": reverse(f"{self.site.name}:{MAINTENANCE_OFF}", current_app=self.site.name),
            "checked_at_text": page.when(payload["checked_at"]),
            "duration": page.latency(payload["duration_ms"]),
            "rows": page.rows(payload, dashboard.history),
            "changes": recent_changes(),
            "history_url": reverse("healthdash:history"),
            "fleet": fleet(),
            "tracing": page.tracing(payload),
            "middleware": page.middleware(payload),
            "sections": page.sections(payload),
            "traffic": page.traffic(payload["traffic"], history.rates()),
            "dashboard_url": reverse("healthdash:dashboard"),
            "refresh_seconds": f"{refresh_seconds(settings.cache_seconds):g}",
            "history_size": settings.history_size,
        }
        request.current_app = self.site.name
        return TemplateResponse(request, TEMPLATE, context)


class MaintenanceOffView(View):
    """``POST`` (with the CSRF token): put the site back in rotation, then show the page again."""

    http_method_names = ["post"]
    site = None

    def post(self, request, *args, **kwargs) -> HttpResponseRedirect:
        maintenance.turn_off()
        # The page's run may be cached: a new one shows the banner gone.
        return HttpResponseRedirect(reverse(f"{self.site.name}:health", current_app=self.site.name) + "?refresh=1",
                                    status=303)
