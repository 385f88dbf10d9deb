"""Settings of the chimera project.

Every operator setting comes from the environment, or from ``.env`` when it exists
(``CHIMERA_ENV_FILE`` names another file; empty turns it off). ``.env.template`` lists each
variable with its default. A malformed value stops start-up with a message naming it.
"""

from pathlib import Path

from chimera.env import LOG_LEVELS, Env, read_env_file, secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / "data"

env = Env()
read_env_file(env, BASE_DIR)

# --- Core -------------------------------------------------------------------------------------

DEBUG = env.strict_bool("DEBUG", default=False)
SECRET_KEY = secret_key(env, debug=DEBUG)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
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

MIDDLEWARE = [
    "observability.middleware.RequestIDMiddleware",
    "django.middleware.security.SecurityMiddleware",
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

# --- Data -------------------------------------------------------------------------------------

DATABASES = {"default": env.database("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}")}
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if DATABASES["default"]["ENGINE"].endswith("sqlite3") and DATABASES["default"]["NAME"] != ":memory:":
    # The embedded default lives in data/, which may not exist on a fresh clone.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)

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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "observability.log_filters.RequestContextFilter"},
    },
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(trace_id)s %(span_id)s",
            "rename_fields": {"asctime": "timestamp", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": LOG_FORMAT,
            "filters": ["request_context"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's own handlers are dropped: its records reach the console through the root.
    "loggers": {
        "django": {"level": LOG_LEVEL, "handlers": [], "propagate": True},
        # One INFO line per outgoing call (with its URL) is noise, and URLs can hold secrets.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# --- REST framework ---------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "observability.errors.exception_handler",
}

# --- Request IDs (observability) --------------------------------------------------------------

# Only what the operator set goes in: the defaults live in observability.conf.
OBSERVABILITY = {
    name: env.raw(name)
    for name in ("REQUEST_ID_HEADER", "REQUEST_ID_TRUST_INCOMING", "REQUEST_ID_GENERATOR")
    if env.is_set(name)
}


# --- Tracing (observability) ------------------------------------------------------------------
# Forwarded as written: observability validates them (errors name the variable) and reads the
# standard OTEL_* variables where these are not set. Defaults live in observability.conf.

TRACING_VARIABLES = (
    "TRACING_ENABLED", "TRACING_EXPORTER", "TRACING_ENDPOINT", "TRACING_SERVICE_NAME",
    "TRACING_SERVICE_VERSION", "TRACING_DEPLOYMENT_ENVIRONMENT", "TRACING_SAMPLE_RATE", "TRACING_HEADERS",
    "TRACING_EXCLUDED_URLS", "TRACING_EXPORT_TIMEOUT_SECONDS", "TRACING_SHUTDOWN_TIMEOUT_SECONDS",
)
OBSERVABILITY = {
    **globals().get("OBSERVABILITY", {}),  # what the request-ID section forwards
    **{name: env.raw(name) for name in TRACING_VARIABLES if env.is_set(name)},
    "API_KEYS": CHIMERA_API_KEYS,
}
# The SQL of database spans, and the Server-Timing header (default: on with DEBUG).
OBSERVABILITY.update({name: env.raw(name) for name in ("TRACING_DB_STATEMENTS", "SERVER_TIMING") if env.is_set(name)})

# --- Health dashboard (healthdash) ------------------------------------------------------------
# Defaults live in healthdash.conf; only what the operator set is forwarded, and healthdash validates.

HEALTHDASH = {
    name: env.raw(name)
    for name in ("HEALTH_CACHE_SECONDS", "HEALTH_DEADLINE", "HEALTH_ANONYMOUS", "HEALTH_MAX_WORKERS")
    if env.is_set(name)
}


# --- Service layer (chimera) ------------------------------------------------------------------

# Providers, throttling and the prompt pipeline: only what the operator set, keyed by variable;
# chimera/conf.py holds the defaults and validates (system checks chimera.E0xx).
CHIMERA_SERVICE = {
    name: env.raw(name)
    for name in (
        "CHIMERA_DEFAULT_PROVIDER", "CHIMERA_THROTTLE_RATE", "CHIMERA_PROMPT_TEMPLATE", "CHIMERA_PROMPT_MAX_CHARS",
        *(f"CHIMERA_PROVIDER_{provider}_{part}"
          for provider in ("GOOGLE", "OPENAI") for part in ("URL", "API_KEY", "MODEL", "TIMEOUT")),
    )
    if env.is_set(name)
}

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
