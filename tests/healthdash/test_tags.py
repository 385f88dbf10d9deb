"""Tags of services: the built-in defaults, an app's own, the setting's, and manage.py health --tag."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from healthdash.checks import configuration_problems
from healthdash.registry import READY, STARTUP


def ok():
    return None


def test_a_critical_service_is_ready_by_default_and_another_untagged(registry):
    registry.register("payments", ok)
    registry.register("search", ok, critical=False)
    assert (registry.get("payments").tags, registry.get("search").tags) == ({READY}, frozenset())
    assert [s.name for s in registry.tagged(READY)] == ["payments"]


def test_an_app_tags_its_own(registry):
    registry.register("search", ok, critical=False, tags=["startup", "search-stack"])
    assert registry.get("search").tags == {STARTUP, "search-stack"}
    assert registry.tags() == {STARTUP, READY, "search-stack"}


@pytest.mark.parametrize("tags", ["ready", [""], [3]])
def test_tags_are_a_list_of_names(registry, tags):
    with pytest.raises(ValueError, match="tags of service 'search'"):
        registry.register("search", ok, tags=tags)


def test_builtin_defaults(registry):
    from healthdash.probes import register_builtin_services

    register_builtin_services(registry)
    tags = {service.name: service.tags for service in registry}
    assert tags["database"] == tags["migrations"] == {STARTUP, READY}
    assert tags["cache"] == {READY}
    assert tags["tracing"] == frozenset()


def test_a_setting_tags_a_service(healthdash_settings, registry):
    from healthdash.registry import register_configured_services

    services = {"search": {"check": "tests.healthdash.test_tags.ok", "critical": False, "tags": ["startup"]}}
    assert register_configured_services(registry, services) == []
    assert registry.get("search").tags == {STARTUP}


def test_an_unknown_tag_in_the_setting_is_an_error_naming_it(healthdash_settings):
    healthdash_settings(SERVICES={"search": {"check": "tests.healthdash.test_tags.ok", "tags": ["ready", "redy"]}})
    [problem] = configuration_problems()
    assert problem.id == "healthdash.E016"
    assert "'redy'" in problem.message and "SERVICES['search']" in problem.message


def test_a_setting_may_use_a_tag_of_an_app(healthdash_settings, project_services):
    project_services.register("index", ok, tags=["search-stack"])
    healthdash_settings(SERVICES={"search": {"check": "tests.healthdash.test_tags.ok", "tags": ["search-stack"]}})
    assert configuration_problems() == []


@pytest.mark.django_db
def test_the_command_checks_one_tag(project_services):
    project_services.register("search", ok, critical=False)
    out = StringIO()
    call_command("health", "--tag", "startup", stdout=out, no_color=True)
    services = [line.split()[0] for line in out.getvalue().splitlines()[1:] if line and not line.startswith("overall")]
    assert services == ["database", "migrations"]


def test_the_command_refuses_a_tag_nothing_carries():
    with pytest.raises(CommandError, match="No service is tagged 'nope'; tags: ready, startup") as info:
        call_command("health", "--tag", "nope", stdout=StringIO())
    assert info.value.returncode == 2
