"""healthdash's tables, shared by every worker and instance of the database: the maintenance switch, the
fleet's record of service statuses (each service's current state and its transitions), and the fleet's
processes where the cache is not shared."""

from __future__ import annotations

from django.db import models

__all__ = ["DEFAULT_RETRY_AFTER", "Instance", "Maintenance", "ServiceState", "Transition"]

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


class ServiceState(models.Model):
    """A service's status as the fleet last recorded it: the row every process compares and sets.

    A process that sees a new status moves `status` with an UPDATE conditioned on the status it
    read; the one whose UPDATE changed the row records the transition, so concurrent runs of
    several processes record each change once. `notified` is the status the webhook last
    announced and `streak` how many runs have seen `status` since it changed (counted up to
    ``HEALTH_NOTIFY_AFTER``, only while it differs from `notified`).
    """

    service = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=16)
    since = models.DateTimeField()
    notified = models.CharField(max_length=16)
    streak = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "service state"

    def __str__(self) -> str:
        return f"{self.service} {self.status}"


class Transition(models.Model):
    """One change of a service's status, recorded once per fleet; pruned after ``HEALTH_HISTORY_DAYS``."""

    service = models.CharField(max_length=200)
    previous = models.CharField(max_length=16)
    status = models.CharField(max_length=16)
    at = models.DateTimeField(db_index=True)
    reason = models.TextField(blank=True)  # already redacted by the runner

    class Meta:
        indexes = [models.Index(fields=["service", "-at"], name="healthdash_transition_service")]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.service} {self.previous} -> {self.status}"
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
