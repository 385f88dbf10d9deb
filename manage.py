#!/usr/bin/env python
"""Django's command-line utility for the chimera project."""

import os
import sys


def main() -> None:
    """Run a management command; a configuration error is one clear line, not a traceback."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chimera.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"Configuration error: {exc}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
