"""Every system check ID of the three apps: written once, meaning one thing, and reachable.

An ID is a string constant such as ``"healthdash.E004"`` in exactly one place of the code, so
one ID always carries one message; the table below triggers each configuration ID from the
settings an operator would get wrong, and fails when an ID is added without a case here.
"""

from __future__ import annotations

import ast
import re
import sys
from collections import Counter

import pytest

from observability import startup
from tests.support.processes import ROOT

APPS = ("observability", "healthdash", "chimera")
CHECK_ID = re.compile(r"(observability|healthdash|chimera)\.[EW]\d{3}")


def id_constants() -> Counter:
    """How often each check ID appears as a string constant in the apps' code."""
    found: Counter = Counter()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and CHECK_ID.fullmatch(node.value):
                    found[node.value] += 1
    return found


def test_every_id_is_written_in_one_place_only():
    counts = id_constants()
    assert len(counts) > 40, "the scan found too few IDs: the pattern is out of date"
    assert {check_id: count for check_id, count in counts.items() if count > 1} == {}


# (OBSERVABILITY, HEALTHDASH, CHIMERA_SERVICE, environment) -> the configuration ID it gives.
ON = {"TRACING_ENABLED": "true"}
CASES = {
    "observability.E001": ({"REQUEST_ID_HEADER": "bad header"}, {}, {}, {}),
    "observability.E002": ({"REQUEST_ID_TRUST_INCOMING": "perhaps"}, {}, {}, {}),
    "observability.E003": ({"REQUEST_ID_GENERATOR": "no.such.module.make_id"}, {}, {}, {}),
    "observability.E004": ({"JSON_ERROR_PREFIXES": ["api/"]}, {}, {}, {}),
    "observability.E005": ({"REQUEST_ID_GENERATOR": "os.getpid"}, {}, {}, {}),
    "observability.E006": ({"API_KEYS": 42}, {}, {}, {}),
    "observability.E007": ({"REQUEST_ID_GENERATOR": "uuid.NAMESPACE_DNS"}, {}, {}, {}),
    "observability.E010": ({"TRACING_ENABLED": "maybe"}, {}, {}, {}),
    "observability.E011": ({**ON, "TRACING_EXPORTER": "kafka"}, {}, {}, {}),
    "observability.E012": ({**ON, "TRACING_EXPORTER": "otlp", "TRACING_ENDPOINT": "collector:4317"}, {}, {}, {}),
    "observability.E013": ({**ON, "TRACING_SERVICE_NAME": " "}, {}, {}, {}),
    "observability.E014": ({**ON, "TRACING_SAMPLE_RATE": "2"}, {}, {}, {}),
    "observability.E015": ({**ON, "TRACING_HEADERS": "no-equals-sign"}, {}, {}, {}),
    "observability.E016": ({**ON, "TRACING_EXCLUDED_URLS": "health"}, {}, {}, {}),
    "observability.E017": ({**ON, "TRACING_EXPORT_TIMEOUT_SECONDS": "0"}, {}, {}, {}),
    "observability.E018": ({**ON, "TRACING_SHUTDOWN_TIMEOUT_SECONDS": "-1"}, {}, {}, {}),
    "observability.E019": ({**ON, "TRACING_SERVICE_VERSION": "\n"}, {}, {}, {}),
    "observability.E020": ({**ON, "TRACING_DEPLOYMENT_ENVIRONMENT": "a\x00b"}, {}, {}, {}),
    "observability.E021": (ON, {}, {}, {"OTEL_RESOURCE_ATTRIBUTES": "team"}),
    "observability.E022": (ON, {}, {}, {"OTEL_BSP_SCHEDULE_DELAY": "0"}),
    "observability.E023": ({**ON, "TRACING_EXPORTER": "otlp", "TRACING_ENDPOINT": "http://u:p@c:4317"}, {}, {}, {}),
    "observability.E024": (ON, {}, {}, {"OTEL_BSP_MAX_QUEUE_SIZE": "10", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "20"}),
    "observability.E025": ({**ON, "TRACING_DB_STATEMENTS": "sometimes"}, {}, {}, {}),
    "observability.E026": ({"SERVER_TIMING": "maybe"}, {}, {}, {}),
    "observability.E050": ({"METRICS_ENABLED": "sometimes"}, {}, {}, {}),
    "observability.E051": ({"METRICS_EXPORTER": "prometheus,statsd"}, {}, {}, {}),
    "observability.E052": ({"METRICS_EXPORTER": "otlp", "METRICS_ENDPOINT": "collector:4317"}, {}, {}, {}),
    "observability.E053": ({"METRICS_EXPORTER": "otlp"}, {}, {}, {"OTEL_METRIC_EXPORT_INTERVAL": "5"}),
    "observability.E054": ({"METRICS_ANONYMOUS": "public"}, {}, {}, {}),
    "observability.E055": ({"METRICS_EXCLUDED_URLS": "/health,metrics"}, {}, {}, {}),
    "observability.E056": ({"METRICS_MULTIPROC_DIR": "relative/metrics"}, {}, {}, {}),
    "observability.E057": ({"METRICS_EXPORTER": "otlp,otlp_http"}, {}, {}, {}),
    "observability.E058": ({"METRICS_EXPORTER": "otlp", "METRICS_ENDPOINT": "http://u:p@c:4317"}, {}, {}, {}),
    "observability.E070": ({"REDACTION_SAFE_QUERY_KEYS": "page,per page"}, {}, {}, {}),
    "observability.E080": ({"TRUSTED_PROXIES": "10.0.0.1,the-load-balancer"}, {}, {}, {}),
    "observability.E081": ({"API_KEY_FAILURE_RATE": "lots"}, {}, {}, {}),
    "observability.E082": ({"TRUSTED_PROXIES": "10.0.0.1,::/0"}, {}, {}, {}),
    "observability.E100": ({"OBSERVABILITY_SLOS": "name=api,objective=99.9,owner=me"}, {}, {}, {}),
    "observability.E101": ({}, {}, {}, {"OBSERVABILITY_SLOS": "name=api,objective=100"}),
    "observability.E102": ({"OBSERVABILITY_SLOS": ["name=api,objective=99,latency=0.3"]}, {}, {}, {}),
    "observability.E090": ({"REQUEST_JOURNAL_ENABLED": "sometimes"}, {}, {}, {}),
    "observability.E091": ({"REQUEST_JOURNAL_SLOW_MS": "0"}, {}, {}, {}),
    "observability.E092": ({"REQUEST_JOURNAL_SIZE": "1.5"}, {}, {}, {}),
    "observability.E093": ({}, {}, {}, {"REQUEST_JOURNAL_TTL_HOURS": "a day"}),
    "observability.E094": ({"TRACE_URL_TEMPLATE": "http://jaeger:16686/trace/"}, {}, {}, {}),
    "observability.E095": ({"LOGS_URL_TEMPLATE": "ftp://logs/{request_id}"}, {}, {}, {}),
    "healthdash.E001": ({}, {"HEALTH_CACHE_SECONDS": "soon"}, {}, {}),
    "healthdash.E002": ({}, {"HEALTH_DEADLINE": "0"}, {}, {}),
    "healthdash.E003": ({}, {"HEALTH_ANONYMOUS": "everyone"}, {}, {}),
    "healthdash.E004": ({}, {"HEALTH_MAX_WORKERS": "none"}, {}, {}),
    "healthdash.E006": ({}, {"SERVICES": ["a.b"]}, {}, {}),
    "healthdash.E007": ({}, {"SERVICES": {"q": "no_such_module_anywhere.check"}}, {}, {}),
    "healthdash.E008": ({}, {"HISTORY_SIZE": "many"}, {}, {}),
    "healthdash.E020": ({}, {"HEALTH_DRAIN_SECONDS": "601"}, {}, {}),
    "healthdash.E040": ({}, {"HEALTH_HISTORY_DAYS": "a fortnight"}, {}, {}),
    "healthdash.E041": ({}, {"HEALTH_WEBHOOK_URL": "hooks.example/T0/B0/token"}, {}, {}),
    "healthdash.E042": ({}, {"HEALTH_WEBHOOK_FORMAT": "teams"}, {}, {}),
    "healthdash.E043": ({}, {"HEALTH_NOTIFY_AFTER": "0"}, {}, {}),
    "healthdash.E030": ({}, {"HEALTH_HEARTBEAT_SECONDS": "0.1"}, {}, {}),
    "healthdash.E031": ({}, {}, {}, {"SERVICE_VERSION": "\t"}),
    "healthdash.E032": ({}, {"HEALTH_URL_CHECKS": "search=ftp://files.example"}, {}, {}),
    "healthdash.E033": ({}, {"HEALTH_URL_CHECKS": "a=http://a.example,a=http://b.example"}, {}, {}),
    "healthdash.E034": ({}, {"HEALTH_URL_CHECKS": "database=http://a.example"}, {}, {}),
    "healthdash.E035": ({}, {"HEALTH_CHECK_TIMEOUT": "soon"}, {}, {}),
    "healthdash.E009": ({}, {"CACHE_SECONDS": 5}, {}, {}),
    "healthdash.E010": ({}, ["not", "a", "dict"], {}, {}),
    "healthdash.E011": ({}, {"SERVICES": {"q": {"check": "a.b", "retries": 3}}}, {}, {}),
    "healthdash.E012": ({}, {"SERVICES": {"q": {"check": "tests.test_check_ids.up", "critical": "no"}}}, {}, {}),
    "healthdash.E013": ({}, {"SERVICES": {"q": {"check": "tests.test_check_ids.up", "timeout": 0}}}, {}, {}),
    "healthdash.E016": ({}, {"SERVICES": {"q": {"check": "tests.test_check_ids.up", "tags": ["redy"]}}}, {}, {}),
    "chimera.E001": ({}, {}, {"CHIMERA_DEFAULT_PROVIDER": "gpt"}, {}),
    "chimera.E002": ({}, {}, {"CHIMERA_THROTTLE_RATE": "lots"}, {}),
    "chimera.E003": ({}, {}, {"CHIMERA_PROMPT_TEMPLATE": "no placeholder"}, {}),
    "chimera.E004": ({}, {}, {"CHIMERA_PROMPT_MAX_CHARS": "0"}, {}),
    "chimera.E010": ({}, {}, {"CHIMERA_PROVIDER_GOOGLE_URL": "ftp://x"}, {}),
    "chimera.E011": ({}, {}, {"CHIMERA_PROVIDER_OPENAI_TIMEOUT": "601"}, {}),
}
# A package the configuration needs and this environment lacks (observability.extras):
# (OBSERVABILITY, CACHES or None, the modules made unimportable) -> the ID it gives.
REDIS_CACHE = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1"}}
MISSING_CASES = {
    "observability.E027": ({**ON, "TRACING_EXPORTER": "jaeger"}, None, ("opentelemetry.exporter.otlp.proto.grpc",)),
    "observability.E028": ({**ON, "TRACING_EXPORTER": "zipkin"}, None, ("opentelemetry.exporter.zipkin.json",)),
    "observability.E029": (ON, REDIS_CACHE, ("opentelemetry.instrumentation.redis",)),
    "observability.E030": (ON, None, ("opentelemetry.instrumentation.celery",)),
    "observability.E059": ({"METRICS_EXPORTER": "prometheus,otlp"}, None, ("opentelemetry.exporter.otlp.proto.grpc",)),
    "healthdash.E015": ({}, REDIS_CACHE, ("redis",)),
}
# Raised by check functions rather than settings parsers; each has tests next to its check.
CHECK_FUNCTION_IDS = {"observability.W040", "observability.W041", "observability.W042", "observability.W043",
                      "observability.W060", "observability.W069",
                      "observability.W031", "observability.W061", "observability.W083", "chimera.W005",
                      "healthdash.E014", "healthdash.W001", "healthdash.W002",
                      "chimera.W020", "chimera.W021", "chimera.W022", "chimera.W030"}


def up():
    return "up"


def test_the_reference_lists_every_id_and_no_other():
    listed = set(re.findall(r"^\| `((?:observability|healthdash|chimera)\.[EW]\d{3})` \|",
                            (ROOT / "docs" / "configuration.md").read_text(), flags=re.MULTILINE))
    assert listed == set(id_constants())


def test_every_id_in_the_code_has_a_case():
    assert set(id_constants()) == set(CASES) | set(MISSING_CASES) | CHECK_FUNCTION_IDS


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_each_configuration_id_comes_from_its_case_alone(check_id, settings, monkeypatch):
    observability, healthdash, service, environ = CASES[check_id]
    settings.OBSERVABILITY, settings.HEALTHDASH, settings.CHIMERA_SERVICE = observability, healthdash, service
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    problems = startup.configuration_problems()
    assert [p.id for p in problems] == [check_id]
    assert problems[0].variable in problems[0].message


@pytest.mark.parametrize("check_id", sorted(MISSING_CASES))
def test_each_missing_package_id_comes_from_its_case_alone(check_id, settings, monkeypatch):
    import observability.tasks  # noqa: F401  (a Celery app instrumented: its spans need the celery extra)

    observability, caches, modules = MISSING_CASES[check_id]
    settings.OBSERVABILITY = observability
    if caches is not None:
        settings.CACHES = caches
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)
    problems = startup.configuration_problems()
    assert [p.id for p in problems] == [check_id]
    assert problems[0].variable in problems[0].message
    assert "pip install 'django-chimera-observability[" in problems[0].message  # start-up's refusal shows no hint
