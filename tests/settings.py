"""Settings for the test suite: the project's own, with a test key and no .env file.

The environment decides everything else, as it would in production; tests that need other
values use ``settings``/``override_settings`` or start a subprocess with their own environment.
"""

import atexit
import os
import shutil
import tempfile

os.environ["CHIMERA_ENV_FILE"] = ""  # a developer's .env must not change what tests see
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

from chimera.settings import *  # noqa: E402, F403

# Tasks run eagerly here unless a test's environment names a broker: their results go to a
# directory of this process's own, not the project's data/.
if CELERY_TASK_ALWAYS_EAGER and not os.environ.get("CELERY_RESULT_BACKEND"):  # noqa: F405
    _task_results = tempfile.mkdtemp(prefix="chimera-task-results-")
    atexit.register(shutil.rmtree, _task_results, True)
    CELERY_RESULT_BACKEND = f"file://{_task_results}"
