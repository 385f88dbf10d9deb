"""System checks healthdash.E0xx: registered, one per problem, with hints."""

from __future__ import annotations

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from healthdash.checks import check_capacity, check_settings, check_urls
from healthdash.registry import register_configured_services


def ok_check():
    return "up"


NOT_CALLABLE = "just a string"


def test_checks_are_registered_under_the_healthdash_tag():
    assert "healthdash" in checks.registry.registry.tags_available()
    assert check_settings in checks.registry.registry.get_checks()


def test_valid_settings_have_no_errors():
    assert check_settings() == []


def test_invalid_setting_is_an_error_with_a_hint(healthdash_settings):
    healthdash_settings(HEALTH_DEADLINE="later")
    errors = check_settings()
    assert [e.id for e in errors] == ["healthdash.E002"]
    assert errors[0].msg == "HEALTH_DEADLINE must be a number of seconds of at least 0.001, got 'later'."
    assert errors[0].hint == "Set HEALTH_DEADLINE to the seconds a whole run may take, for example 3."


@pytest.mark.parametrize(("entry", "problem_id", "message"), [
    ("tests.healthdash.test_checks.missing_function", "healthdash.E007", "cannot import"),
    ("no_such_module_anywhere.check", "healthdash.E007", "cannot import"),
    ({"check": "tests.healthdash.test_checks.NOT_CALLABLE"}, "healthdash.E013", "must be callable"),
    ({"check": "tests.healthdash.test_checks.ok_check", "timeout": 0}, "healthdash.E013", "must be a positive number"),
    ({"check": "tests.healthdash.test_checks.ok_check", "critical": "no"}, "healthdash.E012",
     "'critical' must be True or False"),
])
def test_bad_services_entries(healthdash_settings, entry, problem_id, message):
    healthdash_settings(SERVICES={"queue": entry})
    errors = check_settings()
    assert [e.id for e in errors] == [problem_id]
    assert errors[0].msg.startswith("SERVICES['queue'] ")
    assert message in errors[0].msg and errors[0].hint


def test_configured_services_are_registered(registry, healthdash_settings):
    healthdash_settings(SERVICES={
        "queue": "tests.healthdash.test_checks.ok_check",
        "search": {"check": "tests.healthdash.test_checks.ok_check", "critical": False, "timeout": 0.5,
                   "description": "Search index"},
    })
    assert register_configured_services(registry) == []
    assert registry.get("queue").check is ok_check
    search = registry.get("search")
    assert (search.critical, search.timeout, search.description) == (False, 0.5, "Search index")


def test_check_command_reports_the_error(healthdash_settings):
    healthdash_settings(HEALTH_ANONYMOUS="everyone")
    with pytest.raises(SystemCheckError, match=r"healthdash\.E003.*HEALTH_ANONYMOUS must be one of"):
        call_command("check", tags=["healthdash"])


def test_capacity_warnings(project_services, healthdash_settings):
    assert check_capacity() == []
    healthdash_settings(HEALTH_MAX_WORKERS=2, HEALTH_DEADLINE=2)
    project_services.register("slow-search", ok_check, timeout=2.5, critical=False)
    warnings = check_capacity()
    assert [w.id for w in warnings] == ["healthdash.W001", "healthdash.W002"]
    assert warnings[0].msg.startswith(f"{len(project_services)} services are registered but HEALTH_MAX_WORKERS is 2")
    assert "'slow-search' has a timeout of 2.5 s, longer than HEALTH_DEADLINE (2 s)" in warnings[1].msg


def test_the_project_routes_healthdash_urls():
    assert check_urls() == []


def test_e014_the_health_page_without_healthdash_urls(settings, admin_client):
    settings.ROOT_URLCONF = "tests.healthdash.urls_without_healthdash"
    (error,) = check_urls()
    assert error.id == "healthdash.E014"
    assert "NoReverseMatch" in error.msg
    assert 'path("", include("healthdash.urls"))' in error.hint
    assert "tests.healthdash.urls_without_healthdash" in error.hint
    with pytest.raises(SystemCheckError, match="healthdash.E014"):
        call_command("check", tags=["urls"])
    # What the check spares a project: the page itself fails.
    admin_client.raise_request_exception = False
    assert admin_client.get("/admin/health/").status_code == 500
