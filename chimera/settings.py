"""Settings of the chimera project.

Every operator setting comes from the environment, or from ``.env`` when it exists
(``CHIMERA_ENV_FILE`` names another file; empty turns it off). ``.env.template`` lists each
variable with its default. A malformed value stops start-up with a message naming it.
"""

from pathlib import Path

from chimera.env import LOG_LEVELS, Env, secret_key
from chimera.local_files import private_sqlite_file, read_env_file
from observability.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / "data"

env = Env(collect=True)  # every malformed variable is reported at once, at the end of this file
read_env_file(env, BASE_DIR)

# --- Core -------------------------------------------------------------------------------------

DEBUG = env.strict_bool("DEBUG", default=False)
SECRET_KEY = secret_key(env, debug=DEBUG)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# HTTPS: Django's own settings, off by default (docs/deployment.md has a production example).
SECURE_SSL_REDIRECT = env.strict_bool("SECURE_SSL_REDIRECT", default=False)
# Load balancers probe over plain HTTP: the probes are never redirected.
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^health/live$", r"^health/startup$", r"^health/ready$"]
SECURE_HSTS_SECONDS = env.strict_int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.strict_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.strict_bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.strict_bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.strict_bool("CSRF_COOKIE_SECURE", default=False)
SECURE_PROXY_SSL_HEADER = env.proxy_ssl_header("SECURE_PROXY_SSL_HEADER")
# Keys accepted in X-API-Key (or Authorization: Bearer): by the API, for the health dashboard's
# details and for the metrics; forwarded to observability below.
CHIMERA_API_KEYS = env.list("CHIMERA_API_KEYS", default=[])

INSTALLED_APPS = [
    # django.contrib.admin, with the health page (/admin/health/) on its default site.
    "healthdash.admin_site.HealthAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "observability",
    "healthdash",
    "chimera",
]

# The whole request pipeline. Before it, two request_started receivers edit the WSGI environ, as no middleware
# can: healthdash gives /health probes by instance IP an allowed Host (before anything validates it, OpenTelemetry's
# own middleware included, which its instrumentor puts ahead of this list) and chimera reads chunked request
# bodies (before Django builds the request and sizes its body).
MIDDLEWARE = [
    # Observability first, in this order (a system check says when not); each one leaves the chain while its
    # feature is off. The client's address behind TRUSTED_PROXIES, before anything records, logs or throttles by it:
    "observability.proxies.ClientAddressMiddleware",
    "observability.tracing.middleware.TracingMiddleware",  # the server span
    "observability.middleware.RequestIDMiddleware",  # the request ID, on the span, the response and the logs
    "observability.metrics.middleware.MetricsMiddleware",  # duration, route, status; the span as exemplar
    "observability.journal.recording.JournalMiddleware",  # failed and slow requests kept with their log lines
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (django-csp, CONTENT_SECURITY_POLICY below) on the admin's pages.
    "chimera.admin_csp.AdminContentSecurityPolicy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "chimera.urls"
WSGI_APPLICATION = "chimera.wsgi.application"
ASGI_APPLICATION = "chimera.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The admin (and its health page) runs no inline script or style and loads nothing from elsewhere.
CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'self'"]}}

# --- Data -------------------------------------------------------------------------------------

DATABASES = {"default": env.database("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}")}
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if DATABASES["default"]["ENGINE"].endswith("sqlite3") and DATABASES["default"]["NAME"] != ":memory:":
    # The embedded default lives in data/, which may not exist on a fresh clone. The file holds
    # password hashes and sessions: 0600, and data/ 0700.
    _sqlite = Path(DATABASES["default"]["NAME"])
    private_sqlite_file(_sqlite, folder_too=_sqlite.parent == DATA_DIR)

# --- Authentication, internationalisation -----------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files: served by WhiteNoise under gunicorn, collected by bin/serve ------------------

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(DATA_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# A file missing from the manifest (static files not collected yet, as in tests) is served
# under its plain name instead of failing the page.
WHITENOISE_MANIFEST_STRICT = False

# --- Logging ----------------------------------------------------------------------------------

LOG_LEVEL = env.choice("LOG_LEVEL", default="INFO", choices=LOG_LEVELS)
LOG_FORMAT = env.choice("LOG_FORMAT", default="text", choices=("text", "json"))

LOGGING = logging_config(LOG_LEVEL, LOG_FORMAT)
# Error reports (the DEBUG page, the admins' e-mail) mask the broker's, cache's, exporters' and
# providers' credentials too, which Django's filter, going by setting names, would show; the reporter
# redacts the exception's message, its causes and the request's query, which no filter is asked about.
DEFAULT_EXCEPTION_REPORTER_FILTER = "observability.error_reports.SecretsExceptionReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "observability.error_reports.SecretsExceptionReporter"

# --- REST framework ---------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["chimera.api.parsers.JSONParser"],  # a 400 for JSON nested too deeply
    "EXCEPTION_HANDLER": "observability.errors.exception_handler",
    # Throttles key anonymous callers by REMOTE_ADDR, which ClientAddressMiddleware sets from
    # X-Forwarded-For for TRUSTED_PROXIES only; DRF's default would believe any caller's header.
    "NUM_PROXIES": 0,
}

# --- The apps: each reads its own variables from the environment (REQUEST_ID_*, TRACING_*, OTEL_*,
# METRICS_*, SERVER_TIMING, TRUSTED_PROXIES, API_KEY_FAILURE_RATE, REQUEST_JOURNAL_*, TRACE_URL_TEMPLATE,
# LOGS_URL_TEMPLATE, HEALTH_*), holds the defaults and
# validates them (errors name the variable); a key set in these dicts would win over the environment.

OBSERVABILITY = {"API_KEYS": CHIMERA_API_KEYS}
# The project's own defaults sit after the environment: TRACING_SERVICE_NAME or OTEL_SERVICE_NAME
# still change it. Without it the name would be the settings module's package, chimera.
OBSERVABILITY_DEFAULTS = {"TRACING_SERVICE_NAME": "chimera-backend"}
HEALTHDASH: dict[str, object] = {}

# --- Service layer (chimera) ------------------------------------------------------------------

# Providers, throttling and the prompt pipeline; chimera/conf.py holds the defaults and validates.
CHIMERA_SERVICE = env.forward(
    "CHIMERA_DEFAULT_PROVIDER", "CHIMERA_THROTTLE_RATE", "CHIMERA_PROMPT_TEMPLATE", "CHIMERA_PROMPT_MAX_CHARS",
    *(f"CHIMERA_PROVIDER_{provider}_{part}"
      for provider in ("GOOGLE", "OPENAI") for part in ("URL", "API_KEY", "MODEL", "TIMEOUT")),
)

# The OpenAPI schema at /api/schema/ (drf-spectacular) describes every DRF view.
INSTALLED_APPS += ["drf_spectacular"]
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "drf_spectacular.openapi.AutoSchema"
SPECTACULAR_SETTINGS = {
    "TITLE": "chimera",
    "DESCRIPTION": "Text generation behind request IDs, tracing and health checks.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "chimera.api.schema.prompt_constraints",
    ],
}

# --- Background tasks (Celery, chimera/celery.py) ---------------------------------------------
# Celery reads every CELERY_* setting (Celery's Django layout). Without a broker, tasks run
# eagerly in the web process and their results are kept in files under data/, so nothing else
# has to run; docs/tasks.md says why each fixed value below is what it is.

CELERY_BROKER_URL = env.url("CELERY_BROKER_URL", None, schemes=Env.BROKER_SCHEMES, example="redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = env.url("CELERY_RESULT_BACKEND", CELERY_BROKER_URL, schemes=Env.RESULT_SCHEMES,
                                example="redis://127.0.0.1:6379/1") or (DATA_DIR / "task-results").as_uri()
CELERY_TASK_TIME_LIMIT = env.strict_float("CELERY_TASK_TIME_LIMIT", default=60.0, minimum=1.0)
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_STORE_EAGER_RESULT = True
if CELERY_TASK_ALWAYS_EAGER:
    CELERY_BROKER_URL = "memory://"  # publishing eagerly still builds a producer, never connected
if CELERY_RESULT_BACKEND.startswith("file://"):
    Path(CELERY_RESULT_BACKEND.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
# The task gets a moment to fail cleanly (its spans end, its error is stored) before the hard kill.
CELERY_TASK_SOFT_TIME_LIMIT = max(CELERY_TASK_TIME_LIMIT - 1.0, CELERY_TASK_TIME_LIMIT * 0.9)
CELERY_TASK_TRACK_STARTED = True
# Acknowledged when done: a worker killed mid-task leaves the message to be delivered again...
CELERY_TASK_ACKS_LATE = True
# ...unless only its pool process died (out of memory, hard time limit): then the task fails,
# so a task that kills its process cannot loop forever.
CELERY_TASK_REJECT_ON_WORKER_LOST = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis hands an unacknowledged message out again after this long: longer than a task may wait
# in a worker and run, so a running task is never delivered twice.
# Every call to the broker and the result store waits at most a second (Celery's default is
# 120 s, a gunicorn thread held that long by a frozen Redis), and is not retried on a timeout.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(2 * CELERY_TASK_TIME_LIMIT + 30),
                                   "socket_timeout": 1.0, "socket_connect_timeout": 1.0}
CELERY_REDIS_SOCKET_TIMEOUT = CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1.0
CELERY_REDIS_RETRY_ON_TIMEOUT = False
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 1, "interval_start": 0.2}}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0  # Celery's default: 4 s to connect
# A request that publishes while the broker is down gets its error within about a second: a
# connection reset is retried at once, a timeout is not (chimera.api.tasks.give_up_on_timeout).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# A task waiting longer than this is dropped by the worker that finally reads it (expired), and
# no more tasks are published while this many wait: a queue bounded in time and in length.
CELERY_TASK_EXPIRES = env.strict_float("CELERY_TASK_EXPIRES", default=600.0, minimum=1.0)
CELERY_QUEUE_MAX_LENGTH = env.strict_int("CELERY_QUEUE_MAX_LENGTH", default=1000, minimum=1)
CELERY_RESULT_EXPIRES = 86400  # Celery's default day, written down: the file store without a broker prunes by it

env.refuse_collected()
