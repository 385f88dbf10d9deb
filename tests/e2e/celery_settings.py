"""The project's settings plus the Celery tests' app (tasks and a view that publishes one)."""

from tests.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.e2e.taskapp"]  # noqa: F405
ROOT_URLCONF = "tests.e2e.taskapp.urls"
