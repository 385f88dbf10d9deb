"""A Content-Security-Policy on the admin's pages (the admin health page among them).

django-csp writes the policy of ``CONTENT_SECURITY_POLICY`` (``default-src 'self'``: no inline
script or style, nothing from elsewhere). The admin is the only HTML chimera serves, so the
header, and the cost of building it, are kept to paths under ``/admin/``.
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware

ADMIN_PREFIX = "/admin/"


class AdminContentSecurityPolicy(CSPMiddleware):
    """django-csp's middleware, for requests under ADMIN_PREFIX only."""

    def process_request(self, request) -> None:
        if request.path_info.startswith(ADMIN_PREFIX):
            super().process_request(request)

    def process_response(self, request, response):
        if not request.path_info.startswith(ADMIN_PREFIX):
            return response
        return super().process_response(request, response)
