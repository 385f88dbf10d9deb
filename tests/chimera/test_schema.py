"""The OpenAPI schema at /api/schema/, and schemathesis run against it in-process."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from observability.context import request_id_var
from tests.chimera.conftest import API_KEY, GOOGLE_KEY, OPENAI_KEY

EXAMPLES = 150
# The dashboard in the schema reads sessions and runs database probes.
pytestmark = pytest.mark.django_db


def test_schema_describes_generate(client, remote):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    operation = schema["paths"]["/api/v1/generate"]["post"]
    assert set(operation["responses"]) == {"200", "202", "400", "401", "406", "411", "413", "429", "502", "503",
                                           "504"}
    assert operation["security"] == [{"ApiKeyAuth": []}]
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {"type": "apiKey", "in": "header",
                                                                     "name": "X-API-Key"}
    assert schema["components"]["schemas"]["ProviderEnum"]["enum"] == ["local", "google", "openai"]


def test_schema_shows_the_live_prompt_limit(client, configure):
    configure(CHIMERA_PROMPT_MAX_CHARS=123)
    prompt = client.get("/api/schema/?format=json").json()["components"]["schemas"]["GenerateRequest"]
    assert prompt["properties"]["prompt"]["maxLength"] == 123


def test_schema_holds_no_secret(client, remote):
    text = client.get("/api/schema/").content.decode()
    assert text.startswith("openapi: 3")
    for secret in (API_KEY, GOOGLE_KEY, OPENAI_KEY):
        assert secret not in text


@pytest.fixture(autouse=True)
def request_id_restored():
    """Werkzeug's test client never closes responses, and closing is what ends a request ID's
    lifetime (as a real server does): restore the ID so none outlives these tests."""
    token = request_id_var.set(None)
    yield
    request_id_var.reset(token)


@pytest.fixture
def api_schema(remote, settings):
    """The schema as served, with every provider answering (google and openai from the chat server).

    Schemathesis sends hundreds of wrong keys from one address: past the limit on failed
    authentication they would get 429, where its check wants the 401 of each single attempt.
    """
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "API_KEY_FAILURE_RATE": "off"}
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_to_its_schema_and_never_fails_with_a_server_error(api_schema, mode):
    # Every built-in check: no 5xx, status codes, content types and bodies as documented,
    # schema-valid bodies accepted, invalid ones refused, and the API key actually required.
    statuses = set()

    @given(case=api_schema.as_strategy(mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def run(case):
        statuses.add(case.call_and_validate(headers={"X-API-Key": API_KEY}).status_code)

    run()
    assert (200 if mode == GenerationMode.POSITIVE else 400) in statuses


def test_schemathesis_finds_every_operation(api_schema):
    labels = [operation.ok().label for operation in api_schema.get_all_operations()]
    assert sorted(labels) == ["GET /api/v1/health/dashboard", "GET /api/v1/health/fleet", "GET /api/v1/health/history",
                              "GET /api/v1/requests",
                              "GET /api/v1/requests/{request_id}", "GET /api/v1/tasks/{task_id}",
                              "POST /api/v1/generate"]
