"""``manage.py observability_rules --out DIR [--slo SPEC]... [--job JOB]``: Prometheus rules and a Grafana dashboard.

Writes ``alerts.yml``, ``slos.yml`` (when there are SLOs) and ``dashboard.json`` into DIR,
replacing what an earlier run wrote there. The SLOs are the ``--slo`` specs, or else
``OBSERVABILITY_SLOS``. Exit status 2, with nothing written, when a spec is invalid.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError

from observability.alerting.dashboard import dashboard
from observability.alerting.rules import capacity, rule_files
from observability.alerting.slos import SLOS, get_slos, parse_slos, slo_problems
from observability.parsing import Invalid

EXIT_INVALID = 2


class Command(BaseCommand):
    """Generate the SLO rules, the shipped alerts and the dashboard from the service's own metric names."""

    help = ("Write Prometheus rule files (alerts.yml, slos.yml) and a Grafana dashboard (dashboard.json) into "
            "--out. SPEC is name=<slo>,objective=<percent>[,routes=<regex>][,latency=<seconds>].")
    requires_system_checks: list[str] = []
    reports_configuration = True  # an invalid OBSERVABILITY_SLOS is reported here, with exit status 2

    def add_arguments(self, parser) -> None:
        parser.add_argument("--out", required=True, type=Path, help="Folder the files are written to.")
        parser.add_argument("--slo", action="append", default=[], metavar="SPEC",
                            help=f"An SLO (repeatable); without any, {SLOS.name} from the settings.")
        parser.add_argument("--job", default="chimera", help="The job label every expression selects.")

    def handle(self, *args, out: Path, slo: list[str], job: str, **options) -> None:
        if slo:
            try:
                slos = parse_slos(slo, "--slo")
            except Invalid as problem:
                raise CommandError(str(problem), returncode=EXIT_INVALID) from None
        else:
            if problems := slo_problems():
                raise CommandError(problems[0].message, returncode=EXIT_INVALID)
            slos = get_slos()
        files = {name: yaml.safe_dump(content, sort_keys=False, width=1000)
                 for name, content in rule_files(list(slos), job, capacity()).items()}
        files["dashboard.json"] = json.dumps(dashboard(job), indent=2) + "\n"
        out.mkdir(parents=True, exist_ok=True)
        for stale in {"alerts.yml", "slos.yml"} - set(files):
            (out / stale).unlink(missing_ok=True)
        for name, text in files.items():
            (out / name).write_text(text)
        self.stdout.write(f"Wrote {', '.join(sorted(files))} to {out} ({len(slos)} SLOs, job {job}).")
