"""``manage.py health``: run the registered checks in-process and print the result; switch maintenance.

Exit status: 0 up or degraded, 1 down, 2 could not run as configured (an unknown service or
tag, a usage error, or a configuration error of any installed app, which is printed after the
results). Every check runs even after one fails. Tracebacks stay out of the output (``-v 2``
shows the log, tracebacks included).

``manage.py health maintenance on [--retry-after S] [--reason TEXT] | off | status`` switches
maintenance (``healthdash.maintenance``) for every worker and instance sharing the database.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from healthdash import history, maintenance
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
        chosen = parser.add_mutually_exclusive_group()
        chosen.add_argument("--service", action="append", metavar="NAME",
                            help="check only this service (repeat for more)")
        chosen.add_argument("--tag", metavar="NAME", help="check only the services tagged NAME (startup, ready...)")
        commands = parser.add_subparsers(dest="command", metavar="maintenance")
        switch = commands.add_parser("maintenance", help="take the site out of rotation, or back").add_subparsers(
            dest="action", required=True, metavar="{on,off,status}")
        on = switch.add_parser("on", help="readiness answers 503 maintenance on every worker")
        on.add_argument("--retry-after", type=seconds, default=maintenance.DEFAULT_RETRY_AFTER, metavar="SECONDS",
                        help=f"the Retry-After readiness sends (default {maintenance.DEFAULT_RETRY_AFTER})")
        on.add_argument("--reason", default="", help="shown to staff and API-key callers")
        switch.add_parser("off", help="put the site back in rotation")
        switch.add_parser("status", help="print whether maintenance is on")

    def handle(self, *args, **options):
        if options.get("command") == "maintenance":
            return self._maintenance(options)
        # A check from a shell is not the fleet's: it may see the services from elsewhere, and must
        # not record transitions or notify (nor print the history's log lines after its output).
        accepting, history.observer.accepting = history.observer.accepting, False
        try:
            with _quiet_log(options["verbosity"]):
                run = Runner(service_registry).run(self._names(options))
        except UnknownService as exc:
            raise CommandError(str(exc), returncode=2) from None
        finally:
            history.observer.accepting = accepting
        if options["json"]:
            self.stdout.write(json.dumps(dashboard_payload(run, Audience.DETAILED, section_registry), indent=2))
        else:
            self._print_table(run)
        if errors := configuration_errors():
            raise CommandError(refusal(errors), returncode=2)
        if run.status is Status.DOWN:
            raise CommandError("a critical service is down", returncode=1)

    def _names(self, options) -> list[str] | None:
        """The services asked for: by name, by tag, or all (None)."""
        if options["tag"] is None:
            return options["service"]
        tagged = [service.name for service in service_registry.tagged(options["tag"])]
        if not tagged:
            raise CommandError(f"No service is tagged {options['tag']!r}; tags: "
                               f"{', '.join(sorted(service_registry.tags()))}.", returncode=2)
        return tagged

    def _maintenance(self, options) -> None:
        try:
            if options["action"] == "on":
                state = maintenance.turn_on(retry_after=options["retry_after"], reason=options["reason"], by=_who())
            elif options["action"] == "off":
                state = maintenance.turn_off()
            else:
                state = maintenance.stored()
        except DatabaseError as exc:
            raise CommandError(f"The maintenance switch could not be read or written: {type(exc).__name__}: "
                               f"{str(exc).splitlines()[0] if str(exc) else ''} (run manage.py migrate?)",
                               returncode=1) from None
        if not state.on:
            self.stdout.write("maintenance: off")
            return
        self.stdout.write(f"maintenance: on since {iso(state.since)} by {state.by or 'unknown'}, "
                          f"Retry-After {state.retry_after} s" + (f": {state.reason}" if state.reason else ""))

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


def seconds(value: str) -> int:
    """A whole number of seconds, 0 or more; anything else is a usage error (exit 2)."""
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number of seconds, 0 or more, got {value!r}")
    return number


def _who() -> str:
    """Whom the admin page names as having turned maintenance on from here."""
    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):  # no user name in this container
        return "command line"


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
