"""The health page inside Django's admin: ``<admin>/health/``, staff only, listed on the admin index.

A project using the default admin site puts ``healthdash.admin_site.HealthAdminConfig`` in
``INSTALLED_APPS`` in place of ``django.contrib.admin`` (Django's documented way to replace the
default site); a project with an AdminSite of its own mixes in `HealthAdminSiteMixin`.

The page itself: ``view.py`` (the view), ``content.py`` (what it shows, from the dashboard
JSON), ``sparkline.py`` (the latency charts); ``requests.py`` is the search of failed and slow
requests under it (``health/requests/``). Only the site classes load with the app registry.
"""

from __future__ import annotations

from functools import update_wrapper

from django.apps import apps
from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

PAGE_NAME = "health"
REQUESTS_PAGE_NAME = "health-requests"
APP_LABEL = "healthdash"


class HealthAdminSiteMixin:
    """Adds the health page to an AdminSite: its URL, and an entry in the index and the sidebar."""

    health_page_title = "Service health"

    def get_urls(self):
        """The site's URLs, with ``health/``, its maintenance switch and its request search first."""
        from healthdash.admin_site.requests import ENTRY_PAGE_NAME, RequestEntryView, RequestSearchView
        from healthdash.admin_site.view import MAINTENANCE_OFF, HealthPageView, MaintenanceOffView

        view = HealthPageView.as_view(site=self, title=self.health_page_title)
        return [
            path("health/", self.staff_view(view), name=PAGE_NAME),
            path("health/maintenance/off/", self.staff_view(MaintenanceOffView.as_view(site=self)),
                 name=MAINTENANCE_OFF),
            path("health/requests/", self.staff_view(RequestSearchView.as_view(site=self)), name=REQUESTS_PAGE_NAME),
            path("health/requests/<path:request_id>/", self.staff_view(RequestEntryView.as_view(site=self)),
                 name=ENTRY_PAGE_NAME),
            *super().get_urls(),
        ]

    def login(self, request, extra_context=None):
        """Django's login, refused before the password is checked from an address past the limit on
        failed authentication (``API_KEY_FAILURE_RATE``, which wrong passwords count against)."""
        from django.http import HttpResponse  # not at import: this module names an AppConfig

        from observability.auth_failures import refusal_wait

        wait = refusal_wait(request) if request.method == "POST" else None
        if wait is not None:
            response = HttpResponse(f"Too many failed logins from this address; try again in {wait} seconds.",
                                    status=429, content_type="text/plain; charset=utf-8")
            response["Retry-After"] = str(wait)
            return response
        return super().login(request, extra_context)

    def staff_view(self, view):
        """`view` for active staff only: anonymous users go to the login page, others get a 403."""
        def inner(request, *args, **kwargs):
            from django.contrib.auth.views import redirect_to_login  # not at import: this module names an AppConfig

            if not request.user.is_authenticated:
                login = reverse("admin:login", current_app=self.name)
                return redirect_to_login(request.get_full_path(), login)
            if not self.has_permission(request):
                raise PermissionDenied
            return view(request, *args, **kwargs)
        return csrf_protect(never_cache(update_wrapper(inner, view)))

    def get_app_list(self, request, app_label=None):
        """The apps of the index and the sidebar, with the health page among them for staff."""
        app_list = super().get_app_list(request, app_label)
        if app_label is None and self.has_permission(request):
            app_list = sorted([*app_list, self.health_app_entry()], key=lambda app: app["name"].lower())
        return app_list

    def health_app_entry(self) -> dict:
        """The health page, shaped like an app with one view-only model, as the admin lists them."""
        url = reverse(f"{self.name}:{PAGE_NAME}", current_app=self.name)
        name = apps.get_app_config(APP_LABEL).verbose_name if apps.is_installed(APP_LABEL) else "Health"
        page = {"name": self.health_page_title, "object_name": "ServiceHealth", "perms": {"view": True},
                "admin_url": url, "add_url": None, "view_only": True, "model": None}
        return {"name": name, "app_label": APP_LABEL, "app_url": url, "has_module_perms": True, "models": [page]}


class HealthAdminSite(HealthAdminSiteMixin, AdminSite):
    """Django's AdminSite with the health page."""


class HealthAdminConfig(AdminConfig):
    """``django.contrib.admin`` with `HealthAdminSite` as the default site."""

    default_site = "healthdash.admin_site.HealthAdminSite"
