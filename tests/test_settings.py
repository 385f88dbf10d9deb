"""Start-up from the environment, as an operator runs it: manage.py in a subprocess."""

from __future__ import annotations

import re
import runpy

import pytest

from tests.support.processes import ROOT, project_env, run_manage

pytestmark = pytest.mark.slow

PRINT_SETTINGS = (
    "shell", "--no-imports", "-c",
    "from django.conf import settings as s; "
    "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], "
    "s.LOG_LEVEL, s.LOG_FORMAT, s.ALLOWED_HOSTS)",
)


def test_settings_load_with_only_secret_key():
    result = run_manage(*PRINT_SETTINGS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(" ", 5) == [
        "False", "django.db.backends.sqlite3", "django.core.cache.backends.locmem.LocMemCache",
        "INFO", "text", "['127.0.0.1', 'localhost', '[::1]']\n",
    ]


def test_nothing_set_refuses_start_up_with_the_secret_key_message():
    result = run_manage("check", env=project_env(SECRET_KEY=None))
    assert result.returncode == 1
    assert result.stderr.startswith("Configuration error: SECRET_KEY is not set.")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("DEBUG", "maybe", "DEBUG must be true or false"),
    ("DATABASE_URL", "not a url", "DATABASE_URL must be a URL"),
    ("DATABASE_URL", "postgres://app:hunter2@db:port/app", "DATABASE_URL is not a valid database URL"),
    ("CACHE_URL", "memcached-ish", "CACHE_URL must be a URL"),
    ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be one of"),
    ("LOG_FORMAT", "xml", "LOG_FORMAT must be one of text, json"),
    ("SECRET_KEY", "change-me", "SECRET_KEY is a placeholder value"),
    ("CELERY_BROKER_URL", "kafka://u:hunter2@broker:9092", "CELERY_BROKER_URL must be a URL such as redis://"),
    ("CELERY_RESULT_BACKEND", "amqp://broker//", "CELERY_RESULT_BACKEND must be a URL such as redis://"),
    ("CELERY_TASK_TIME_LIMIT", "soon", "CELERY_TASK_TIME_LIMIT must be a number of at least 1"),
    ("CELERY_TASK_TIME_LIMIT", "inf", "CELERY_TASK_TIME_LIMIT must be a number of at least 1"),
    ("CELERY_TASK_EXPIRES", "0", "CELERY_TASK_EXPIRES must be a number of at least 1"),
    ("CELERY_QUEUE_MAX_LENGTH", "lots", "CELERY_QUEUE_MAX_LENGTH must be a whole number of at least 1"),
])
def test_malformed_variable_stops_start_up_naming_it(variable, value, message):
    result = run_manage("check", env=project_env(**{variable: value}))
    assert result.returncode == 1
    assert result.stderr.startswith(f"Configuration error: {message}"), result.stderr
    assert "Traceback" not in result.stderr
    assert "hunter2" not in result.stdout + result.stderr


def test_every_malformed_variable_is_reported_at_once():
    result = run_manage("check", env=project_env(DEBUG="maybe", LOG_LEVEL="LOUD", SECRET_KEY="change-me",
                                                 DATABASE_URL="postgres://app:hunter2@db:port/app"))
    assert result.returncode == 1
    assert result.stderr.startswith("Configuration error: 4 settings are invalid:"), result.stderr
    for message in ("DEBUG must be true or false", "LOG_LEVEL must be one of", "DATABASE_URL is not a valid",
                    "SECRET_KEY is a placeholder value"):
        assert f"\n  {message}" in result.stderr
    assert "Traceback" not in result.stderr and "hunter2" not in result.stderr


def test_debug_true_runs_without_secret_key():
    result = run_manage("check", env=project_env(SECRET_KEY=None, DEBUG="true"))
    assert result.returncode == 0, result.stderr


def test_env_file_is_read_and_the_environment_wins(tmp_path):
    env_file = tmp_path / "local.env"
    env_file.write_text("LOG_LEVEL=DEBUG\nLOG_FORMAT=json\nCACHE_URL=dummycache://\n")
    result = run_manage(*PRINT_SETTINGS, env=project_env(CHIMERA_ENV_FILE=str(env_file), LOG_FORMAT="text"))
    assert result.returncode == 0, result.stderr
    assert " django.core.cache.backends.dummy.DummyCache DEBUG text " in result.stdout


def variables_in_template() -> set[str]:
    text = (ROOT / ".env.template").read_text()
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_env_template_lists_every_variable_read():
    from chimera import settings as project_settings
    from healthdash import conf as healthdash_conf
    from observability import conf as observability_conf

    gunicorn_conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    # The apps read their own variables from the environment (observability.parsing).
    declared = {variable.name for variable in (*observability_conf.VARIABLES, *healthdash_conf.VARIABLES)
                if variable.name and variable.environment}
    read = project_settings.env.names_read | gunicorn_conf["env"].names_read | declared
    template = variables_in_template()
    assert read - template == set(), "read by the project but missing from .env.template"
    assert template - read == set(), "in .env.template but never read"


def test_env_template_has_a_comment_above_every_variable():
    lines = (ROOT / ".env.template").read_text().splitlines()
    for number, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            assert lines[number - 1].startswith("# "), f"no comment above {line!r}"
