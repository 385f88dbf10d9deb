"""The registry of services whose health the dashboard shows."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

Check = Callable[[], object]


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


class ServiceRegistry:
    """Services by name, in registration order; safe to use from several threads."""

    def __init__(self):
        self._services: dict[str, Service] = {}
        self._lock = threading.Lock()

    def register(self, name: str, check: Check | None = None, /, *, critical: bool = True, timeout: float = 2.0,
                 description: str = "", replace: bool = False, component_type: str = "component"):
        """Register `check` under `name`; without `check`, return a decorator that does."""
        if check is None:
            def decorator(func: Check) -> Check:
                self.register(name, func, critical=critical, timeout=timeout, description=description,
                              replace=replace, component_type=component_type)
                return func
            return decorator
        service = Service(name, check, bool(critical), _valid_timeout(name, timeout), str(description),
                          str(component_type))
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


def _validate(service: Service) -> None:
    if not isinstance(service.name, str) or not service.name.strip() or len(service.name) > 100:
        raise ValueError(f"A service name must be a non-empty string of at most 100 characters, got {service.name!r}.")
    if not callable(service.check):
        raise TypeError(f"The check of service {service.name!r} must be callable, got {type(service.check).__name__}.")


service_registry = ServiceRegistry()
"""The project's services: apps register theirs in AppConfig.ready()."""
