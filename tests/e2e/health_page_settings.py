"""Settings for the gunicorn behind the health page's browser tests.

The project's settings, plus two services the test switches up and down through files in
``HEALTH_SWITCH_DIR`` (``search_index``, not critical; ``payments``, critical). The strict
Content-Security-Policy is the project's own (django-csp on the admin's pages).
"""

import os

from tests.settings import *  # noqa: F403
from tests.settings import HEALTHDASH

HEALTH_SWITCH_DIR = os.environ["HEALTH_SWITCH_DIR"]
HEALTHDASH = {
    **HEALTHDASH,
    "SERVICES": {
        "search_index": {"check": "tests.support.switch.search_index", "critical": False, "timeout": 1.0,
                         "description": "Search index, switched by the test"},
        "payments": {"check": "tests.support.switch.payments", "critical": True, "timeout": 1.0,
                     "description": "Payments gateway, switched by the test"},
    },
}
