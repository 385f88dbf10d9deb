"""The registry of services whose health the dashboard shows, and the services settings add to it."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from healthdash.conf import get_settings
from observability.parsing import Problem

__all__ = [
    "READY", "STARTUP", "AlreadyRegistered", "Service", "ServiceRegistry", "UnknownService",
    "configured_service_problems", "register_configured_services", "service_registry",
]

Check = Callable[[], object]
# The probes' tags: /health/startup waits for the services tagged STARTUP, /health/ready for the critical READY ones.
STARTUP, READY = "startup", "ready"
BUILTIN_TAGS = frozenset({STARTUP, READY})


class AlreadyRegistered(ImproperlyConfigured):
    """A service of that name is registered already."""


class UnknownService(KeyError):
    """No service of that name is registered."""

    def __str__(self) -> str:
        return self.args[0]


@dataclass(frozen=True)
class Service:
    """A named dependency and the callable that checks it."""

    name: str
    check: Check  # sync or async; returns None, "up", "degraded" or a CheckResult; raises when down
    critical: bool = True
    timeout: float = 2.0
    description: str = ""
    # The IETF health format's componentType: "datastore", "component", "system", ...
    component_type: str = "component"
    tags: frozenset[str] = frozenset()


class ServiceRegistry:
    """Services by name, in registration order; safe to use from several threads."""

    def __init__(self):
        self._services: dict[str, Service] = {}
        self._lock = threading.Lock()

    def register(self, name: str, check: Check | None = None, /, *, critical: bool = True, timeout: float = 2.0,
                 description: str = "", replace: bool = False, component_type: str = "component",
                 tags: Iterable[str] | None = None):
        """Register `check` under `name`; without `check`, return a decorator that does.

        `tags` None: a critical service is tagged ``ready``, any other none.
        """
        if check is None:
            def decorator(func: Check) -> Check:
                self.register(name, func, critical=critical, timeout=timeout, description=description,
                              replace=replace, component_type=component_type, tags=tags)
                return func
            return decorator
        if tags is None:
            tags = (READY,) if critical else ()
        service = Service(name, check, bool(critical), _valid_timeout(name, timeout), str(description),
                          str(component_type), _valid_tags(name, tags))
        _validate(service)
        with self._lock:
            if name in self._services and not replace:
                raise AlreadyRegistered(
                    f"Service {name!r} is already registered; pass replace=True to replace it."
                )
            self._services[name] = service
        return check

    def unregister(self, name: str) -> None:
        """Remove the service `name`; UnknownService when there is none."""
        with self._lock:
            if self._services.pop(name, None) is None:
                raise UnknownService(f"No service {name!r} is registered.")

    def get(self, name: str) -> Service:
        """The service `name`; UnknownService when there is none."""
        try:
            return self._services[name]
        except KeyError:
            raise UnknownService(f"No service {name!r} is registered.") from None

    def select(self, names: Iterable[str] | None = None) -> list[Service]:
        """The services named (all when `names` is None), in registration order."""
        services = list(self)
        if names is None:
            return services
        wanted = list(dict.fromkeys(names))
        unknown = [name for name in wanted if name not in self._services]
        if unknown:
            known = ", ".join(s.name for s in services) or "none"
            raise UnknownService(f"Unknown service {', '.join(map(repr, unknown))}; registered: {known}.")
        return [service for service in services if service.name in wanted]

    def tagged(self, tag: str) -> list[Service]:
        """The services carrying `tag`, in registration order."""
        return [service for service in self if tag in service.tags]

    def tags(self) -> set[str]:
        """Every tag a registered service carries, and the probes' own."""
        return set(BUILTIN_TAGS).union(*(service.tags for service in self))

    def names(self) -> list[str]:
        """Names of the registered services, in registration order."""
        return [service.name for service in self]

    def __iter__(self) -> Iterator[Service]:
        with self._lock:
            return iter(tuple(self._services.values()))

    def __len__(self) -> int:
        return len(self._services)

    def __contains__(self, name: object) -> bool:
        return name in self._services


def _valid_timeout(name: str, timeout: object) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout < math.inf:
        raise ValueError(f"The timeout of service {name!r} must be a positive number of seconds, got {timeout!r}.")
    return float(timeout)


def _valid_tags(name: str, tags: object) -> frozenset[str]:
    if isinstance(tags, str) or not isinstance(tags, Iterable) or not all(
            isinstance(tag, str) and tag.strip() for tag in tags):
        raise ValueError(f"The tags of service {name!r} must be a list of non-empty names, got {tags!r}.")
    return frozenset(tags)


def _validate(service: Service) -> None:
    if not isinstance(service.name, str) or not service.name.strip() or len(service.name) > 100:
        raise ValueError(f"A service name must be a non-empty string of at most 100 characters, got {service.name!r}.")
    if not callable(service.check):
        raise TypeError(f"The check of service {service.name!r} must be callable, got {type(service.check).__name__}.")


service_registry = ServiceRegistry()
"""The project's services: apps register theirs in AppConfig.ready()."""


# --- Services configured in settings (HEALTHDASH["SERVICES"]) ----------------------------------


def register_configured_services(registry: ServiceRegistry,
                                 services: Mapping[str, Mapping[str, object]] | None = None) -> list[Problem]:
    """Register every entry of ``SERVICES`` (replacing), and return the entries that could not be."""
    services = get_settings().services if services is None else services
    problems = []
    for name, entry in services.items():
        variable = f"SERVICES[{name!r}]"
        try:
            check = import_string(entry["check"])
        except ImportError as exc:
            problems.append(Problem("healthdash.E007", variable, f"{variable} cannot import {entry['check']!r}: {exc}",
                                    "Point the entry at an importable callable."))
            continue
        critical = entry.get("critical", True)
        if not isinstance(critical, bool):
            problems.append(Problem("healthdash.E012", variable, f"{variable} 'critical' must be True or False, "
                                    f"got {critical!r}.", "Write 'critical': True or 'critical': False."))
            continue
        tags = entry.get("tags")
        if unknown := _unknown_tags(tags, services):
            problems.append(Problem("healthdash.E016", variable, f"{variable} has the unknown tag"
                                    f"{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} (known: "
                                    f"{', '.join(sorted(_code_tags(services)))}).",
                                    "Correct the tag's spelling, or tag a service of an app's code with it first."))
            continue
        try:
            registry.register(name, check, critical=critical, timeout=entry.get("timeout", 2.0),
                              description=str(entry.get("description", "")), replace=True, tags=tags)
        except (TypeError, ValueError) as exc:
            problems.append(Problem("healthdash.E013", variable, f"{variable} cannot be registered: {exc}",
                                    "Give a callable check, a 'timeout' in seconds above 0 and 'tags' as a list "
                                    "of names."))
    return problems


def _code_tags(services: Mapping[str, object]) -> set[str]:
    """The tags a setting may use: the probes' own, and those of the services apps register in code."""
    return set(BUILTIN_TAGS).union(*(s.tags for s in service_registry if s.name not in services))


def _unknown_tags(tags: object, services: Mapping[str, object]) -> list[str]:
    """The tags of a setting's entry that nothing knows (a misspelt 'ready' would silently leave readiness)."""
    if isinstance(tags, str) or not isinstance(tags, Iterable):
        return []  # not a list of names: registering says so
    return sorted({tag for tag in tags if isinstance(tag, str)} - _code_tags(services))


def configured_service_problems() -> list[Problem]:
    """Problems of the ``SERVICES`` entries, found by registering them into a scratch registry."""
    return register_configured_services(ServiceRegistry())
