"""observability.logging: the LOGGING dict any project uses, as configured by Django's dictConfig."""

from __future__ import annotations

import json
import logging
import logging.config

import pytest
from django.conf import settings

from observability.context import request_id_context
from observability.logging import logging_config

SECRET = "logging-test-password-7d2e"


@pytest.fixture
def configured():
    """Configure logging with a dict of the test's, then put the project's LOGGING back."""
    def configure(config: dict) -> None:
        logging.config.dictConfig(config)

    yield configure
    logging.config.dictConfig(settings.LOGGING)


def test_the_project_uses_the_librarys_dict():
    assert logging_config(settings.LOG_LEVEL, settings.LOG_FORMAT) == settings.LOGGING


def test_json_lines_with_the_request_id_and_secrets_masked(configured, capsys):
    configured(logging_config("INFO", "json"))
    with request_id_context("json-recipe-1"):
        logging.getLogger("mysite.views").info("connecting to postgres://app:%s@db/app", SECRET)
    logging.getLogger("mysite.views").debug("below the level")
    [line] = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert (line["level"], line["logger"], line["request_id"]) == ("INFO", "mysite.views", "json-recipe-1")
    assert SECRET not in line["message"] and "postgres://app:***@db/app" in line["message"]


def test_an_unknown_format_is_named():
    with pytest.raises(ValueError, match="log_format must be one of text, json, got 'xml'"):
        logging_config("INFO", "xml")
