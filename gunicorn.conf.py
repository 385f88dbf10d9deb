"""gunicorn settings for chimera; command-line flags override every value here.

gunicorn loads this file from the working directory by default, so ``gunicorn`` alone runs
the service. Values come from the environment or ``.env``, like Django's settings.
"""

import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from django.core.exceptions import ImproperlyConfigured  # noqa: E402

from chimera.env import Env  # noqa: E402
from chimera.local_files import read_env_file  # noqa: E402

# Ceilings that keep a typo (WEB_CONCURRENCY=4000) from forking the machine to death: each worker is
# a whole Django process, and four per CPU is already past what gunicorn advises.
MAX_WORKERS = max(8, 4 * len(os.sched_getaffinity(0)))
MAX_THREADS = 1024

env = Env(collect=True)  # every malformed variable named at once
try:
    read_env_file(env, BASE_DIR)
    bind = [env.str("GUNICORN_BIND", default="127.0.0.1:8000")]
    workers = env.strict_int("WEB_CONCURRENCY", default=2, minimum=1, maximum=MAX_WORKERS)
    # Threads per worker: each serves one connection at a time, so slow or idle clients hold
    # threads, not whole workers (docs/deployment.md, "Workers and slow clients").
    threads = env.strict_int("GUNICORN_THREADS", default=64, minimum=1, maximum=MAX_THREADS)
    # A request running longer than this (ms) is taken to wait on I/O and the next one runs beside
    # it; until then one request per worker runs Python (observability/workers.py). 0: plain gthread.
    admission_ms = env.strict_int("GUNICORN_ADMISSION_MS", default=5, minimum=0, maximum=60_000)
    timeout = env.strict_int("GUNICORN_TIMEOUT", default=30, minimum=1)
    graceful_timeout = env.strict_int("GUNICORN_GRACEFUL_TIMEOUT", default=30, minimum=1)
    log_format = env.choice("LOG_FORMAT", default="text", choices=("text", "json"))
    env.refuse_collected()
except ImproperlyConfigured as exc:
    sys.exit(f"Configuration error: {exc}")

if __name__ == "__main__":
    # Run as a script (bin/serve does, before gunicorn): only the checks above, every malformed
    # variable at once. gunicorn casts WEB_CONCURRENCY with int() as it imports, before it loads this
    # file; the .pth file of observability.worker_count names a value it cannot cast before that.
    sys.exit()

# The apps' settings and hooks: every installed app's configuration errors stop the master here,
# one line each, before --preload would load the app or any worker would boot (and again at each
# reload); then the folder where the workers share their metrics is made. Workers get exporters of
# their own and flush them within graceful_timeout; a worker that ended leaves the live gauges.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chimera.settings")
from observability.gunicorn_conf import *  # noqa: E402, F403
from observability.workers import admitting_worker  # noqa: E402

wsgi_app = "chimera.wsgi:application"
# Threaded workers: a connection that sends nothing or trickles its headers holds one thread,
# and the worker's main loop (which answers gunicorn's heartbeat) is never blocked by a request.
worker_class = admitting_worker(admission_ms)
# A worker accepts connections past its threads: the workers share one listening socket and
# whichever wakes first accepts, so a burst of trickling connections can land on one worker alone.
# The bound straight at gunicorn is therefore GUNICORN_THREADS such connections, not the product
# (docs/deployment.md, "Measured bounds"). worker_connections = threads would spread them, but it
# leaves no connection alive (every answer closes its connection), so it is not set.
# gunicorn believes no peer's X-Forwarded-Proto/-Ssl (its default trusts 127.0.0.1): the scheme
# is Django's SECURE_PROXY_SSL_HEADER's to decide, and the client's address TRUSTED_PROXIES'.
forwarded_allow_ips = ""
secure_scheme_headers = {}
errorlog = "-"
# Access lines carry the response's request ID (and trace ID); JSON lines under LOG_FORMAT=json.
logger_class = f"observability.access_log.{'JsonAccessLogger' if log_format == 'json' else 'AccessLogger'}"
# Heartbeat files in memory: a slow or full disk must not get healthy workers killed.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None
