"""URLs of observability, included at the site root: ``path("", include("observability.urls"))``."""

from django.urls import path

from observability.journal.api import JournalEntryView, JournalListView
from observability.metrics.view import metrics_view

app_name = "observability"

urlpatterns = [
    path("metrics", metrics_view, name="metrics"),
    path("api/v1/requests", JournalListView.as_view(), name="journal"),
    # Any text: an ID outside the request-ID alphabet answers 404 from the view, as an unknown one.
    path("api/v1/requests/<path:request_id>", JournalEntryView.as_view(), name="journal-entry"),
]
