"""App config of the chimera project itself."""

from django.apps import AppConfig


class ChimeraConfig(AppConfig):
    """The project's own app: its services and their health registrations."""

    name = "chimera"
    verbose_name = "Chimera"

    def ready(self) -> None:
        """Add the ``providers`` section to the health dashboard."""
        from healthdash.sections import register_section

        register_section("providers", providers_section, replace=True)


def providers_section(detailed: bool) -> dict:
    """The LLM providers on the dashboard; the service layer replaces this with its real list."""
    items = [{"name": "local", "configured": True, "available": True, "default": True, "reason": None}]
    return {"count": len(items), "items": items}
