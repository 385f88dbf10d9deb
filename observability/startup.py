"""Start-up refusal: one rule for every installed app.

Servers never run Django's system checks, so ``ObservabilityConfig.ready()`` stops any process
whose configuration has errors, listing every error of every installed app, one line each:
a gunicorn worker, a management command, a task worker. gunicorn's master refuses the same
list before it forks (``observability.gunicorn``).

An app takes part by giving its AppConfig a ``configuration_problems()`` method that returns
``observability.parsing.Problem`` objects from its settings alone: errors stop start-up,
warnings show only in ``manage.py check``.

Commands that report configuration start anyway and say themselves what is wrong: Django's
``check``, and every command whose class sets ``reports_configuration = True``
(``check_tracing``, ``health``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import PurePath

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from observability.parsing import Problem

__all__ = [
    "command_name", "configuration_errors", "configuration_problems", "refusal", "refuse_invalid_configuration",
    "reporting", "reports_configuration",
]

REPORTING_COMMANDS = frozenset({"check"})  # Django's own; ours declare reports_configuration
# How manage.py, django-admin and ``python -m django`` appear as sys.argv[0].
COMMAND_LINE_PROGRAMS = frozenset({"manage.py", "django-admin", "django-admin.py", "django/__main__.py"})

_reporting = False


def configuration_problems() -> list[Problem]:
    """Every installed app's configuration problems, in INSTALLED_APPS order."""
    problems: list[Problem] = []
    for config in apps.get_app_configs():
        collect = getattr(config, "configuration_problems", None)
        if callable(collect):
            problems += collect()
    return problems


def configuration_errors() -> list[Problem]:
    """The problems that stop start-up."""
    return [problem for problem in configuration_problems() if problem.is_error]


def refusal(errors: Sequence[Problem]) -> str:
    """The message of a refused start-up: one line per error."""
    return "Invalid configuration:\n" + "\n".join(f"  {error.id} {error.message}" for error in errors)


def refuse_invalid_configuration() -> None:
    """Raise ImproperlyConfigured listing every configuration error, unless this process reports them."""
    if reports_configuration():
        return
    errors = configuration_errors()
    if errors:
        raise ImproperlyConfigured(refusal(errors))


def command_name(argv: Sequence[str]) -> str | None:
    """The management command `argv` runs (``manage.py migrate`` -> ``migrate``), or None for any other program."""
    program = PurePath(argv[0]) if argv else PurePath()
    if len(argv) < 2 or not {program.name, "/".join(program.parts[-2:])} & COMMAND_LINE_PROGRAMS:
        return None
    return argv[1]


def reports_configuration(argv: Sequence[str] | None = None) -> bool:
    """Whether this process runs a command that reports configuration instead of refusing it."""
    if _reporting:
        return True
    name = command_name(sys.argv if argv is None else argv)
    if name is None:
        return False
    return name in REPORTING_COMMANDS or bool(getattr(_command_class(name), "reports_configuration", False))


def _command_class(name: str) -> type | None:
    from django.core.management import get_commands, load_command_class

    app_name = get_commands().get(name)
    if app_name is None:
        return None
    if not isinstance(app_name, str):  # a command object registered by a test runner
        return type(app_name)
    return type(load_command_class(app_name, name))


@contextmanager
def reporting() -> Iterator[None]:
    """Let start-up go on whatever the configuration, to report it (gunicorn's master does)."""
    global _reporting
    previous, _reporting = _reporting, True
    try:
        yield
    finally:
        _reporting = previous
