"""App config of healthdash."""

from django.apps import AppConfig


class HealthdashConfig(AppConfig):
    """Health checks of backing services, their API and their admin page."""

    name = "healthdash"
    verbose_name = "Health dashboard"
