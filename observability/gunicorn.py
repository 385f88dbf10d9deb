"""gunicorn server hooks; ``observability.gunicorn_conf`` (or a project's ``gunicorn.conf.py``) calls them.

- ``refuse_invalid_configuration()`` (as the configuration file loads, in the master): stop
  gunicorn with one line per configuration error of every installed app, before ``--preload``
  loads the application or any worker boots (either would fail in ``ready()`` with a
  traceback, the workers in a loop). With ``/metrics`` served, it then prepares the folder where
  the workers share their metric values (``observability.metrics.folder``), before any fork, or
  refuses it the same way; under ``--check-config`` it only checks it. A reload (SIGHUP) runs
  this again in the same master, which keeps its folder and counts.
- ``when_ready`` (master): SIGTERM drains before gunicorn's graceful stop (``observability.lifecycle``).
- ``post_worker_init`` (worker, application loaded): SIGTERM drains this worker, or, when a reload
  replaces it, waits until its replacements have loaded the application; the objects loaded are
  frozen out of full garbage collections (``processes.freeze_loaded_objects``), whose pauses
  would stop every thread of the worker.
- ``post_fork`` (worker): under ``--preload`` the app, and tracing, were set up in the master;
  the worker builds its own exporter. Without preload, ``ready()`` runs in the worker anyway.
- ``worker_exit`` (worker): flush buffered spans and the last metrics interval within a bound
  shorter than gunicorn's graceful timeout, whether or not the collector answers.
- ``child_exit`` (master): a worker that ended, even killed outright, stops counting among the
  live workers' values (``http_server_active_requests``).
- ``on_reload`` (master): a configuration imported as a module (``python:``) is not run again by
  a reload, so the check runs here instead; the workers it starts are the old ones' replacements.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

from observability import lifecycle, processes

# Time left to the worker for exiting after the flush, out of gunicorn's graceful timeout.
EXIT_MARGIN_SECONDS = 1.0
# observability.access_log's atoms: the response's request and trace IDs, the request's database time and queries.
ACCESS_LOG_FORMAT = ('%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%(request_id)s trace_id=%(trace_id)s "%(a)s"'
                     " db_ms=%(db_ms)s db_queries=%(db_queries)s")


def refuse_invalid_configuration(settings_module: str | None = None) -> None:
    """Exit with ``Configuration error: ...`` when any installed app's configuration has errors.

    Django is set up in a forked child that only reports, so the master itself never imports
    the application (code reloading and the choice of ``--preload`` stay the operator's). The
    child also says where the workers share metrics, so that the master makes that folder.
    """
    if settings_module:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running any exit handler of the master's
        os.close(read)
        try:
            os.write(write, json.dumps(_configuration_report()).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        answer = pipe.read().decode()
    os.waitpid(pid, 0)
    report, metrics_folder, drain_seconds = (json.loads(answer) if answer
                                             else ("the configuration could not be checked", None, 0))
    if report:
        sys.exit(f"Configuration error: {report}")
    lifecycle.set_drain_seconds(drain_seconds)
    if metrics_folder is not None:
        from observability.metrics import folder

        try:
            if only_checking():  # nothing made, locked or deleted: the folder is only checked
                folder.check(metrics_folder or None)
            else:
                folder.prepare(metrics_folder or None)
        except folder.FolderRefused as refused:
            sys.exit(f"Configuration error: {refused}")


def only_checking() -> bool:
    """Whether gunicorn runs only to check or print its configuration (--check-config, --print-config)."""
    return any(getattr(args, "check_config", False) or getattr(args, "print_config", False)
               for args in _command_lines())


def settings_module() -> str | None:
    """DJANGO_SETTINGS_MODULE, else the settings beside the application gunicorn was given on its command line
    (``mysite.wsgi`` -> ``mysite.settings``, as ``startproject`` lays a project out); None when there is neither."""
    if os.environ.get("DJANGO_SETTINGS_MODULE"):
        return os.environ["DJANGO_SETTINGS_MODULE"]
    applications = [application for args in _command_lines() for application in getattr(args, "args", None) or []]
    package = applications[0].split(":")[0].rpartition(".")[0] if applications else ""
    return f"{package}.settings" if package else None


def _command_lines() -> list:
    """gunicorn's arguments, from its command line and GUNICORN_CMD_ARGS ([] for another program's)."""
    from gunicorn.config import Config

    config = Config()
    parser = config.parser()
    try:
        return [parser.parse_known_args(args)[0] for args in (sys.argv[1:], config.get_cmd_args_from_env())]
    except SystemExit:  # not gunicorn's command line (a test, another launcher)
        return []


def _configuration_report() -> tuple[str, str | None, float]:
    """In the child: the refusal message ("" when the configuration holds), the metrics folder
    wanted ("" for a fresh one, None for none) and the seconds to drain on SIGTERM."""
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        from observability import startup

        with startup.reporting():
            django.setup()
        errors = startup.configuration_errors()
        if errors:
            return startup.refusal(errors), None, 0
        from observability.metrics.configuration import get_metrics_config

        config = get_metrics_config()
        return "", (config.multiproc_dir or "") if config.serves_prometheus else None, lifecycle.drain_seconds()
    except ImproperlyConfigured as exc:  # the settings module itself refused a value
        return str(exc), None, 0
    except Exception as exc:
        traceback.print_exc()
        return f"the application could not be loaded: {type(exc).__name__}: {exc}", None, 0


def when_ready(server) -> None:
    """SIGTERM to the master drains the workers before they stop."""
    lifecycle.watch_master(server)


def post_worker_init(worker) -> None:
    """The worker has loaded the application: SIGTERM drains it, or waits for its replacements; apps start
    what runs for as long as it serves; what it loaded is left out of later full garbage collections."""
    lifecycle.watch_worker(worker)
    processes.worker_started.send(sender=type(worker))
    processes.freeze_loaded_objects()


def post_fork(server, worker) -> None:
    """Give a worker forked from a preloading master exporters of its own."""
    processes.after_fork()


def worker_exit(server, worker) -> None:
    """Tell the apps the worker stops, then flush its telemetry, bounded by TRACING_SHUTDOWN_TIMEOUT_SECONDS and
    the graceful timeout."""
    from django.apps import apps

    if not apps.ready:
        return
    from observability.tracing.configuration import get_tracing_config

    processes.worker_stopping.send(sender=type(worker))
    graceful = float(getattr(server.cfg, "graceful_timeout", 30))
    processes.before_exit(min(get_tracing_config().shutdown_timeout, max(graceful - EXIT_MARGIN_SECONDS, 0.5)))


def child_exit(server, worker) -> None:
    """A worker ended, however it ended: it no longer counts among the live workers."""
    processes.process_gone(worker.pid)


def on_reload(server) -> None:
    """A reload (SIGHUP) checks every app's configuration again before the new workers boot, which
    replace the old ones only once they have loaded the application."""
    refuse_invalid_configuration()
    lifecycle.reloading(server)
