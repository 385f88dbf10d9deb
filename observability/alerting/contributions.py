"""What other apps add to the generated rules and dashboard, registered from their ``AppConfig.ready()``.

observability imports no other app: healthdash adds its alert on critical services and its
panels, a project its own panels (provider calls), each as a function called when the files are
generated, so the rules follow the registry of services as it is then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["Panel", "add_panels", "add_rules", "contributed_panels", "contributed_rules"]


@dataclass(frozen=True)
class Panel:
    """A dashboard panel: its title, its queries as (PromQL, legend), and Grafana's unit.

    Queries select ``job="$job",instance=~"$instance"`` and take rates over ``$__rate_interval``,
    as the dashboard's own do.
    """

    title: str
    queries: tuple[tuple[str, str], ...]
    unit: str = "short"


_rules: dict[str, Callable[[str], Iterable[dict]]] = {}
_panels: dict[str, Callable[[], Iterable[Panel]]] = {}


def add_rules(key: str, rules: Callable[[str], Iterable[dict]]) -> None:
    """`rules(job)` gives alerting rules for the job; `key` keeps a second ready() from adding them twice."""
    _rules[key] = rules


def add_panels(key: str, panels: Callable[[], Iterable[Panel]]) -> None:
    """`panels()` gives panels appended to the dashboard."""
    _panels[key] = panels


def contributed_rules(job: str) -> list[dict]:
    return [rule for rules in _rules.values() for rule in rules(job)]


def contributed_panels() -> list[Panel]:
    return [panel for panels in _panels.values() for panel in panels()]
