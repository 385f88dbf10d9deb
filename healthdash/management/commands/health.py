"""``manage.py health``: run the registered checks in-process and print the result.

Exit status: 0 up or degraded, 1 down, 2 could not run as configured (an unknown service, or a
configuration error of any installed app, which is printed after the results). Every check runs
even after one fails. Tracebacks stay out of the output (``-v 2`` shows the log, tracebacks
included).
"""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError

from healthdash.access import Audience
from healthdash.documents import dashboard_payload, iso
from healthdash.registry import UnknownService, service_registry
from healthdash.runner import Run, Runner
from healthdash.sections import section_registry
from healthdash.status import Status
from observability.startup import configuration_errors, refusal

COLUMNS = ("SERVICE", "STATUS", "CRITICAL", "LATENCY", "REASON")


class Command(BaseCommand):
    help = "Check the registered services now and print their status (exit 0 up/degraded, 1 down, 2 error)."
    requires_system_checks = []  # invalid settings are reported here, with exit status 2
    reports_configuration = True  # start-up lets it run whatever the configuration (observability.startup)

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the dashboard JSON (with details)")
        parser.add_argument("--service", action="append", metavar="NAME",
                            help="check only this service (repeat for more)")

    def handle(self, *args, **options):
        try:
            with _quiet_log(options["verbosity"]):
                run = Runner(service_registry).run(options["service"])
        except UnknownService as exc:
            raise CommandError(str(exc), returncode=2) from None
        if options["json"]:
            self.stdout.write(json.dumps(dashboard_payload(run, Audience.DETAILED, section_registry), indent=2))
        else:
            self._print_table(run)
        if errors := configuration_errors():
            raise CommandError(refusal(errors), returncode=2)
        if run.status is Status.DOWN:
            raise CommandError("a critical service is down", returncode=1)

    def _print_table(self, run: Run) -> None:
        rows = [COLUMNS] + [
            (r.name, r.status.value, "yes" if r.critical else "no", f"{r.latency_ms:.1f} ms", r.reason or "")
            for r in run.results.values()
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS) - 1)]
        styles = {"up": self.style.SUCCESS, "degraded": self.style.WARNING, "down": self.style.ERROR}
        for number, row in enumerate(rows):
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            if number:
                cells[1] = styles[row[1]](cells[1])
            self.stdout.write("  ".join([*cells, row[-1]]).rstrip())
        self.stdout.write(f"\noverall: {run.status.value} (checked at {iso(run.checked_at)} "
                          f"in {run.duration_ms:.0f} ms)")


@contextmanager
def _quiet_log(verbosity: int):
    """Keep the runner's log out of the output unless asked for with -v 2, which adds the tracebacks (DEBUG)."""
    logger = logging.getLogger("healthdash.runner")
    previous = logger.level
    logger.setLevel(logging.CRITICAL if verbosity < 2 else logging.DEBUG)
    try:
        yield
    finally:
        logger.setLevel(previous)
