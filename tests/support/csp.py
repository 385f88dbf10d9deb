"""The Content-Security-Policy the project sends on the admin's pages, as browser tests expect it."""

from __future__ import annotations

POLICY = "default-src 'self'"
