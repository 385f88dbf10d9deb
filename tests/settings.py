"""Settings for the test suite: the project's own, with a test key and no .env file.

The environment decides everything else, as it would in production; tests that need other
values use ``settings``/``override_settings`` or start a subprocess with their own environment.
"""

import os

os.environ["CHIMERA_ENV_FILE"] = ""  # a developer's .env must not change what tests see
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

from chimera.settings import *  # noqa: E402, F403
