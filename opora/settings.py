"""Opora settings: one module, driven by environment variables.

Every variable is listed in README.md ("Configuration"). A bad value fails
loudly at start-up; production mode refuses the demo secrets.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent

env = environ.Env()
if (PROJECT_DIR / ".env").is_file():
    env.read_env(str(PROJECT_DIR / ".env"))


def _secret(name: str, default: str) -> str:
    """Read a secret from NAME or from the file named by NAME_FILE (Docker/systemd style)."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return str(env.str(name, default=default))


# The demo values are public (they are in this file); production refuses them.
DEMO_SECRET_KEY = "opora-demo-secret-key-do-not-use-in-production-8f3a1c"  # noqa: S105
DEMO_ENCRYPTION_KEY = "b3BvcmEtZGVtby1rZXktbm90LWZvci1wcm9kdWN0aW8="

OPORA_ENV = env.str("OPORA_ENV", default="development")
if OPORA_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(
        f"OPORA_ENV must be development, production or test, not {OPORA_ENV!r}"
    )
PRODUCTION = OPORA_ENV == "production"

SECRET_KEY = _secret("SECRET_KEY", DEMO_SECRET_KEY)
# Comma-separated Fernet keys; the first encrypts, all decrypt (rotation).
OPORA_ENCRYPTION_KEYS = [
    k.strip() for k in _secret("OPORA_ENCRYPTION_KEY", DEMO_ENCRYPTION_KEY).split(",") if k.strip()
]
DEBUG = env.bool("OPORA_DEBUG", default=False)

if PRODUCTION:
    if SECRET_KEY == DEMO_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "OPORA_ENV=production needs its own SECRET_KEY (32+ characters), not the demo one."
        )
    if DEMO_ENCRYPTION_KEY in OPORA_ENCRYPTION_KEYS:
        raise ImproperlyConfigured(
            "OPORA_ENV=production needs its own OPORA_ENCRYPTION_KEY, not the demo one."
        )
    if DEBUG:
        raise ImproperlyConfigured("OPORA_DEBUG must be off when OPORA_ENV=production.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("OPORA_ENV=production needs ALLOWED_HOSTS.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
OPORA_BASE_URL = env.str("OPORA_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "axes",
    "csp",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "opora.core",
    "opora.accounts",
    "opora.clients",
    "opora.tickets",
    "opora.sla",
    "opora.channels",
    "opora.knowledge",
    "opora.quality",
    "opora.analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "opora.core.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "opora.urls"
WSGI_APPLICATION = "opora.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "opora.core.context_processors.shell",
                "opora.accounts.context_processors.availability_context",
            ],
        },
    }
]

# Database: SQLite (WAL) by default, PostgreSQL via DATABASE_URL.
DATA_DIR = Path(env.str("OPORA_DATA_DIR", default=str(PROJECT_DIR / "var")))
DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'opora.sqlite3'}")
_db: dict[str, Any] = env.db_url_config(DATABASE_URL)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        # IMMEDIATE: a writer takes the lock at BEGIN, so two writers queue on
        # busy_timeout instead of failing with "database is locked" mid-way.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
        ),
    }
    if _db["NAME"] not in ("", ":memory:"):
        Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db.setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    _db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
OPORA_INVITATION_DAYS = env.int("OPORA_INVITATION_DAYS", default=7)

# Brute-force protection: lock a username+IP pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("OPORA_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("OPORA_LOGIN_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION and OPORA_BASE_URL.startswith("https")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("OPORA_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy: no inline scripts, nothing from other origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Internationalisation: Russian first, English one click away.
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "opora_language"
TIME_ZONE = env.str("OPORA_TIME_ZONE", default="Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("OPORA_STATIC_ROOT", default=str(DATA_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and OPORA_ENV != "test"
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on a missing root
MEDIA_ROOT = Path(env.str("OPORA_MEDIA_ROOT", default=str(DATA_DIR / "media")))
WHITENOISE_USE_FINDERS = OPORA_ENV == "test"
# Attachments on ticket messages (MEDIA_ROOT is never served directly).
OPORA_ATTACHMENT_MAX_BYTES = env.int("OPORA_ATTACHMENT_MAX_MB", default=20) * 1024 * 1024
OPORA_ATTACHMENTS_PER_MESSAGE = env.int("OPORA_ATTACHMENTS_PER_MESSAGE", default=10)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Email: console in development (links appear in the terminal), SMTP otherwise.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Opora <support@opora.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
_email = env.email_url(
    "EMAIL_URL",
    default="consolemail://" if not PRODUCTION else "smtp://127.0.0.1:25",
)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 30

# Background jobs: rows in the database, written in the caller's transaction.
TASKS = {
    "default": {
        "BACKEND": env.str("OPORA_TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "email"],
    }
}
# The name on reports and their PDFs.
OPORA_COMPANY_NAME = env.str("OPORA_COMPANY_NAME", default="Opora")
OPORA_SCHEDULER_INTERVAL = env.float("OPORA_SCHEDULER_INTERVAL", default=5.0)

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "opora.core.logging.RedactSecretsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": env.str("OPORA_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

if OPORA_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": TASKS["default"]["QUEUES"],
        }
    }
    AXES_ENABLED = env.bool("OPORA_TEST_AXES", default=True)
