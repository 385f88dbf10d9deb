"""App config of observability."""

from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    """Request IDs, tracing and log correlation for any Django project."""

    name = "observability"
    verbose_name = "Observability"
