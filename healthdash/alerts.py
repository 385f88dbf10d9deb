"""What healthdash adds to ``manage.py observability_rules``: the alert on critical services and the health panels.

The critical services are read from the registry when the rules are generated, so a service
registered or configured later needs the rules generated again.
"""

from __future__ import annotations

from healthdash.gauges import CHECK_DURATION, MAINTENANCE, SERVICE_STATUS
from healthdash.registry import service_registry
from healthdash.status import Status
from observability.alerting.contributions import Panel, add_panels, add_rules
from observability.alerting.dashboard import SELECTOR
from observability.alerting.rules import alert, quoted
from observability.metrics.instruments import SERVER_DRAINING

# What RE2 (Prometheus's regexes) reads as an operator; anything else in a name stands for itself.
REGEX_OPERATORS = frozenset("\\.+*?()|[]{}^$")


def literal(name: str) -> str:
    return "".join("\\" + char if char in REGEX_OPERATORS else char for char in name)


def rules(job: str) -> list[dict]:
    """``HealthServiceDown`` over the critical services, or nothing when none is.

    An instance that drains or is in maintenance is left out: its services may be down on purpose,
    and readiness already takes it out of rotation.
    """
    critical = [service.name for service in service_registry if service.critical]
    if not critical:
        return []
    services = "^(" + "|".join(literal(name) for name in critical) + ")$"
    selector = f"job={quoted(job)},status={quoted(Status.DOWN.value)},service=~{quoted(services)}"
    job_only = f"{{job={quoted(job)}}}"
    resting = f"{MAINTENANCE.prometheus_name}{job_only} == 1 or {SERVER_DRAINING.prometheus_name}{job_only} == 1"
    down = f"{SERVICE_STATUS.prometheus_name}{{{selector}}} unless on (instance) ({resting})"
    return [alert("HealthServiceDown", f"max by (service) ({down}) == 1",
                  "2m", "page", "Critical service {{ $labels.service }} is down")]


def panels() -> list[Panel]:
    status, duration = SERVICE_STATUS.prometheus_name, CHECK_DURATION.prometheus_name
    down = f"count(max by (service) ({status}{{{SELECTOR},status={quoted(Status.DOWN.value)}}}) == 1) or vector(0)"
    resting = ((f"max by (instance) ({MAINTENANCE.prometheus_name}{{{SELECTOR}}})", "maintenance {{instance}}"),
               (f"max by (instance) ({SERVER_DRAINING.prometheus_name}{{{SELECTOR}}})", "draining {{instance}}"))
    return [
        Panel("Health status per service", ((f"max by (service, status) ({status}{{{SELECTOR}}}) == 1",
                                             "{{service}}: {{status}}"),)),
        Panel("Services down", ((down, "down"),)),
        Panel("Health check duration", ((f"max by (service) ({duration}{{{SELECTOR}}})", "{{service}}"),), "s"),
        Panel("Maintenance and draining", resting),
    ]


def register() -> None:
    add_rules("healthdash", rules)
    add_panels("healthdash", panels)
