"""The service registry: registration, decorator form, duplicates, validation."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from healthdash.registry import AlreadyRegistered, Service, UnknownService, service_registry


def ok():
    return None


async def ok_async():
    return "up"


def test_register_and_read_back(registry):
    assert registry.register("db", ok, critical=False, timeout=0.5, description="Main DB") is ok
    assert registry.get("db") == Service("db", ok, critical=False, timeout=0.5, description="Main DB")
    assert "db" in registry and len(registry) == 1
    assert registry.names() == ["db"]


def test_defaults(registry):
    registry.register("db", ok)
    assert (registry.get("db").critical, registry.get("db").timeout, registry.get("db").description) == (True, 2.0, "")


def test_decorator_form_keeps_the_function(registry):
    @registry.register("queue", critical=False, timeout=1)
    async def queue_check():
        return "degraded"

    assert registry.get("queue").check is queue_check
    assert registry.get("queue").critical is False


def test_async_checks_are_accepted(registry):
    registry.register("async", ok_async)
    assert registry.get("async").check is ok_async


def test_duplicate_is_an_error_that_says_how_to_replace(registry):
    registry.register("db", ok)
    with pytest.raises(AlreadyRegistered, match=r"'db' is already registered; pass replace=True"):
        registry.register("db", ok_async)
    assert issubclass(AlreadyRegistered, ImproperlyConfigured)


def test_replace(registry):
    registry.register("db", ok)
    registry.register("db", ok_async, replace=True)
    assert registry.get("db").check is ok_async
    assert registry.names() == ["db"]


@pytest.mark.parametrize("timeout", [0, -1, float("inf"), float("nan"), "2", True, None])
def test_timeout_must_be_a_positive_number(registry, timeout):
    with pytest.raises(ValueError, match="timeout of service 'db' must be a positive number"):
        registry.register("db", ok, timeout=timeout)


@pytest.mark.parametrize("name", ["", "   ", None, "x" * 101])
def test_name_must_be_a_short_string(registry, name):
    with pytest.raises(ValueError, match="service name must be a non-empty string"):
        registry.register(name, ok)


def test_check_must_be_callable(registry):
    with pytest.raises(TypeError, match="check of service 'db' must be callable"):
        registry.register("db", "not callable")


def test_select_keeps_registration_order_and_names_unknown_services(registry):
    for name in ("a", "b", "c"):
        registry.register(name, ok)
    assert [s.name for s in registry.select(["c", "a"])] == ["a", "c"]
    assert [s.name for s in registry.select()] == ["a", "b", "c"]
    with pytest.raises(UnknownService, match=r"Unknown service 'x'; registered: a, b, c\."):
        registry.select(["a", "x"])


def test_unregister(registry):
    registry.register("db", ok)
    registry.unregister("db")
    assert "db" not in registry
    with pytest.raises(UnknownService):
        registry.unregister("db")


def test_project_registry_has_the_builtin_services():
    assert {"database", "cache", "migrations", "tracing"} <= set(service_registry.names())
    assert service_registry.get("migrations").critical is False
    assert service_registry.get("tracing").critical is False
    assert service_registry.get("database").critical is True


def test_ready_may_run_twice():
    from django.apps import apps

    before = service_registry.names()
    apps.get_app_config("healthdash").ready()
    assert service_registry.names() == before
