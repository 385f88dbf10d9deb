"""A strict Content-Security-Policy on every response, for browser tests of pages that must obey one."""

from __future__ import annotations

POLICY = "default-src 'self'"


class StrictContentSecurityPolicy:
    """Sets ``Content-Security-Policy: default-src 'self'``: no inline script or style, nothing external."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response
