"""gunicorn settings for a project using the apps, without a file to copy:

    gunicorn -c python:observability.gunicorn_conf mysite.wsgi

The master checks every installed app's configuration before it forks (and again at each
reload), then makes the folder where the workers share their metrics; each worker gets its own
exporters and flushes them as it stops; SIGTERM drains first (HEALTH_DRAIN_SECONDS) and a reload
keeps the old workers serving until the new ones have loaded the application; a worker that
ended leaves the live gauges; access lines carry the request and trace IDs, redacted. Django's
settings are DJANGO_SETTINGS_MODULE, else those beside the application (``mysite.wsgi`` ->
``mysite.settings``). Flags (``-w 4``,
``-b 0.0.0.0:8000``) and ``GUNICORN_CMD_ARGS`` override these values; a project's own
``gunicorn.conf.py`` may start with ``from observability.gunicorn_conf import *`` and add its own.
"""

import os as _os

from observability import gunicorn as _hooks
from observability import process_info as _process_info

__all__ = ["accesslog", "logger_class", "access_log_format", "control_socket_disable", "when_ready",
           "post_worker_init", "post_fork", "worker_exit", "child_exit", "on_reload"]

# Imported by anything but gunicorn (a test, a documentation check), the module only names its settings.
if _process_info.runs_gunicorn(_os.getpid()):
    _hooks.refuse_invalid_configuration(_hooks.settings_module())

accesslog = "-"
logger_class = "observability.access_log.AccessLogger"
access_log_format = _hooks.ACCESS_LOG_FORMAT
# No control socket: its default path ($HOME/.gunicorn/gunicorn.ctl) is shared by every gunicorn
# of the user, and it can resize or stop the server. Operators who want it pass --control-socket.
control_socket_disable = True

when_ready = _hooks.when_ready
post_worker_init = _hooks.post_worker_init
post_fork = _hooks.post_fork
worker_exit = _hooks.worker_exit
child_exit = _hooks.child_exit
on_reload = _hooks.on_reload
