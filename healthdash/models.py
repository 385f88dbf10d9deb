"""healthdash's tables: the maintenance switch, and the fleet's processes where the cache is not shared."""

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


class Instance(models.Model):
    """One process of the fleet, where no shared cache holds the fleet: its row is its heartbeat."""

    id = models.CharField(primary_key=True, max_length=64)  # the process's service.instance.id
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    version = models.CharField(max_length=128)
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "fleet instance"

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"
