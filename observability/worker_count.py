"""WEB_CONCURRENCY checked for gunicorn before gunicorn reads it, from a ``.pth`` file.

gunicorn casts ``WEB_CONCURRENCY`` with ``int()`` in the body of its ``Workers`` setting, so the
``gunicorn`` command's first import (``gunicorn.config``) stops on ``banana``, ``inf`` or a
blank value with a traceback that never names the variable, before any configuration file, hook
or ``GUNICORN_CMD_ARGS`` is read. Nothing of gunicorn's runs earlier; Python runs the ``import``
lines of the ``.pth`` files in site-packages as it starts, before the command. The wheel installs
``django_chimera_observability.pth`` (``PTH_FILE``), and ``python -m observability.worker_count
install`` writes the same check into a virtualenv that runs the apps from a checkout (bin/serve
and bin/test do). Its line costs a string test in every process of the environment, and imports
this module only when the variable is set to something other than digits.

In a gunicorn process, a blank value means gunicorn's default, as it does for the apps' other
variables; any other value ``int()`` refuses stops the process with one line naming the variable.
Only stdlib: this runs before the environment's packages are importable in full.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping, Sequence
from pathlib import Path

NAME = "WEB_CONCURRENCY"
PTH_FILE = "django_chimera_observability.pth"
# The line of the wheel's .pth: the test is cheap, the import happens only for a value to look at.
PTH_LINE = (f"import os; os.environ.get({NAME!r}, '1').strip().isdecimal() "
            "or __import__('observability.worker_count').worker_count.check()\n")
# Options of the interpreter that take a value as the next argument (python -X dev -m gunicorn).
OPTIONS_WITH_VALUES = frozenset({"-X", "-W", "--check-hash-based-pycs"})


def runs_gunicorn(argv: Sequence[str]) -> bool:
    """Whether the interpreter's command line (``sys.orig_argv``) runs gunicorn's command or module."""
    arguments = list(argv[1:])
    while arguments:
        argument = arguments.pop(0)
        if argument in OPTIONS_WITH_VALUES:
            arguments[:1] = []
        elif argument == "-m":
            return bool(arguments) and arguments[0] in ("gunicorn", "gunicorn.app.wsgiapp")
        elif argument.startswith("-m"):
            return argument[2:] in ("gunicorn", "gunicorn.app.wsgiapp")
        elif argument == "-c" or argument == "-":
            return False
        elif not argument.startswith("-"):
            return os.path.basename(argument) == "gunicorn"
    return False


def problem(environ: MutableMapping[str, str], argv: Sequence[str]) -> str | None:
    """The line that stops gunicorn over `environ`'s WEB_CONCURRENCY; a blank value is removed from `environ`."""
    value = environ.get(NAME)
    if value is None or not runs_gunicorn(argv):
        return None
    if not value.strip():
        del environ[NAME]  # the default, as bin/serve and the apps' settings read a blank value
        return None
    try:
        int(value)
    except ValueError:
        return f"Configuration error: {NAME} must be a whole number (gunicorn's worker processes), got {value!r}."
    return None


def check() -> None:
    """Stop this process (gunicorn, about to cast WEB_CONCURRENCY) with one line if the value cannot be cast."""
    line = problem(os.environ, getattr(sys, "orig_argv", sys.argv))
    if line is not None:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
        # Python is still starting: an exception or sys.exit() here would end in a fatal error
        # about the site module, with a traceback after all.
        os._exit(1)


def checkout_line(module: Path) -> str:
    """A .pth line that runs `module` (this file, in a checkout the environment does not install)."""
    path = str(module.resolve())
    return (f"import os; os.environ.get({NAME!r}, '1').strip().isdecimal() or not os.path.exists({path!r}) "
            f"or __import__('runpy').run_path({path!r}, run_name='__pth__')\n")


def install(site_packages: Path) -> Path:
    """Write the check into `site_packages` as a .pth file running this checkout's module; its path."""
    target = site_packages / PTH_FILE
    target.write_text(checkout_line(Path(__file__)))
    return target


if __name__ == "__pth__":  # run by checkout_line()'s .pth
    check()
elif __name__ == "__main__":
    if sys.argv[1:] != ["install"]:
        sys.exit("usage: python -m observability.worker_count install")
    import sysconfig

    print(f"Installed {install(Path(sysconfig.get_paths()['purelib']))}")
