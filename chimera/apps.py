"""App config of the chimera project itself."""

from django.apps import AppConfig


class ChimeraConfig(AppConfig):
    """The project's own app: its services and their health registrations."""

    name = "chimera"
    verbose_name = "Chimera"
