"""Settings for gunicorn processes of the tracing e2e tests: the project's, plus test routes."""

from tests.settings import *  # noqa: F403

ROOT_URLCONF = "tests.observability.tracing.urls"
