"""healthdash's one table: the maintenance switch, shared by every worker and instance of the database."""

from __future__ import annotations

from django.db import models

DEFAULT_RETRY_AFTER = 300  # seconds a load balancer is told to wait when none is given


class Maintenance(models.Model):
    """The site taken out of rotation on purpose: one row (id 1), absent until first turned on."""

    on = models.BooleanField(default=False)
    since = models.DateTimeField(null=True, blank=True)
    retry_after = models.PositiveIntegerField(default=DEFAULT_RETRY_AFTER)
    reason = models.TextField(blank=True)
    by = models.CharField(max_length=150, blank=True)  # who turned it on: a staff user or the command line

    class Meta:
        verbose_name = "maintenance"
        verbose_name_plural = "maintenance"

    def __str__(self) -> str:
        return f"maintenance {'on' if self.on else 'off'}"
