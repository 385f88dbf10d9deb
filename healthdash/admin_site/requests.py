"""The admin's request search: ``<admin>/health/requests/`` finds a failed or slow request by its request ID
or trace ID, lists the latest ones, and shows one with its log lines and trace link.

It reads the request journal through ``observability.journal.queries``, as the API does, so both
show an entry alike; an ID that no request could carry finds nothing and is not echoed back.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views import View

from observability.journal import queries

SEARCH_TEMPLATE = "healthdash/admin/requests.html"
ENTRY_TEMPLATE = "healthdash/admin/request_entry.html"
ENTRY_PAGE_NAME = "health-request"


class RequestSearchView(View):
    """``GET``: the latest notable requests; ``?q=`` a request ID (its page) or a trace ID (its requests)."""

    http_method_names = ["get", "head", "options"]
    site = None
    title = "Failed and slow requests"

    def get(self, request, *args, **kwargs):
        query = request.GET.get("q", "").strip()
        entries, searched = queries.latest(), False
        if query:
            searched = True
            entry = queries.find(query)
            if entry is not None:
                return redirect(reverse(f"{self.site.name}:{ENTRY_PAGE_NAME}", args=[entry.request_id],
                                        current_app=self.site.name))
            entries = queries.latest(trace_id=query) if queries.is_trace_id(query.lower()) else []
        # subtitle: read by the admin's base template; a name it lacks is logged at DEBUG with the whole
        # context, the CSRF token included.
        context = {**self.site.each_context(request), "title": self.title, "subtitle": None, "searched": searched,
                   "entries": [queries.as_json(entry) for entry in entries],
                   "query": query if entries else ""}  # an ID that found nothing is not shown back
        request.current_app = self.site.name
        return TemplateResponse(request, SEARCH_TEMPLATE, context)


class RequestEntryView(View):
    """``GET``: one entry, with its log lines and links."""

    http_method_names = ["get", "head", "options"]
    site = None
    title = "Request"

    def get(self, request, request_id: str, *args, **kwargs):
        entry = queries.find(request_id)
        if entry is None:
            raise Http404("No request with this ID is in the journal.")
        context = {**self.site.each_context(request), "title": f"{self.title} {entry.request_id}", "subtitle": None,
                   "entry": queries.as_json(entry)}
        request.current_app = self.site.name
        return TemplateResponse(request, ENTRY_TEMPLATE, context)
