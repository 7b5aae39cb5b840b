"""Referee settings: everything configurable comes from the environment (README, "Configuration")."""

import os
import sys
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("REFEREE_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
TESTING = "pytest" in sys.modules
# The embedded default must start without configuration; production sets SECRET_KEY (docs/deploy.md).
SECRET_KEY = os.environ.get("SECRET_KEY", "referee-insecure-development-key-change-me-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
# Links in mail. Unset, they follow the port served (`referee serve` sets it for its processes).
SITE_URL = (os.environ.get("SITE_URL") or f"http://127.0.0.1:{os.environ.get('PORT') or 8000}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "referee.core",
    "referee.calls",
    "referee.reviewers",
    "referee.conflicts",
    "referee.assignments",
    "referee.reviews",
    "referee.notifications",
    "referee.web",
    "django_htmx",
]

MIDDLEWARE = [
    "referee.api.middleware.RequestSizeLimitMiddleware",
    "referee.api.middleware.RefuseNulCharactersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "referee.web.middleware.VanishedRowNotFoundMiddleware",
]

ROOT_URLCONF = "referee.urls"
WSGI_APPLICATION = "referee.wsgi.application"
AUTH_USER_MODEL = "core.User"
# The web pages' sign-in (referee.web.accounts); the API authenticates by token.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Username or e-mail address (an address two accounts share signs neither in; docs/decisions.md).
AUTHENTICATION_BACKENDS = ["referee.core.backends.UsernameOrEmailBackend"]
# Failed sign-ins allowed per account and per client address in each window (referee.core.sign_in_limits).
REFEREE_SIGN_IN_FAILURES_PER_ACCOUNT = int(os.environ.get("REFEREE_SIGN_IN_FAILURES_PER_ACCOUNT", "5"))
REFEREE_SIGN_IN_FAILURES_PER_ADDRESS = int(os.environ.get("REFEREE_SIGN_IN_FAILURES_PER_ADDRESS", "20"))
REFEREE_SIGN_IN_WINDOW_SECONDS = int(os.environ.get("REFEREE_SIGN_IN_WINDOW_SECONDS", "900"))
# Session and CSRF cookies: HttpOnly, SameSite=Lax (Strict would drop the session on arriving from a
# mail's link), and Secure when served over https: SECURE_COOKIES=1, or by default when SITE_URL is
# https. The embedded default serves plain http on 127.0.0.1, where a Secure cookie would not come back.
SECURE_COOKIES = env_bool("SECURE_COOKIES", SITE_URL.startswith("https://") and not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True  # pages send the CSRF token from the page, not the cookie
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(p) for p in env_list("REFEREE_TEMPLATE_DIRS", "")],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "referee.web.navigation.context",
            ]
        },
    }
]


def _conn_max_age() -> int | None:
    """`CONN_MAX_AGE`: seconds a connection is kept; unset or `none`: for the process's life."""
    value = os.environ.get("CONN_MAX_AGE", "").strip().lower()
    if value in {"", "none"}:
        return None
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"CONN_MAX_AGE must be a number of seconds or 'none', not {value!r}.") from None


def _database() -> dict:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Persistent connections by default: a new connection plans each list statement afresh for
        # its first executions and meets every table for the first time, which made a list's first
        # requests on it up to three times slower (docs/decisions.md, "Database connections persist").
        # The health check (one round trip per request) replaces a connection the server dropped.
        config = dj_database_url.parse(url, conn_max_age=_conn_max_age(), conn_health_checks=True)
    else:
        # sqlite3 creates the database file but not its folder, and `make run` starts with `migrate`.
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(VAR_DIR / "referee.sqlite3")}
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so
        # two transactions never deadlock upgrading read locks (SQLite's answer to select_for_update).
        config.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                # Seconds a write waits for the lock before the API answers 503 (api/exceptions.py).
                "timeout": float(os.environ.get("SQLITE_LOCK_TIMEOUT", "20")),
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
        config.setdefault("TEST", {})["NAME"] = os.environ.get("SQLITE_TEST_NAME") or None
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # No parallel workers: requests already run side by side on few cores, and a parallel
        # COUNT or aggregate makes each worker rebuild the hashed subplans of the visibility rules
        # (docs/decisions.md, "List performance").
        options = config.setdefault("OPTIONS", {})
        options.setdefault("options", "-c max_parallel_workers_per_gather=0")
        if env_bool("DATABASE_PREPARED_STATEMENTS", True):
            # A statement run twice on a connection is prepared (server-side binding: psycopg
            # cannot prepare client-side bound text), so PostgreSQL stops planning the wide list
            # queries on every request. Off behind a pooler in transaction mode (docs/deploy.md).
            options.update({"server_side_binding": True, "prepare_threshold": 1})
    return config


DATABASES = {"default": _database()}
if TESTING:  # the suite's own process only: a fast hasher, as Django's documentation advises for tests
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
# Embedded default: whitenoise serves app static files straight from the finders. Production may
# set STATIC_ROOT and run `referee collectstatic` (docs/deploy.md).
STATIC_ROOT = os.environ.get("STATIC_ROOT") or None
WHITENOISE_USE_FINDERS = True

# Contract §7: body ≤ 1 MiB. Enforced by RequestSizeLimitMiddleware for every content type.
REFEREE_MAX_BODY_BYTES = 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = REFEREE_MAX_BODY_BYTES

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["referee.api.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["referee.api.permissions.ApiAccess"],
    "DEFAULT_PAGINATION_CLASS": "referee.api.pagination.LinkHeaderPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "referee.api.filters.FilterBackend",
        "referee.api.filters.OrderingBackend",
    ],
    "DEFAULT_RENDERER_CLASSES": ["referee.api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["referee.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "referee.api.schema.RefereeAutoSchema",
    "EXCEPTION_HANDLER": "referee.api.exceptions.exception_handler",
    "PAGE_SIZE": 10,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": False,
    "URL_FIELD_NAME": "url",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Referee API",
    "DESCRIPTION": "Reviewer assignment for calls for proposals; Waldur-compatible.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/",
    # Swagger UI from the pinned drf-spectacular-sidecar package, served by whitenoise: /api/docs/
    # works offline (drf-spectacular's default loads swagger-ui-dist@latest from a CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CoiTypeEnum": "referee.calls.models.COI_TYPE_CODES",
        "CallStateEnum": "referee.calls.models.Call.State",
        "ProposalStateEnum": "referee.calls.models.Proposal.State",
        "RoundStatusEnum": "referee.calls.models.Round.Status",
        "AssignmentBatchStatusEnum": "referee.assignments.models.AssignmentBatch.Status",
        "AssignmentItemStatusEnum": "referee.assignments.models.AssignmentItem.Status",
        "JobStateEnum": "referee.conflicts.enums.JobState",
    },
}


def cache_settings(redis_url: str) -> dict:
    """Django's CACHES: Redis when `redis_url` names one (REDIS_URL, else a Redis CELERY_BROKER_URL),
    else a table of the database, which every web process shares (a per-process memory cache
    would let each gunicorn worker count sign-in attempts of its own). `referee migrate` creates it."""
    if redis_url.startswith(("redis://", "rediss://")):
        return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url,
                            "KEY_PREFIX": "referee"}}
    return {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "referee_cache"}}


CACHES = cache_settings(os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL") or "")


def email_settings(url: str) -> dict:
    """Django's EMAIL_* settings from one URL:
    `smtp://user:pass@host:587?tls=1` (STARTTLS; `ssl=1` or `smtps://` for implicit TLS; `timeout=s`),
    `console://`, `file:///abs/dir` (`file://rel/dir` is under BASE_DIR), `locmem://`, `dummy://`."""
    scheme, _, rest = url.partition("://")
    rest, _, query = rest.partition("?")
    options = dict(parse_qsl(query))

    def flag(key):
        return options.get(key, "").lower() in {"1", "true", "yes", "on"}

    simple = {"console": "console", "locmem": "locmem", "dummy": "dummy"}
    if scheme in simple:
        return {"EMAIL_BACKEND": f"django.core.mail.backends.{simple[scheme]}.EmailBackend"}
    if scheme == "file":
        return {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": str(BASE_DIR / unquote(rest))}  # an absolute path replaces BASE_DIR
    if scheme in {"smtp", "smtps"}:
        parts = urlsplit(url)
        use_ssl = scheme == "smtps" or flag("ssl")
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname or "localhost",
            "EMAIL_PORT": parts.port or (465 if use_ssl else 25),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": flag("tls"),
            "EMAIL_USE_SSL": use_ssl,
            # Delivery runs right after commit (in-process without a broker): never hang on a dead server.
            "EMAIL_TIMEOUT": float(options.get("timeout", 10)),
        }
    raise ImproperlyConfigured(f"EMAIL_URL: unsupported scheme {scheme!r} (smtp, smtps, console, file, locmem, dummy)")


# Embedded default: mail is written as files to var/mail/ (one .log file per connection).
EMAIL_URL = os.environ.get("EMAIL_URL") or f"file://{VAR_DIR / 'mail'}"
globals().update(email_settings(EMAIL_URL))  # EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, …
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Referee <referee@localhost>")

# Without CELERY_BROKER_URL the embedded default queues tasks in a SQLite file under var/, which
# the Celery worker and beat that `referee serve` starts consume (docs/deploy.md, "Embedded default").
EMBEDDED_BROKER = not os.environ.get("CELERY_BROKER_URL")
if EMBEDDED_BROKER:
    CELERY_BROKER_URL = f"sqlite:///{VAR_DIR / 'broker.sqlite3'}"
    CELERY_BROKER_TRANSPORT = "referee.core.embedded_broker:Transport"
    # SQLAlchemy engine options: web threads, worker and beat share the file; wait for its lock.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"connect_args": {"timeout": 30}}
else:
    CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]
# The test suite's own process runs tasks in-process; every served process goes through a broker.
CELERY_TASK_ALWAYS_EAGER = TESTING and EMBEDDED_BROKER
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic jobs of §6. The DatabaseScheduler writes these entries into django-celery-beat's tables
# at every beat start (docs/deploy.md, "Periodic jobs"). `expire_seconds` (django-celery-beat's name
# for `expires`) drops a run no worker picked up before the next one is due, instead of piling up.
MINUTE, HOUR = 60.0, 3600.0


def periodic(task: str, every: float) -> dict:
    return {"task": task, "schedule": every, "options": {"expire_seconds": int(every - 5)}}


CELERY_BEAT_SCHEDULE = {
    "deliver-due-mail": periodic("referee.notifications.tasks.deliver_due_mail", MINUTE),
    "expire-assignment-batches": periodic("referee.assignments.tasks.expire_assignment_batches", 15 * MINUTE),
    "send-assignment-reminders": periodic("referee.assignments.tasks.send_assignment_reminders", 15 * MINUTE),
    "notify-expired-assignment-batches": periodic(
        "referee.assignments.tasks.notify_expired_assignment_batches", 15 * MINUTE),
    "expire-pool-invitations": periodic("referee.reviewers.tasks.expire_pool_invitations", 15 * MINUTE),
    "reject-overdue-reviews": periodic("referee.reviews.tasks.reject_overdue_reviews", HOUR),
    "fail-stalled-detection-jobs": periodic("referee.conflicts.tasks.fail_stalled_detection_jobs", 15 * MINUTE),
    "fail-stalled-matching-jobs": periodic("referee.assignments.tasks.fail_stalled_matching_jobs", 15 * MINUTE),
}
# A conflict detection job that has not reported progress for this long lost its worker (a chunk of
# 200 reviewers takes well under a minute at 6,000 proposals): it is failed so that a new one can run.
REFEREE_DETECTION_STALL_MINUTES = int(os.environ.get("REFEREE_DETECTION_STALL_MINUTES", "15"))
# The same for matching jobs (issue 13). They beat between steps only: a generation's solve and a
# large call's scoring (some seconds at 3,000 × 1,500) are single steps, far inside this limit.
REFEREE_MATCHING_JOB_STALL_MINUTES = int(os.environ.get("REFEREE_MATCHING_JOB_STALL_MINUTES", "15"))
# Reviewers per chunk of a detection run: each chunk's findings and progress are committed together,
# so a smaller chunk shows progress more often (and loses less to a crash) at a little more overhead.
REFEREE_DETECTION_CHUNK_REVIEWERS = max(1, int(os.environ.get("REFEREE_DETECTION_CHUNK_REVIEWERS", "200")))
# Without a broker of its own, `referee serve` starts a Celery worker and beat beside gunicorn (child
# processes, never threads of the master that forks the web workers). 0 turns them off (e.g. a second
# server on the same database and var/); 1 starts them with any broker.
REFEREE_EMBEDDED_WORKER = env_bool("REFEREE_EMBEDDED_WORKER", EMBEDDED_BROKER)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
