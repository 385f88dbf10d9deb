"""The request journal's storage: one row per notable request (failed or slow), shared by every process
that uses the database. ``observability.journal`` writes and prunes it; nothing else is stored."""

from django.db import models

__all__ = ["JournalEntry"]


class JournalEntry(models.Model):
    """A notable request, as an operator needs it to find the request again: already redacted."""

    request_id = models.CharField(max_length=128, db_index=True)
    trace_id = models.CharField(max_length=32, blank=True, db_index=True)  # "": not traced
    method = models.CharField(max_length=16)
    route = models.CharField(max_length=255)
    path = models.TextField()
    status = models.PositiveSmallIntegerField()
    duration_ms = models.FloatField()
    started_at = models.DateTimeField(db_index=True)
    instance = models.CharField(max_length=64)
    user = models.CharField(max_length=64, blank=True)  # "": anonymous, or an API key
    exception = models.CharField(max_length=200, blank=True)
    logs = models.JSONField(default=list)

    class Meta:
        app_label = "observability"
        verbose_name_plural = "journal entries"

    def __str__(self) -> str:
        return f"{self.method} {self.route} {self.status} ({self.request_id})"
