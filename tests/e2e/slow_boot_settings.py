"""The e2e settings, loaded slowly: every process that imports them (a gunicorn worker booting, the
master's configuration check) takes BOOT_SECONDS longer, as a large application does."""

import os
import time

from tests.e2e.settings import *  # noqa: F403

time.sleep(float(os.environ.get("BOOT_SECONDS", "0")))
