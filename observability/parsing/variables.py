"""The one mechanism every app of the project declares and parses its settings with.

A setting is declared once, as a ``Variable``: its name (the key in the app's settings dict and
the environment variable alike), the configuration field it sets, its parser, its check ID and
hint, and the standard ``OTEL_*`` variables it falls back to. Its default is the configuration
dataclass's field default. A ``Reader`` looks each variable up in one order for every app: the
app's settings dict (``OBSERVABILITY['TRACING_ENABLED']``), then the environment
(``TRACING_ENABLED``), then the ``OTEL_*`` fallbacks, then the project's own defaults (the
settings dict named after the app's with ``_DEFAULTS``: ``OBSERVABILITY_DEFAULTS``), then the
library's default; it records where each value came from and collects every problem instead of
stopping at the first. ``Running`` is an app's running configuration: parsed once, dropped when
``override_settings`` (or anything sending ``setting_changed``) changes what it was parsed from.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import MISSING, dataclass, fields

from django.core.signals import setting_changed
from django.dispatch import receiver

from observability.parsing.values import Invalid, Problem, setting_dict

# --- Caches of parsed settings ----------------------------------------------------------------

_DEPENDENTS: list[tuple[frozenset[str], Callable[[], None]]] = []


def cached_until_changed(*setting_names: str):
    """``functools.cache``, dropped when one of `setting_names` changes (``override_settings``)."""
    def decorate(func):
        cached = functools.cache(func)
        _DEPENDENTS.append((frozenset(setting_names), cached.cache_clear))
        return cached
    return decorate


def on_setting_change(setting_names: Iterable[str], forget: Callable[[], None]) -> None:
    """Call `forget` whenever one of `setting_names` changes."""
    _DEPENDENTS.append((frozenset(setting_names), forget))


@receiver(setting_changed)
def _forget_parsed_settings(*, setting: str, **kwargs) -> None:
    for names, forget in _DEPENDENTS:
        if setting in names:
            forget()


# --- Declared variables -----------------------------------------------------------------------


@dataclass(frozen=True)
class Variable:
    """One setting, declared once: where it is looked up, which field it sets, how it is checked."""

    name: str  # the settings-dict key and the environment variable; "" for an OTEL_*-only setting
    field: str  # the configuration dataclass's field
    parse: Callable[[object, str], object]  # (value, the name it was found under) -> value; raises Invalid
    problem_id: str
    hint: str = ""
    otel: tuple[str, ...] = ()  # standard variables read from the environment when `name` is unset
    environment: bool = True  # False: a Python value (a list, a dotted path) set in the settings dict only


@dataclass(frozen=True)
class Found:
    """A value found for a variable: under which name, and where (``settings``, ``environment`` or ``defaults``)."""

    name: str
    value: object
    origin: str


class Reader:
    """Looks variables up in the one order every app uses, parses them, and records sources and problems."""

    def __init__(self, raw: Mapping[str, object], environ: Mapping[str, str] | None = None,
                 settings_name: str = ""):
        self.raw, self.environ = raw, os.environ if environ is None else environ
        self.settings_name = settings_name
        # A project's own defaults: after the environment, so a deployment still changes them.
        self.defaults = setting_dict(defaults_name(settings_name)) if settings_name else {}
        self.problems: list[Problem] = []
        self.values: dict[str, object] = {}  # what a variable or a project-derived default set; else the dataclass's
        self.sources: dict[str, str] = {}  # field -> the variable's name
        self.origins: dict[str, str] = {}  # field -> "settings OBSERVABILITY['X']" or "environment X"

    def lookup(self, names: Sequence[str], otel: Sequence[str] = ()) -> Found | None:
        """The first of `names` set in the settings dict or the environment, else of `otel` in the environment."""
        for name in filter(None, names):
            value = self.raw.get(name)
            if value is not None and value != "":
                return Found(name, value, "settings")
        for name in filter(None, names):  # set unless empty, as chimera's settings read variables: " " is a value
            if self.environ.get(name, "") != "":
                return Found(name, self.environ[name], "environment")
        for name in otel:  # the OpenTelemetry SDK's rule: blank is unset
            if self.environ.get(name, "").strip():
                return Found(name, self.environ[name], "environment")
        return None

    def project_default(self, names: Sequence[str]) -> Found | None:
        """The first of `names` in the project's defaults dict: the last place looked before the library's default."""
        for name in filter(None, names):
            value = self.defaults.get(name)
            if value is not None and value != "":
                return Found(name, value, "defaults")
        return None

    def read(self, variable: Variable, found: Found | None | bool = True) -> object:
        """Parse `variable` (or what `found` holds) into its field; the field's value so far after a problem.

        A parser that returns None found the value valid but sets nothing (the default stays).
        """
        if found is True:
            found = (self.lookup([variable.name], variable.otel) or self.project_default([variable.name])
                     if variable.environment else self.setting(variable))
        if found:
            try:
                value = variable.parse(found.value, found.name)
            except Invalid as problem:
                self.problems.append(Problem(problem.problem_id or variable.problem_id, found.name, str(problem),
                                             variable.hint if problem.hint is None else problem.hint))
                if variable.field not in self.values:  # said where the default comes from, and why
                    self.origins[variable.field] = f"default: {self.where(found)} rejected"
            else:
                if value is not None:
                    self.set(variable.field, value, found)
        return self.values.get(variable.field, MISSING)

    def setting(self, variable: Variable) -> Found | None:
        """`variable` from the settings dict alone (even empty: an empty list of keys is a value)."""
        return Found(variable.name, self.raw[variable.name], "settings") if variable.name in self.raw else None

    def set(self, field_name: str, value: object, found: Found) -> None:
        """Give `field_name` `value`, found as `found` says."""
        self.values[field_name], self.sources[field_name] = value, found.name
        self.origins[field_name] = self.where(found)

    def where(self, found: Found) -> str:
        """Where an operator finds the value: ``settings OBSERVABILITY['X']`` or ``environment X``."""
        dict_name = {"settings": self.settings_name, "defaults": defaults_name(self.settings_name)}.get(found.origin)
        return f"settings {dict_name}[{found.name!r}]" if dict_name else f"environment {found.name}"

    def derive(self, field_name: str, value: object) -> None:
        """Give `field_name` a default the project's settings imply (no variable set it: it stays a default)."""
        self.values.setdefault(field_name, value)

    def problem(self, problem_id: str, variable: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(problem_id, variable, message, hint))


def defaults_name(settings_name: str) -> str:
    """The settings dict holding a project's own defaults for the variables of `settings_name`."""
    return f"{settings_name}_DEFAULTS"


def field_defaults(config_class: type) -> Mapping[str, object]:
    """The defaults of a configuration dataclass's fields: the one place each default is written."""
    defaults = {}
    for item in fields(config_class):
        if item.default is not MISSING:
            defaults[item.name] = item.default
        elif item.default_factory is not MISSING:
            defaults[item.name] = item.default_factory()
    return defaults


class Running:
    """An app's running configuration: parsed once from its settings dict and the environment.

    Dropped when the settings dict changes (``override_settings``). With a `switch` (the variable
    that turns the feature on), the problems are errors while the feature is on or the switch
    itself is unreadable, and warnings while it is off: an unused setting never stops start-up.
    `installed` finds the problems of a configuration that depend on more than its settings dict
    (a package it needs that is not installed, another setting): found at each call, never cached.
    """

    def __init__(self, settings_name: str, parse: Callable[[Mapping[str, object]], tuple[object, list[Problem]]],
                 switch: str = "", raw: Callable[[str], object] = setting_dict, derived_from: Iterable[str] = (),
                 installed: Callable[[object], list[Problem]] = lambda config: []):
        self.settings_name, self._parse, self.switch, self._raw = settings_name, parse, switch, raw
        self._installed = installed
        self._cached: tuple[object, list[Problem]] | None = None
        # derived_from: the other settings a default is derived from (DEBUG for the deployment environment).
        on_setting_change([settings_name, defaults_name(settings_name), *derived_from], self.forget)

    def forget(self) -> None:
        self._cached = None

    def parsed(self) -> tuple[object, list[Problem]]:
        cached = self._cached
        if cached is None:
            cached = self._cached = self._parse(self._raw(self.settings_name))
        return cached

    def config(self):
        """The validated configuration."""
        return self.parsed()[0]

    def problems(self) -> list[Problem]:
        """Its problems, at the level the switch gives them."""
        config, problems = self.parsed()
        problems = [*problems, *self._installed(config)]
        return problems if self.are_errors(config, problems) else [p.as_warning() for p in problems]

    def are_errors(self, config: object, problems: Sequence[Problem]) -> bool:
        """Whether `problems` of `config` stop start-up: with no switch, or the feature on, or the switch unreadable."""
        return not self.switch or getattr(config, "enabled", True) or any(p.variable == self.switch for p in problems)


class RunningWhenCalledBare(type):
    """A configuration class that, called with no arguments, is the running configuration.

    ``TracingConfig()`` reads the settings and the environment as they are now, as the seed's API
    did; ``TracingConfig(enabled=True)`` builds exactly what it is given (tests, benchmarks).
    """

    def __call__(cls, *args, **kwargs):
        if args or kwargs:
            return super().__call__(*args, **kwargs)
        return cls.from_settings()
