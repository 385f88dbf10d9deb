"""The Celery app of chimera, laid out as in Celery's Django guide: ``celery -A chimera worker``.

Configured from Django's settings with the ``CELERY_`` namespace (chimera/settings.py reads
``CELERY_BROKER_URL``, ``CELERY_RESULT_BACKEND`` and ``CELERY_TASK_TIME_LIMIT``); tasks are
found in the installed apps' ``tasks`` modules. ``observability.tasks.instrument()`` carries the
request ID and trace of whoever publishes a task into its run. Without a broker, tasks run
eagerly in the web process, and a worker refuses to start. A ``file://`` result store is
``chimera.task_results.ResultFiles``, and no log line carries a task's result.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

from celery import Celery, signals

from observability.tasks import instrument

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chimera.settings")

app = Celery("chimera")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.loader.override_backends = {"file": "chimera.task_results:ResultFiles"}
app.autodiscover_tasks()
instrument(app)

NO_BROKER = (
    "Configuration error: CELERY_BROKER_URL is not set, so tasks run eagerly in the web process and a "
    "worker has no queue to read. Set it, for example CELERY_BROKER_URL=redis://127.0.0.1:6379/0."
)


@signals.worker_init.connect(weak=False, dispatch_uid="chimera.celery.refuse_without_broker")
def refuse_without_broker(**kwargs) -> None:
    """A worker without a broker would try Celery's default (AMQP on localhost) forever: stop it instead."""
    from django.conf import settings

    if settings.CELERY_TASK_ALWAYS_EAGER:
        sys.exit(NO_BROKER)


RESULT_LEFT_OUT = "<result not logged>"


class ResultLeftOut(logging.Filter):
    """Celery's "Task ... succeeded in ...: <result>" line without the result: a prompt or a provider's whole answer.

    Celery logs it at INFO in the worker and, for a task run eagerly, in the web process; the
    line's arguments (and the ``data`` it adds for handlers) are a mapping with ``return_value``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, Mapping) and "return_value" in record.args:
            record.args = {**record.args, "return_value": RESULT_LEFT_OUT}
        data = getattr(record, "data", None)
        if isinstance(data, Mapping) and "return_value" in data:
            record.data = {**data, "return_value": RESULT_LEFT_OUT}
        return True


# On the logger rather than a handler, so it holds whatever handlers a project's LOGGING sets up.
logging.getLogger("celery.app.trace").addFilter(ResultLeftOut())
