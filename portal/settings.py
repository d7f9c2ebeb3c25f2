"""The one settings module. Every value comes from the environment; the defaults let
`make run` work on a bare machine (SQLite, a file-system broker, the demo IdP, e-mail
written to files). Every variable is listed, with its default, in README.md."""

import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from memberships.schedules import beat_schedule
from portal.errors import init_error_reporting
from portal.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """Strict: a value that is neither true-ish nor false-ish stops the process."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_secret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file named by NAME_FILE (container secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def _local_secret_key() -> str:
    # Only for a developer machine: a random key kept in var/ so sessions survive restarts.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


# Core
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY") or _local_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
PROGRAMME_NAME = env_str("PROGRAMME_NAME", "Trust & Safety Membership Programme")
SUPPORT_EMAIL = env_str("SUPPORT_EMAIL", "tns-programme@example.com")

INSTALLED_APPS = [
    "portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "template_partials",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "portal",
    "memberships",
]

MIDDLEWARE = [
    "portal.observability.RequestContextMiddleware",  # request id, logs, metrics: first
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "portal.middleware.UserTimezoneMiddleware",
    "portal.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.SignInGuardMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"
AUTH_USER_MODEL = "portal.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
                "django.template.context_processors.tz",
                "portal.context_processors.portal",
            ],
        },
    }
]

# Database
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}

# Cache and sessions: sessions live in the database so any web process can serve any request.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)

# Internationalisation and time
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
# Every language with a complete catalogue in locale/ (make translations-check).
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("pt-br", _("Brazilian Portuguese")),
    ("fr", _("French")),
    ("ar", _("Arabic")),
    ("ur", _("Urdu")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_TZ = True

# Static files
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Security
HTTPS = env_bool("HTTPS", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain http
SILENCED_SYSTEM_CHECKS = [
    # HSTS preload is opt-in (SECURE_HSTS_PRELOAD): submitting a domain to browser
    # preload lists is hard to undo, so it is the operator's decision, not a default.
    "security.W021",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 14},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# SSO (OpenID Connect through allauth). Employees have no local password.
OIDC_SERVER_URL = env_str("OIDC_SERVER_URL", "http://127.0.0.1:9000").rstrip("/")
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID", "portal-demo")
OIDC_CLIENT_SECRET = env_secret("OIDC_CLIENT_SECRET", "portal-demo-secret")
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "Company SSO")
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
ALLOWED_EMAIL_DOMAINS = [d.lower() for d in env_list("ALLOWED_EMAIL_DOMAINS", "example.com")]
STAFF_GROUPS = env_list("STAFF_GROUPS", "portal-admins")
PROGRAMME_ADMINS_GROUP = "Programme admins"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",  # the break-glass superuser only (with TOTP)
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "portal.adapters.AccountAdapter"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = False
SOCIALACCOUNT_ONLY = True
SOCIALACCOUNT_ADAPTER = "portal.adapters.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # accounts are keyed on the IdP subject only
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": "sso",
                "name": OIDC_PROVIDER_NAME,
                "client_id": OIDC_CLIENT_ID,
                "secret": OIDC_CLIENT_SECRET,
                "settings": {
                    "server_url": OIDC_SERVER_URL,
                    "oauth_pkce_enabled": True,
                    "token_auth_method": "client_secret_basic",
                },
            }
        ],
        "SCOPE": ["openid", "email", "profile", "groups"],
    }
}

# Content-Security-Policy: no inline script or style anywhere. The sign-in form posts to
# our own URL, which redirects to the IdP; browsers apply form-action to that redirect.
_oidc_origin = "{0.scheme}://{0.netloc}".format(urlsplit(OIDC_SERVER_URL))
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF, _oidc_origin],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# E-mail
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Membership Programme <no-reply@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery. Without a broker URL, a file-system broker under var/ needs no server (one machine
# only); production points CELERY_BROKER_URL or REDIS_URL at Redis.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    # Exchange tables; kombu's default is ./control, which would write into the working tree.
    _control_dir = VAR_DIR / "celery" / "control"
    for _folder in (_queue_dir, _processed_dir, _control_dir):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "data_folder_processed": str(_processed_dir),
        "control_folder": str(_control_dir),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # With late acks, a message whose worker died is redelivered after this many seconds.
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 120)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 90)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"memberships.deliver_notification": {"queue": "notifications"}}
# A request must not hang when the broker is down: give up publishing quickly (the outbox
# row is already committed and the sweep queues it later).
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECTION_TIMEOUT", 2)
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# Periodic tasks: every schedule lives in memberships/schedules.py (no Django imports there).
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Notification delivery (the outbox)
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 8)
NOTIFICATION_SEND_TIMEOUT = env_int("NOTIFICATION_SEND_TIMEOUT", 10)
NOTIFICATION_RETRY_BASE_SECONDS = env_int("NOTIFICATION_RETRY_BASE_SECONDS", 30)
NOTIFICATION_RETRY_MAX_SECONDS = env_int("NOTIFICATION_RETRY_MAX_SECONDS", 6 * 60 * 60)
# A sending worker's lease on a row, renewed every third of it while the send is in flight:
# only a dead worker's lease expires, and its rows are sent again soon after.
NOTIFICATION_LEASE_SECONDS = env_int("NOTIFICATION_LEASE_SECONDS", 20)
NOTIFICATION_SWEEP_GRACE_SECONDS = env_int("NOTIFICATION_SWEEP_GRACE_SECONDS", 60)
NOTIFICATION_REQUEUE_SECONDS = env_int("NOTIFICATION_REQUEUE_SECONDS", 300)
NOTIFICATION_SWEEP_BATCH = env_int("NOTIFICATION_SWEEP_BATCH", 1000)

# Redis timeouts. A Redis that accepts connections but never answers (a stalled host, a full
# network buffer, SIGSTOP) must cost a bounded wait, never a hung request or worker: every
# Redis client has a connect and a socket timeout. (No result backend: results are ignored.)
REDIS_SOCKET_TIMEOUT = env_int("REDIS_SOCKET_TIMEOUT", 1)  # the cache and /healthz
if REDIS_URL:
    CACHES["default"]["OPTIONS"] = {
        "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
        "socket_timeout": REDIS_SOCKET_TIMEOUT,
    }
if CELERY_BROKER_URL.startswith(("redis://", "rediss://", "redis+socket://")):
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
        # Above kombu's 1 s BRPOP poll, which waits on the same kind of socket in workers.
        # Web requests wait at most CELERY_BROKER_CONNECTION_TIMEOUT whatever this is: the
        # publish runs with a deadline (memberships/services/notifications.py).
        "socket_timeout": CELERY_BROKER_CONNECTION_TIMEOUT + 1,
        "socket_keepalive": True,
    }

# Workers keep their database connection between tasks (CONN_MAX_AGE decides, as for web
# requests; see portal/celery.py) instead of Celery closing it around every task. Celery still
# recycles it after this many tasks.
CELERY_DB_REUSE_MAX = 1000

# Events
EVENT_REMINDER_HOURS = env_int("EVENT_REMINDER_HOURS", 24)  # how long before the start

# Security hardening: rate limits, the break-glass lockout, webhook destinations, API bodies.
# Rate limits are fixed windows, "<count>/<period>" with the period in s, m, h or d and an
# optional multiple ("10/15m"); a malformed one stops the process at start-up.
_RATE_FORMAT = re.compile(r"^\d+/\d*[smhd]$")


def env_rate(name: str, default: str) -> str:
    value = env_str(name, default).strip()
    if not _RATE_FORMAT.match(value):
        raise ImproperlyConfigured(f"{name} must look like 10/m or 30/h, not {value!r}")
    return value


# Old signing keys still accepted while SECRET_KEY is rotated (sessions, signed links).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")

# Counted in their own cache: Redis whenever REDIS_URL is set, so all web processes share them.
CACHES["ratelimit"] = (
    {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "ratelimit",
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ratelimit"}
)
RATELIMIT_USE_CACHE = "ratelimit"
# Which request.META entry holds the client address: REMOTE_ADDR, or e.g. HTTP_X_REAL_IP when
# a proxy you control sets that header.
RATELIMIT_IP_META_KEY = env_str("RATE_LIMIT_IP_META_KEY", "REMOTE_ADDR")
RATE_LIMIT_MEMBERSHIP = env_rate("RATE_LIMIT_MEMBERSHIP", "10/h")  # per person
RATE_LIMIT_EVENTS = env_rate("RATE_LIMIT_EVENTS", "30/h")  # per person
RATE_LIMIT_PARTNER_API_IP = env_rate("RATE_LIMIT_PARTNER_API_IP", "300/m")
RATE_LIMIT_PARTNER_API_TOKEN = env_rate("RATE_LIMIT_PARTNER_API_TOKEN", "300/m")
BREAKGLASS_MAX_FAILURES = env_int("BREAKGLASS_MAX_FAILURES", 10)
BREAKGLASS_LOCKOUT_SECONDS = env_int("BREAKGLASS_LOCKOUT_SECONDS", 15 * 60)
# Partner webhooks may point at loopback, private or link-local addresses only when this is on
# (local development against a receiver on this machine).
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)
# Partner API request bodies: larger or more deeply nested JSON is a 400.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 64 * 1024)
API_MAX_JSON_DEPTH = env_int("API_MAX_JSON_DEPTH", 8)
# Browser features no page of the portal uses, switched off for every page.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), payment=(), publickey-credentials-get=(), usb=()"
)


# Memberships over time: renewal notices and idle claims
RENEWAL_NOTICE_DAYS = env_int("RENEWAL_NOTICE_DAYS", 30)  # before a term ends
PARTNER_ACTIVATION_DAYS = env_int("PARTNER_ACTIVATION_DAYS", 14)  # then a claim is overdue


# Operating it: logs, metrics, error reporting, status, retention
# Logs go to stdout: JSON lines in production (LOG_FORMAT=json), readable text otherwise;
# every line passes the redaction filter and carries the request id (portal/logs.py).
# Programme insights, the learning record and certificates
# A TrueType font with wide coverage for names on certificates (Debian: fonts-dejavu-core);
# empty or missing falls back to a built-in Latin-1 font.
CERTIFICATE_FONT_PATH = env_str(
    "CERTIFICATE_FONT_PATH", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
)

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# /metrics: a scrape must pass every check that is configured, and at least one must be.
METRICS_TOKEN = env_secret("METRICS_TOKEN")
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128")
WORKER_METRICS_PORT = env_int("WORKER_METRICS_PORT", 0)
WORKER_METRICS_ADDR = env_str("WORKER_METRICS_ADDR", "127.0.0.1")
# Beat records a heartbeat at every tick (portal/beat.py); the loop wakes at least this often.
CELERY_BEAT_SCHEDULER = "portal.beat:HeartbeatScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 15
# Status page thresholds (seconds) and its probes' timeout.
# Prometheus scrapes each instance over plain http, like the load balancer probes /healthz.
SECURE_REDIRECT_EXEMPT = [*SECURE_REDIRECT_EXEMPT, r"^metrics$"]
STATUS_BEAT_AMBER_SECONDS = 120
STATUS_BEAT_RED_SECONDS = 300
STATUS_OUTBOX_RED_SECONDS = 600
STATUS_PROBE_TIMEOUT = env_int("STATUS_PROBE_TIMEOUT", 3)
# How often beat runs the outbox sweep (60: every minute on the minute).
NOTIFICATION_SWEEP_SECONDS = env_int("NOTIFICATION_SWEEP_SECONDS", 60)
# Periodic tasks: every schedule lives in memberships/schedules.py (no Django imports there).
CELERY_BEAT_SCHEDULE = beat_schedule(sweep_seconds=NOTIFICATION_SWEEP_SECONDS)
# Retention, applied daily by beat (memberships.apply_retention, memberships.purge_sessions).
NOTIFICATION_RETENTION_DAYS = env_int("NOTIFICATION_RETENTION_DAYS", 90)
CALENDAR_TOKEN_RETENTION_DAYS = env_int("CALENDAR_TOKEN_RETENTION_DAYS", 365)
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 7 * 365)
# Error reporting: only when SENTRY_DSN is set, and never with personal data.
SENTRY_DSN = env_secret("SENTRY_DSN")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "production")
if SENTRY_DSN:
    init_error_reporting(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT)

# Identity lifecycle: SCIM provisioning, eligibility grace, staff sessions
ELIGIBILITY_GRACE_DAYS = env_int("ELIGIBILITY_GRACE_DAYS", 30)
STAFF_SESSION_AGE = env_int("STAFF_SESSION_AGE", 2 * 60 * 60)
SCIM_MAX_RESULTS = env_int("SCIM_MAX_RESULTS", 200)

# SAML 2.0 sign-in (allauth's SAML provider, python3-saml), beside OpenID Connect. On when the
# IdP's metadata is given, by URL or as a file; off by default (`make run` uses OIDC).
SAML_IDP_METADATA_URL = env_str("SAML_IDP_METADATA_URL")
SAML_IDP_METADATA_FILE = env_str("SAML_IDP_METADATA_FILE")
SAML_IDP_ENTITY_ID = env_str("SAML_IDP_ENTITY_ID")
SAML_ENABLED = bool(SAML_IDP_METADATA_URL or SAML_IDP_METADATA_FILE)
SAML_ORGANIZATION_SLUG = env_str("SAML_ORGANIZATION_SLUG", "company")
SAML_PROVIDER_NAME = env_str("SAML_PROVIDER_NAME", "Company SSO (SAML)")
SAML_ATTRIBUTE_SUBJECT = env_str("SAML_ATTRIBUTE_SUBJECT", "uid")
SAML_ATTRIBUTE_EMAIL = env_str("SAML_ATTRIBUTE_EMAIL", "email")
SAML_ATTRIBUTE_NAME = env_str("SAML_ATTRIBUTE_NAME", "displayName")
SAML_ATTRIBUTE_GIVEN_NAME = env_str("SAML_ATTRIBUTE_GIVEN_NAME", "givenName")
SAML_ATTRIBUTE_FAMILY_NAME = env_str("SAML_ATTRIBUTE_FAMILY_NAME", "sn")
SAML_ATTRIBUTE_EMPLOYEE_ID = env_str("SAML_ATTRIBUTE_EMPLOYEE_ID", "employeeNumber")
SAML_ATTRIBUTE_DEPARTMENT = env_str("SAML_ATTRIBUTE_DEPARTMENT", "department")
SAML_ATTRIBUTE_GROUPS = env_str("SAML_ATTRIBUTE_GROUPS", "groups")
SAML_ATTRIBUTE_ACTIVE = env_str("SAML_ATTRIBUTE_ACTIVE", "active")
# Most SAML IdPs only release the company's own (verified) address; set false for one that
# sends a separate `email_verified` attribute, which then decides.
SAML_EMAIL_VERIFIED = env_bool("SAML_EMAIL_VERIFIED", True)
SAML_ATTRIBUTE_EMAIL_VERIFIED = env_str("SAML_ATTRIBUTE_EMAIL_VERIFIED", "email_verified")
SAML_METADATA_TIMEOUT = env_int("SAML_METADATA_TIMEOUT", 5)


def _saml_idp_settings() -> dict:
    if SAML_IDP_METADATA_URL:
        return {
            "entity_id": SAML_IDP_ENTITY_ID,
            "metadata_url": SAML_IDP_METADATA_URL,
            "metadata_request_timeout": SAML_METADATA_TIMEOUT,
        }
    from onelogin.saml2.idp_metadata_parser import (  # noqa: PLC0415 -- only with SAML on
        OneLogin_Saml2_IdPMetadataParser,
    )

    parsed = OneLogin_Saml2_IdPMetadataParser.parse(
        Path(SAML_IDP_METADATA_FILE).read_text(encoding="utf-8"),
        entity_id=SAML_IDP_ENTITY_ID or None,
    )["idp"]
    return {
        "entity_id": parsed["entityId"],
        "x509cert": parsed.get("x509cert")
        or parsed.get("x509certMulti", {}).get("signing", [""])[0],
        "sso_url": parsed["singleSignOnService"]["url"],
    }


def saml_app(idp: dict) -> dict:
    """allauth's SAML app for an IdP: signed assertions and responses required, strict
    checks, IdP-initiated sign-in refused."""
    return {
        "name": SAML_PROVIDER_NAME,
        "provider_id": SAML_ORGANIZATION_SLUG,
        "client_id": SAML_ORGANIZATION_SLUG,
        "settings": {
            # Every attribute is kept in extra_data; portal/services.py maps them.
            "attribute_mapping": {"uid": SAML_ATTRIBUTE_SUBJECT},
            "idp": idp,
            "advanced": {
                "strict": True,
                "want_assertion_signed": True,
                "want_message_signed": True,
                "reject_idp_initiated_sso": True,
                "reject_deprecated_algorithm": True,
            },
        },
    }


# OpenID Connect can be switched off when SAML is the company's protocol.
OIDC_ENABLED = env_bool("OIDC_ENABLED", True)
if not OIDC_ENABLED:
    SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"] = []

# Installed even when off, so its URLs exist; with no app configured they are 404s.
INSTALLED_APPS.append("allauth.socialaccount.providers.saml")
if SAML_ENABLED:
    _saml_idp = _saml_idp_settings()
    SOCIALACCOUNT_PROVIDERS["saml"] = {"APPS": [saml_app(_saml_idp)]}
    _saml_origin = "{0.scheme}://{0.netloc}".format(
        urlsplit(_saml_idp.get("metadata_url") or _saml_idp["sso_url"])
    )
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(_saml_origin)

# The experience: expected waits, the reply-to of e-mails, the default zone suggested to
# employees before their browser tells us theirs.
CLAIM_APPROVAL_EXPECTED_DAYS = env_int("CLAIM_APPROVAL_EXPECTED_DAYS", 2)
PARTNER_ACTIVATION_EXPECTED_DAYS = env_int("PARTNER_ACTIVATION_EXPECTED_DAYS", 5)
EMAIL_REPLY_TO = env_str("EMAIL_REPLY_TO", SUPPORT_EMAIL)
