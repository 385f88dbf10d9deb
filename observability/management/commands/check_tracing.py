"""``manage.py check_tracing``: the effective tracing configuration, its problems, and a probe.

Exit status: 0 fine, 1 invalid configuration, 2 the probe span was not accepted.
"""

from __future__ import annotations

import json as jsonlib
import os
import sys

from django.core.management.base import BaseCommand

from observability.parsing import Problem, setting_dict
from observability.redaction import mask_url
from observability.startup import configuration_errors
from observability.tracing import diagnostics
from observability.tracing.configuration import (
    SETTINGS_NAME,
    TracingConfig,
    missing_extras,
    parse_tracing,
    problems_are_errors,
)

EXIT_INVALID = 1
EXIT_PROBE_FAILED = 2
TRACING_VARIABLE_PREFIXES = ("TRACING_", "OTEL_")


class Command(BaseCommand):
    """Print the effective tracing configuration (secrets masked), validate it, optionally probe."""

    help = ("Print the effective tracing configuration with the source of each value, validate it, and with "
            "--probe send one test span. Exit status: 0 fine, 1 invalid configuration, 2 probe not accepted.")
    requires_system_checks: list[str] = []  # this command reports problems itself, even invalid ones
    reports_configuration = True  # start-up lets it run whatever the configuration (observability.startup)

    def add_arguments(self, parser) -> None:
        parser.add_argument("--probe", action="store_true", help="Send one span named check_tracing.")
        parser.add_argument("--timeout", type=float, default=5.0, help="Seconds the probe may take (default 5).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object, for scripts.")

    def handle(self, *args, probe: bool, timeout: float, json: bool, **options) -> None:
        config, problems = parse_tracing(setting_dict(SETTINGS_NAME))
        problems += missing_extras(config)  # no probe without the exporter's package
        warnings = diagnostics.likely_mistakes(config, os.environ)
        result = None
        if probe and not problems:
            result = diagnostics.probe(config, max(timeout, 0.1))
        report = build_report(config, problems, warnings, result)
        # What else would stop start-up: this command runs anyway, so it says so.
        report["other_errors"] = [f"{p.id} {p.message}" for p in configuration_errors()
                                  if not p.variable.startswith(TRACING_VARIABLE_PREFIXES)]
        if json:
            self.stdout.write(jsonlib.dumps(report, indent=2))
        else:
            self.stdout.write(render_text(report))
        if problems:
            sys.exit(EXIT_INVALID)
        if result is not None and not result.accepted:
            sys.exit(EXIT_PROBE_FAILED)


def configuration_rows(config: TracingConfig) -> list[tuple[str, str, object, str]]:
    """(key, label, value, source) for every setting; header values never appear.

    The source is where an operator finds the value (``settings OBSERVABILITY['X']``,
    ``environment X``, ``default``), and a rejected value is said to be rejected.
    """
    def source(key: str, default: str) -> str:
        return config.origins.get(key, default)

    batch_sources = sorted({source(k, "default") for k in ("max_queue_size", "max_export_batch_size",
                                                             "schedule_delay_millis")})
    return [
        ("enabled", "enabled", config.enabled, source("enabled", "default")),
        ("exporter", "exporter", config.exporter_type, source("exporter_type", "default")),
        ("endpoint", "endpoint", mask_url(config.endpoint) if config.endpoint else None,
         source("endpoint", "default")),
        ("service_name", "service name", config.service_name, source("service_name", "default")),
        ("service_version", "service version", config.service_version, source("service_version", "default")),
        ("deployment_environment", "environment", config.deployment_environment,
         source("deployment_environment", "default")),
        ("sample_rate", "sample rate", config.sample_rate, source("sample_rate", "default")),
        ("headers", "headers", dict.fromkeys(config.headers, "***"), source("headers", "default")),
        ("excluded_urls", "excluded URLs", list(config.excluded_urls), source("excluded_urls", "default")),
        ("export_timeout_seconds", "export timeout", config.export_timeout, source("export_timeout", "default")),
        ("shutdown_timeout_seconds", "shutdown flush", config.shutdown_timeout, source("shutdown_timeout", "default")),
        ("batching", "batching", {"max_queue_size": config.max_queue_size,
                                  "max_export_batch_size": config.max_export_batch_size,
                                  "schedule_delay_millis": config.schedule_delay_millis}, ", ".join(batch_sources)),
    ]


def build_report(config: TracingConfig, problems: list[Problem], warnings: list[str],
                 result: diagnostics.ProbeResult | None) -> dict:
    """Everything the command says, as one JSON-ready dict."""
    errors = problems_are_errors(config, problems)
    level = "error" if errors else "warning"
    problems = problems if errors else [p.as_warning() for p in problems]
    status = "invalid" if problems else "probe_failed" if result and not result.accepted else "ok"
    return {
        "status": status,
        "configuration": {key: {"value": value, "source": src} for key, _, value, src in configuration_rows(config)},
        "sampler": diagnostics.describe_sampler(config.sample_rate),
        "problems": [{"id": p.id, "level": level, "variable": p.variable,
                      "message": p.message, "hint": p.hint} for p in problems],
        "warnings": warnings,
        "probe": None if result is None else {"accepted": result.accepted, "detail": result.detail,
                                              "seconds": round(result.seconds, 3)},
    }


def render_text(report: dict) -> str:
    """The report for a person."""
    lines = ["Tracing configuration ([where each value comes from]):"]
    labels = {key: label for key, label, _, _ in configuration_rows(TracingConfig())}
    for key, entry in report["configuration"].items():
        lines.append(f"  {labels[key]:<16} {_shown(key, entry['value'])}  [{entry['source']}]")
    lines += ["", f"Sampler: {report['sampler']}"]
    if report["problems"]:
        lines += ["", "Problems:"]
        for problem in report["problems"]:
            lines.append(f"  {problem['id']} {problem['message']}")
            lines += [f"    hint: {problem['hint']}"] if problem["hint"] else []
    if report["warnings"]:
        lines += ["", "Likely mistakes:"] + [f"  - {warning}" for warning in report["warnings"]]
    if report["probe"] is not None:
        verdict = "accepted" if report["probe"]["accepted"] else "NOT accepted"
        lines += ["", f"Probe: {verdict}; {report['probe']['detail']}"]
    elif report["problems"]:
        lines += ["", "The configuration is invalid: fix the problems above (no probe was sent)."]
    if report.get("other_errors"):
        lines += ["", "Other configuration errors (they stop start-up; manage.py check lists them too):"]
        lines += [f"  {error}" for error in report["other_errors"]]
    return "\n".join(lines)


def _shown(key: str, value: object) -> str:
    if key == "enabled":
        return "true" if value else "false"
    if key == "headers":
        return ", ".join(f"{name}=***" for name in value) or "(none)"
    if key == "excluded_urls":
        return ", ".join(value) or "(none)"
    if key.endswith("_seconds"):
        return f"{value:g} s"
    if key == "batching":
        return (f"queue {value['max_queue_size']} spans, batches of {value['max_export_batch_size']}, "
                f"every {value['schedule_delay_millis']} ms")
    return "(not used)" if value is None else str(value)
