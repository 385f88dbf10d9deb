"""Settings for gunicorn processes started by e2e tests: the project's, plus test views."""

from tests.settings import *  # noqa: F403

ROOT_URLCONF = "tests.observability.urls"
