"""Service-level objectives: ``name=api,objective=99.9[,routes=^/api/.*][,latency=0.25]``, parsed once.

An SLO without ``latency`` counts a request as good unless it answered 5xx; with ``latency``,
unless it took longer than that many seconds, read from the request histogram's bucket of that
boundary. A latency between two boundaries would need a bucket that does not exist, so it is
refused with the boundaries around it. ``OBSERVABILITY_SLOS`` declares the same specs separated
by ``;`` (or as a list), for ``observability_rules`` to regenerate the rules without arguments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from prometheus_client.utils import floatToGoString

from observability.metrics.instruments import REQUEST_DURATION
from observability.parsing import Invalid, Problem, Reader, Running, Variable, as_number, shown

__all__ = ["SLO", "SLOS", "get_slos", "parse_slos", "slo_problems"]

SETTINGS_NAME = "OBSERVABILITY"
KEYS = ("name", "objective", "routes", "latency")
# The name becomes a label value, a rule group and a panel legend: nothing that needs quoting anywhere.
NAME = re.compile(r"[A-Za-z0-9_.-]{1,63}")
SPEC_ID, OBJECTIVE_ID, LATENCY_ID = "observability.E100", "observability.E101", "observability.E102"
SPEC_HINT = "Write each SLO as name=<slo>,objective=<percent>[,routes=<regex>][,latency=<seconds>], separated by ;."


@dataclass(frozen=True)
class SLO:
    """One objective: its name, the percentage of good requests, the routes it covers, its latency if any."""

    name: str
    objective: float  # percent of good requests, strictly between 0 and 100
    routes: str = ""  # a regex on http_route; "" is every route
    latency: float | None = None  # seconds, one of the request histogram's boundaries

    @property
    def budget(self) -> float:
        """The ratio of requests allowed to fail: 0.001 for 99.9."""
        return round(1 - self.objective / 100, 12)

    @property
    def le(self) -> str:
        """The bucket's ``le`` label as /metrics writes it (``1.0``, not ``1``)."""
        return floatToGoString(self.latency)


@dataclass(frozen=True)
class AlertingConfig:
    slos: tuple[SLO, ...] = ()


def parse_spec(text: str) -> SLO:
    """One SLO from its spec; Invalid names what is wrong (the key, the objective, the boundaries)."""
    values: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, equals, value = item.partition("=")
        key = key.strip()
        if not equals or key not in KEYS:
            raise Invalid(f"unknown key {key!r} in SLO {shown(text)} (known: {', '.join(KEYS)})", SPEC_ID)
        values[key] = value.strip()
    name = values.get("name", "")
    if not NAME.fullmatch(name):
        raise Invalid(f"SLO {shown(text)} needs a name of letters, digits, '_', '.' or '-'", SPEC_ID)
    objective = as_number(values.get("objective", ""))
    if objective is None or not 0 < objective < 100:
        raise Invalid(f"SLO {name!r} needs an objective above 0 and below 100 (percent), got "
                      f"{shown(values.get('objective'))}", OBJECTIVE_ID, "For example objective=99.9.")
    routes = values.get("routes", "")
    try:
        re.compile(routes)
    except re.error as exc:
        raise Invalid(f"SLO {name!r} has routes that are no regex ({exc}): {shown(routes)}", SPEC_ID) from None
    return SLO(name, objective, routes, _latency(name, values["latency"]) if "latency" in values else None)


def _latency(name: str, text: str) -> float:
    boundaries = REQUEST_DURATION.buckets
    seconds = as_number(text)
    if seconds is not None and seconds in boundaries:
        return float(seconds)
    lower = max((b for b in boundaries if seconds is not None and b < seconds), default=None)
    upper = min((b for b in boundaries if seconds is not None and b > seconds), default=None)
    around = f"nearest lower {floatToGoString(lower) if lower is not None else 'none'}, nearest upper " \
             f"{floatToGoString(upper) if upper is not None else 'none'}"
    raise Invalid(f"SLO {name!r} has latency={text}, which is no boundary of the request histogram "
                  f"({around})", LATENCY_ID,
                  f"Use one of {', '.join(floatToGoString(b) for b in boundaries)} (seconds).")


def parse_slos(value: object, name: str) -> tuple[SLO, ...]:
    """Every SLO of `value` (specs separated by ``;``, or a list of specs); Invalid on the first problem."""
    specs = value.split(";") if isinstance(value, str) else value
    if not isinstance(specs, list | tuple) or not all(isinstance(spec, str) for spec in specs):
        raise Invalid(f"{name} must be SLO specs separated by ';' or a list of them, got {shown(value)}.", SPEC_ID)
    slos: dict[str, SLO] = {}
    for spec in filter(None, (spec.strip() for spec in specs)):
        try:
            slo = parse_spec(spec)
        except Invalid as problem:
            raise Invalid(f"{name}: {problem}.", problem.problem_id, problem.hint) from None
        if slo.name in slos:
            raise Invalid(f"{name}: the SLO name {slo.name!r} is given twice.", SPEC_ID)
        slos[slo.name] = slo
    return tuple(slos.values())


SLOS = Variable("OBSERVABILITY_SLOS", "slos", parse_slos, SPEC_ID, SPEC_HINT)


def parse_alerting(raw: Mapping[str, object], environ: Mapping[str, str] | None = None,
                   ) -> tuple[AlertingConfig, list[Problem]]:
    r = Reader(raw, environ, SETTINGS_NAME)
    r.read(SLOS)
    return AlertingConfig(**r.values), r.problems


RUNNING = Running(SETTINGS_NAME, parse_alerting)


def get_slos() -> tuple[SLO, ...]:
    """The SLOs the settings declare (none while they are invalid)."""
    return RUNNING.config().slos


def slo_problems() -> list[Problem]:
    return RUNNING.problems()
