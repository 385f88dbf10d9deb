"""observability.extras: a setting that needs a package of a missing extra is a problem naming the extra.

The packages are installed here (the project keeps every extra); a module set to None in
``sys.modules`` is one Python cannot import, as when its extra is missing. tests/e2e/test_install.py
installs the core wheel and each extra for real.
"""

from __future__ import annotations

import importlib
import json
import sys

import pytest
from django.core.management import call_command

from observability import extras
from observability.checks import check_metrics_settings, check_tracing_settings

GRPC = "opentelemetry.exporter.otlp.proto.grpc"
REDIS_CACHE = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1"}}


@pytest.fixture
def without(monkeypatch):
    """``without(module)``: `module` cannot be imported for the rest of the test."""
    return lambda module: monkeypatch.setitem(sys.modules, module, None)


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_an_installed_extra_is_no_problem():
    assert extras.installed("grpc")
    assert extras.missing_extra("tracing otlp", "TRACING_EXPORTER", "TRACING_EXPORTER=otlp") is None


def test_a_missing_extra_names_its_modules_and_the_install_line(without):
    without(GRPC)
    problem = extras.missing_extra("tracing otlp", "TRACING_EXPORTER", "TRACING_EXPORTER=otlp")
    assert problem.id == "observability.E027"
    assert GRPC in problem.message and "TRACING_EXPORTER=otlp" in problem.message
    # In the message: start-up's refusal (gunicorn, runserver) lists messages without their hints.
    assert "(pip install 'django-chimera-observability[grpc]')" in problem.message
    assert "TRACING_EXPORTER=otlp_http" in problem.hint


def test_a_module_whose_parent_package_is_missing_is_not_found(without):
    without("opentelemetry.exporter.zipkin")
    assert not extras.found("opentelemetry.exporter.zipkin.json")
    assert extras.missing_modules("zipkin") == ["opentelemetry.exporter.zipkin.json"]


def test_an_exporter_needing_a_missing_extra_is_a_warning_while_tracing_is_off(settings, without):
    without(GRPC)
    settings.OBSERVABILITY = {"TRACING_EXPORTER": "otlp"}
    assert ids(check_tracing_settings()) == ["observability.W027"]
    settings.OBSERVABILITY = {"TRACING_EXPORTER": "otlp_http", "TRACING_ENABLED": "true"}
    assert check_tracing_settings() == []  # the core's own exporter


def test_metrics_need_grpc_only_to_push_over_grpc(settings, without):
    without(GRPC)
    settings.OBSERVABILITY = {"METRICS_EXPORTER": "prometheus,otlp_http"}
    assert check_metrics_settings() == []
    settings.OBSERVABILITY = {"METRICS_EXPORTER": "otlp", "METRICS_ENABLED": "false"}
    assert ids(check_metrics_settings()) == ["observability.W059"]


def test_redis_spans_are_needed_only_with_tracing_on_and_a_redis_cache(settings, without):
    without("opentelemetry.instrumentation.redis")
    settings.OBSERVABILITY = {"TRACING_ENABLED": "true"}
    assert check_tracing_settings() == []  # the tests' cache is in memory
    settings.CACHES = REDIS_CACHE
    assert ids(check_tracing_settings()) == ["observability.E029"]
    settings.OBSERVABILITY = {}
    assert check_tracing_settings() == []


def test_celery_spans_are_needed_only_with_tracing_on_and_an_app_instrumented(settings, without, monkeypatch):
    # instrument(app) imports observability.tasks: that import is what says a Celery app is traced.
    tasks = importlib.import_module("observability.tasks")
    without("opentelemetry.instrumentation.celery")
    settings.OBSERVABILITY = {"TRACING_ENABLED": "true"}
    monkeypatch.delitem(sys.modules, "observability.tasks")
    assert check_tracing_settings() == []  # celery installed alone asks for nothing
    monkeypatch.setitem(sys.modules, "observability.tasks", tasks)
    [problem] = check_tracing_settings()
    assert problem.id == "observability.E030"
    assert "(pip install 'django-chimera-observability[celery]')" in problem.msg
    assert "opentelemetry.instrumentation.celery cannot be imported" in problem.msg
    settings.OBSERVABILITY = {}
    assert check_tracing_settings() == []


def test_check_tracing_reports_a_missing_exporter_and_sends_no_probe(settings, without, capsys):
    without(GRPC)
    settings.OBSERVABILITY = {"TRACING_ENABLED": "true", "TRACING_EXPORTER": "jaeger"}
    with pytest.raises(SystemExit) as exit_info:
        call_command("check_tracing", "--probe", "--json")
    assert exit_info.value.code == 1
    report = json.loads(capsys.readouterr().out)
    assert [(p["id"], p["level"]) for p in report["problems"]] == [("observability.E027", "error")]
    assert "pip install 'django-chimera-observability[grpc]'" in report["problems"][0]["message"]
    assert report["probe"] is None


def test_a_redis_cache_without_redis_is_a_healthdash_error(settings, without):
    from healthdash.checks import configuration_problems

    settings.CACHES = REDIS_CACHE
    assert configuration_problems() == []
    without("redis")
    assert [(p.id, p.variable) for p in configuration_problems()] == [("healthdash.E015", "CACHES")]
