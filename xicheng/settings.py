"""Settings for Xicheng Progress. Every value that differs between machines comes from the
environment through the small helpers below, which refuse bad values instead of guessing."""

from __future__ import annotations

import ipaddress
import os
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"Set the environment variable {name}.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value == "":
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int_list(name: str, default: list[int]) -> list[int]:
    """A comma-separated list of whole numbers (0,48,96)."""
    try:
        return [int(item) for item in env_list(name, [str(value) for value in default])]
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be whole numbers separated by commas, like 0,48,96.") from None


def env_date(name: str, default: date) -> date:
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a date like 2000-01-01, not {value!r}.") from None


def env_networks(name: str) -> list[str]:
    """A comma-separated list of IP addresses or networks (10.0.0.5, 10.0.0.0/24)."""
    values = env_list(name, [])
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ImproperlyConfigured(f"{name} must list IP addresses or networks, not {value!r}.") from None
    return values


def env_time(name: str, default: time) -> time:
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a time like 11:30, not {value!r}.") from None


DEBUG = env_bool("DEBUG", False)

# A development key exists only while DEBUG is on; production must bring its own.
if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-xicheng-progress")
else:
    SECRET_KEY = env_str("SECRET_KEY")

# Personal data (ID numbers, phones) is encrypted at rest with this key and found through a keyed
# hash made with it. Losing it makes the stored personal data unreadable.
PERSONAL_DATA_KEY = env_str("PERSONAL_DATA_KEY", SECRET_KEY if DEBUG else None)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The kernel comes first: domain apps register with it, never the other way round.
DOMAIN_APPS = ["projects", "governance", "welfare"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "import_export",
    "axes",
    "treebeard",
    "django_htmx",
    "xicheng",
    # The kernel's 督办 engine: cases, the escalation ladder, notifications (its own migrations).
    "xicheng.supervision",
    # Webhooks for REST clients: signed events, their deliveries (its own migrations).
    "xicheng.webhooks",
    *DOMAIN_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The policy headers go on every response, static files included, so they sit above whitenoise.
    "csp.middleware.CSPMiddleware",
    "xicheng.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "xicheng.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle and absolute session limits, the second factor, a forced password change; no-store.
    "xicheng.security.AccountSecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "xicheng.middleware.RoleRequiredMiddleware",
    "xicheng.middleware.SuperuserAuditMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "xicheng.urls"
WSGI_APPLICATION = "xicheng.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "xicheng.context_processors.navigation",
            ],
        },
    }
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # 等保三级: passwords mix at least three of the four character classes.
    {"NAME": "xicheng.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
]
AUTHENTICATION_BACKENDS = [
    # Axes first, so that a locked-out user is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Importing into a register needs the right to change it, exporting the right to read it: without
# these, anyone who reaches the admin could import (django-import-export allows all by default).
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

# Five failures lock the ACCOUNT, from whatever address the next try comes; an address that fails
# AXES_IP_FAILURE_LIMIT times across any accounts is locked too (password spraying). Axes counts
# each parameter group apart; `xicheng.authentication.AxesHandler` gives the address its own threshold.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_IP_FAILURE_LIMIT = env_int("AXES_IP_FAILURE_LIMIT", 20)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
AXES_HANDLER = "xicheng.authentication.AxesHandler"
AXES_RESET_ON_SUCCESS = True
# Every failed login is kept for the auditors, not only the counters that lock an account out.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# The lock-out answer is the login page itself, with a Chinese message saying until when.
AXES_LOCKOUT_CALLABLE = "xicheng.authentication.lockout_response"
# Axes reads the same client address as the audit trail.
AXES_CLIENT_IP_CALLABLE = "xicheng.authentication.axes_client_ip"

# django-otp: TOTP (RFC 6238) with recovery codes; required for the three administrators.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "西城街道工作进度")
# Ten wrong codes in a row stop a device for a growing while (django-otp's throttling).
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates as 2026-06-30 on every page and in every date field (xicheng/formats/zh_Hans/formats.py).
FORMAT_MODULE_PATH = ["xicheng.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed, not hashed: a page never fails for want of a manifest entry; whitenoise serves
    # gzip and brotli copies made by collectstatic.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the source folders until collectstatic has filled STATIC_ROOT.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", DEBUG or not STATIC_ROOT.exists())


def env_url(name: str, default: str, schemes: tuple[str, ...]) -> str:
    """A service's address; a value of the wrong kind stops the start instead of failing later."""
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    if not value.startswith(tuple(f"{scheme}://" for scheme in schemes)):
        kinds = ", ".join(f"{scheme}://" for scheme in schemes)
        raise ImproperlyConfigured(f"{name} must be a URL starting with {kinds} (got a value of another kind).")
    return value


# One Redis serves the cache (and so the API throttling counts), the job progress and, unless
# CELERY_BROKER_URL names another, the Celery broker. Without it everything stays in the process.
REDIS_SCHEMES = ("redis", "rediss", "unix")
REDIS_URL = env_url("REDIS_URL", "", REDIS_SCHEMES)
CACHES: dict[str, dict[str, Any]] = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if REDIS_URL:
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # A cache that is down must not hang every request: fail fast, the health check says why.
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }

# The leaders' overview is cached per dashboard scope, period and as-of day, and forgotten by the
# writes that change it (xicheng.overview_cache); these bound how long an entry may live anyway.
# A day that is over changes only by a back-dated write. 0 turns the cache off.
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 600)
DASHBOARD_PAST_CACHE_SECONDS = env_int("DASHBOARD_PAST_CACHE_SECONDS", 60 * 60 * 24)

SESSION_COOKIE_HTTPONLY = True
# A session ends 12 hours after sign-in whatever happens, and after 30 minutes without a request
# (等保三级 登录超时); both are enforced by `xicheng.security.AccountSecurityMiddleware`.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 60 * 30)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Intranet host names cannot be on the browsers' public HSTS preload list.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp 4.x format): our own origin only, no inline script or style,
# no eval. Every handler lives in static/js; the Swagger UI loads its start-up script from a URL.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Swagger UI and the admin draw a few icons from data: URIs in their style sheets.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# No page uses a camera, microphone, location, payment or USB device.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"

# Rows on a page of every list, on the pages (xicheng/registers.py) and in the API alike.
PAGE_SIZE = env_int("PAGE_SIZE", 50)
if not 1 <= PAGE_SIZE <= 500:
    raise ImproperlyConfigured(f"PAGE_SIZE must be from 1 to 500 (the API's largest page), not {PAGE_SIZE}.")

# A list counts its rows exactly up to this many; past it (on PostgreSQL) it says "about N" from
# the planner's estimate instead of reading every row to count them (xicheng/pagination.py).
EXACT_COUNT_LIMIT = env_int("EXACT_COUNT_LIMIT", 10_000)
if EXACT_COUNT_LIMIT < 1:
    raise ImproperlyConfigured(f"EXACT_COUNT_LIMIT must be at least 1, not {EXACT_COUNT_LIMIT}.")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["xicheng.drf.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "xicheng.drf.SearchFilter",
        "xicheng.drf.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "xicheng.drf.Pagination",
    "PAGE_SIZE": PAGE_SIZE,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "30/minute"),
        "user": env_str("API_THROTTLE_USER", "2000/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "xicheng.schema.AutoSchema",
    "EXCEPTION_HANDLER": "xicheng.drf.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# API tokens expire after this many days; their owner lists and revokes them at /accounts/tokens/
# (or /api/v1/tokens/), the system admin revokes anyone's in the admin.
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 90)
if API_TOKEN_TTL_DAYS < 1:
    raise ImproperlyConfigured("API_TOKEN_TTL_DAYS must be at least 1.")
REST_KNOX = {
    # Keys are kept only as SHA-512 digests; an expired key answers 401 and is deleted.
    "TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS),
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "西城街道工作进度管理系统 API",
    "DESCRIPTION": "西城街道工作进度管理系统的 REST 接口。认证：请求头 `Authorization: Token <key>`。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["xicheng.drf.RolePermission"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        # Choice sets shared by a field name across apps ("status") need a name of their own; the
        # domains add theirs from their DomainConfig's `enum_names`.
        "TaskStatusEnum": "xicheng.models.Task.Status",
        # A target's light; a supervision case's is CaseLightEnum (xicheng/supervision/apps.py).
        "LightEnum": "xicheng.progress.Light",
    },
}

# Progress lights (DESIGN.md): yellow while behind pace by less than this many percentage points.
PROGRESS_YELLOW_GAP = env_int("PROGRESS_YELLOW_GAP", 10)
# Elders living alone not reached by this time of day raise a safety check.
MEAL_CUTOFF = env_time("MEAL_CUTOFF", time(11, 30))
# The day the demo data treats as today; empty means the real today.
DEMO_TODAY = os.environ.get("DEMO_TODAY", "")
# Facts that can happen (xicheng/validators.py, xicheng/params.py): no record dated, and no figure
# asked, before this day; no due date or deadline more than this many years ahead.
EARLIEST_RECORD_DATE = env_date("EARLIEST_RECORD_DATE", date(2000, 1, 1))
PLAN_HORIZON_YEARS = env_int("PLAN_HORIZON_YEARS", 5)

# Background jobs (Celery). With a broker, tasks go to `celery -A xicheng worker`; without one
# (development, tests) the same tasks run eagerly in the process that starts them, so `make run`
# needs nothing but Python. See docs/deployment.md.
CELERY_BROKER_URL = env_url("CELERY_BROKER_URL", REDIS_URL, (*REDIS_SCHEMES, "amqp", "memory"))
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
# A job's state, progress and file live in ImportExportJob, so no result backend is needed.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
# Jobs are long: a worker takes one at a time, and acknowledges it only when done, so a job of a
# worker that died is given to another instead of being lost.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than the longest job, or Redis hands an unacknowledged job to a second worker.
    "visibility_timeout": 2 * 60 * 60,
    "socket_connect_timeout": 2,
}
# A job that runs away is stopped; the soft limit lets it record the failure first.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("JOB_TIME_LIMIT_SECONDS", 30 * 60)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = False


# Reminders (xicheng/supervision/reminders.py): none goes out before REMINDERS_FROM (local time);
# a village's zero report is chased from ZERO_REPORT_DEADLINE on, a lone elder not reached from
# MEAL_CUTOFF on; the daily digest of unread notifications goes out at DIGEST_AT.
REMINDERS_FROM = env_time("REMINDERS_FROM", time(8, 0))
ZERO_REPORT_DEADLINE = env_time("ZERO_REPORT_DEADLINE", time(10, 0))
DIGEST_AT = env_time("DIGEST_AT", time(8, 0))

# Periodic tasks (`celery -A xicheng beat`), celery's own schedule: a fixed list reviewed with
# the code, with no database tables and no admin page that could change it. The domains add
# theirs from their DomainConfig's `schedule` (xicheng/celery.py).
CELERY_BEAT_SCHEDULE = {
    "purge-expired-job-files": {
        "task": "xicheng.tasks.purge_expired_jobs",
        "schedule": crontab(minute=17),
    },
    # The 督办 ladder: reminders and escalations that have come due (idempotent, so a missed or a
    # doubled run does no harm).
    "supervision-escalate-due": {
        "task": "supervision.tasks.escalate_due",
        "schedule": crontab(minute="*/10"),
    },
    # Reminders of everything that has a date (xicheng/supervision/reminders.py): each source
    # decides whether it is due; each person is told once per thing a day, so a doubled run is harmless.
    "supervision-reminders": {
        "task": "supervision.tasks.send_reminders",
        "schedule": crontab(minute="*/15"),
    },
    # The daily digest of unread notifications, once per person a day.
    "supervision-digest": {
        "task": "supervision.tasks.send_digests",
        "schedule": crontab(hour=DIGEST_AT.hour, minute=DIGEST_AT.minute),
    },
    # Webhooks: the targets whose light changed since the last look (target.light_changed).
    "webhooks-target-lights": {
        "task": "webhooks.tasks.check_target_lights",
        "schedule": crontab(minute="*/10"),
    },
    # Notifications and webhook posts left pending well past their due try (the broker was down
    # when they were queued, or a worker died holding one) are queued again.
    "supervision-requeue-lost": {
        "task": "supervision.tasks.requeue_lost",
        "schedule": crontab(minute="7-59/15"),
    },
    "webhooks-requeue-lost": {
        "task": "webhooks.tasks.requeue_lost",
        "schedule": crontab(minute="7-59/15"),
    },
}

# Supervision (督办, xicheng/supervision/). A case not acknowledged within SUPERVISION_ACK_HOURS of
# being opened is chased once (催办); a case past its due day climbs the ladder — the owner's squad
# or unit head, the responsible leader, the secretary (书记) — each rung this many hours after the
# end of the due day. A case is "due soon" this many days before its due day.
SUPERVISION_ACK_HOURS = env_int("SUPERVISION_ACK_HOURS", 24)
SUPERVISION_ESCALATION_DELAYS_HOURS = env_int_list("SUPERVISION_ESCALATION_DELAYS_HOURS", [0, 48, 96])
if len(SUPERVISION_ESCALATION_DELAYS_HOURS) != 3 or SUPERVISION_ESCALATION_DELAYS_HOURS != sorted(
    SUPERVISION_ESCALATION_DELAYS_HOURS
):
    raise ImproperlyConfigured(
        "SUPERVISION_ESCALATION_DELAYS_HOURS must be three hours after the due day, one per rung, in order (0,48,96)."
    )
SUPERVISION_DUE_SOON_DAYS = env_int("SUPERVISION_DUE_SOON_DAYS", 2)
# The login name of the secretary (书记), the ladder's last rung; empty: the ladder stops at the leader.
SUPERVISION_SECRETARY_USERNAME = env_str("SUPERVISION_SECRETARY_USERNAME", "")
# Outbound notifications (robots, e-mail, SMS) are tried this many times, waiting twice as long
# after each failure, starting from SUPERVISION_RETRY_SECONDS; a robot answers within the timeout.
SUPERVISION_DELIVERY_ATTEMPTS = env_int("SUPERVISION_DELIVERY_ATTEMPTS", 4)
SUPERVISION_RETRY_SECONDS = env_int("SUPERVISION_RETRY_SECONDS", 60)
SUPERVISION_ROBOT_TIMEOUT_SECONDS = env_int("SUPERVISION_ROBOT_TIMEOUT_SECONDS", 5)
if SUPERVISION_DELIVERY_ATTEMPTS < 1:
    raise ImproperlyConfigured(
        f"SUPERVISION_DELIVERY_ATTEMPTS must be at least 1, not {SUPERVISION_DELIVERY_ATTEMPTS}."
    )
# The SMS gateway: the dotted path of a class with send(phone, text) (xicheng.supervision.channels.
# SmsGateway). None is configured by default, and then no one is sent an SMS.
SUPERVISION_SMS_GATEWAY = env_str("SUPERVISION_SMS_GATEWAY", "")
# Who the e-mails come from.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "xicheng-progress@localhost")

# Webhooks for REST clients (xicheng/webhooks/): each delivery is tried WEBHOOK_ATTEMPTS times,
# waiting WEBHOOK_RETRY_SECONDS, then twice as long after each failure; a receiver answers within
# WEBHOOK_TIMEOUT_SECONDS. A payload's `url` starts with WEBHOOK_SITE_URL (the address clients
# reach the site at, e.g. https://progress.example.gov.cn); empty, it is a path (/api/v1/…).
WEBHOOK_ATTEMPTS = env_int("WEBHOOK_ATTEMPTS", 5)
WEBHOOK_RETRY_SECONDS = env_int("WEBHOOK_RETRY_SECONDS", 60)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)
WEBHOOK_SITE_URL = env_url("WEBHOOK_SITE_URL", "", ("http", "https")).rstrip("/")
if WEBHOOK_ATTEMPTS < 1 or WEBHOOK_TIMEOUT_SECONDS < 1 or WEBHOOK_RETRY_SECONDS < 0:
    raise ImproperlyConfigured(
        "WEBHOOK_ATTEMPTS and WEBHOOK_TIMEOUT_SECONDS must be at least 1, WEBHOOK_RETRY_SECONDS at least 0."
    )

# Imports and exports (xicheng/jobs.py): up to this many rows run in the request; more go to the
# worker with a progress bar. The files are kept this many hours for their owner, then removed.
JOBS_INLINE_ROWS = env_int("JOBS_INLINE_ROWS", 1000)
JOBS_RETENTION_HOURS = env_int("JOBS_RETENTION_HOURS", 24)
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"  # never served: job files go through the owner-checked download view
# Plain HTTP is allowed for the load balancer's health check, even when HTTPS is enforced.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Where a request comes from (xicheng.history.client_ip): REMOTE_ADDR, unless the request came
# through a proxy named here — its addresses or networks (TRUSTED_PROXIES), or the number of proxies
# in front of every app server (TRUSTED_PROXY_COUNT) — whose X-Forwarded-For is then read from the right.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXIES and TRUSTED_PROXY_COUNT:
    raise ImproperlyConfigured("Set TRUSTED_PROXIES or TRUSTED_PROXY_COUNT, not both.")
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT must be 0 or more, not {TRUSTED_PROXY_COUNT}.")

# Audit records (AuditEvent, every history table, the login logs) are kept this many days;
# `manage.py purge_audit` removes older ones. 等保三级 asks for at least six months.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 180)
if AUDIT_RETENTION_DAYS < 180:
    raise ImproperlyConfigured(
        f"AUDIT_RETENTION_DAYS must be at least 180 (six months of audit records), not {AUDIT_RETENTION_DAYS}."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}

ADMIN_SITE_HEADER = _("Xicheng Subdistrict Work Progress")


# Past one machine (docs/deployment.md): a read replica, a connection pooler ------------------

# A streaming replica of the primary, in DATABASE_URL's format. With it, the dashboard, the API's
# reads and the exports read from the replica (xicheng/routers.py), every write and everything
# else from the primary; a user who has just written reads from the primary for
# REPLICA_STICKY_SECONDS, longer than the replica's usual lag, so they always see their own write.
# Without it there is one database and no router at all.
DATABASE_REPLICA_URL = env_url("DATABASE_REPLICA_URL", "", ("postgres", "postgresql", "pgsql", "sqlite"))
REPLICA_STICKY_SECONDS = env_int("REPLICA_STICKY_SECONDS", 10)
if REPLICA_STICKY_SECONDS < 0:
    raise ImproperlyConfigured(f"REPLICA_STICKY_SECONDS must be 0 or more, not {REPLICA_STICKY_SECONDS}.")
# The requests that may read from the replica: safe (GET, HEAD) requests under these paths, plus
# the export jobs. Everything else (forms, my work, the admin, sign-in) reads the primary.
REPLICA_READ_PATHS = ["/dashboard/", "/api/v1/"]
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60)
    )
    # A test run reads the test database through both aliases, as production reads one database twice.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["xicheng.routers.ReplicaRouter"]
    # Innermost, so that the session, the sign-in and the security checks around it read the primary.
    MIDDLEWARE = [*MIDDLEWARE, "xicheng.routers.ReplicaMiddleware"]

# pgbouncer in transaction pooling mode hands each transaction whatever server connection is free:
# a cursor declared WITH HOLD outside a transaction (Django's server-side cursors for .iterator(),
# used by the exports and by every <select> of a form) would be looked for on another connection.
# Django then fetches all rows on the client instead. The app's own connections to pgbouncer are
# cheap and kept, checked before reuse: pgbouncer may have closed an idle one.
DATABASE_POOLER = env_str("DATABASE_POOLER", "none").strip().lower()
if DATABASE_POOLER not in ("none", "pgbouncer"):
    raise ImproperlyConfigured(f"DATABASE_POOLER must be none or pgbouncer, not {DATABASE_POOLER!r}.")
if DATABASE_POOLER == "pgbouncer":
    for _database in DATABASES.values():
        _database["DISABLE_SERVER_SIDE_CURSORS"] = True
        _database["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 300)
        _database["CONN_HEALTH_CHECKS"] = True

# The planner's cost of reading a page at random against reading in order. PostgreSQL's default
# (4) is for spinning disks: on an SSD it reads a whole register rather than probe an index a few
# thousand times (a cadre's list at scale 14: 23 ms instead of 3). Sent with each connection;
# "server" leaves the server's own. pgbouncer does not pass startup options: behind it, set it on
# the database (docs/deployment.md).
DATABASE_RANDOM_PAGE_COST = env_str("DATABASE_RANDOM_PAGE_COST", "1.1").strip().lower()
if DATABASE_RANDOM_PAGE_COST != "server":
    try:
        _cost = float(DATABASE_RANDOM_PAGE_COST)
    except ValueError:
        _cost = 0.0
    if not _cost > 0:
        raise ImproperlyConfigured(
            f"DATABASE_RANDOM_PAGE_COST must be a number above 0 (1.1 for SSDs) or server, not {DATABASE_RANDOM_PAGE_COST!r}."
        )
    if DATABASE_POOLER == "none":
        for _database in DATABASES.values():
            if _database["ENGINE"] == "django.db.backends.postgresql":
                _database.setdefault("OPTIONS", {})["options"] = f"-c random_page_cost={_cost:g}"
