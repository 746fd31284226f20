"""Settings for the bank backend, read from environment variables only.

With nothing set it runs in development mode on a SQLite file next to manage.py.
Production sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL (see docs/operations.md).
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
# Fail closed: a development key exists only while DEBUG is on; with DEBUG off (anything
# that might face the internet) the process refuses to start without a real one.
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"
                     if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (or set DEBUG=1 for development).")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
# Render tells each web service its public host name.
if env.str("RENDER_EXTERNAL_HOSTNAME", default=""):
    ALLOWED_HOSTS.append(env.str("RENDER_EXTERNAL_HOSTNAME"))
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "bank_project.admin_site.BankAdminConfig",  # the admin, opened to managers
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files, not a CDN
    "accounts",
    "transactions",
    "loans",
    "services",
    "contact",
    "onboarding",  # joins accounts and the ledger: a new customer and their account
    "demo",  # seed_demo: demo data across every app
    "payments",
    # Issue 14: staff roles, four eyes, second factor, audit trail.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "audit",
    "staff",
    "approvals",
    "mfa",
    "django_celery_beat",  # the schedules live in the database, editable in the admin
    "notifications",
    "backoffice",
    "reports",
    "usersessions",  # server-side login sessions that every token is bound to
]

MIDDLEWARE = [
    "bank_project.middleware.RequestIdMiddleware",
    "audit.context.AuditContextMiddleware",  # request id and client IP for audit rows
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # the admin's session: verified by a second factor?
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "bank_project.urls"
WSGI_APPLICATION = "bank_project.wsgi.application"

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

# --- Database -----------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE: a writer takes the write lock at BEGIN, so concurrent writers queue
    # (up to `timeout` seconds) instead of failing with "database is locked" mid-way.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
else:
    # Django's backend, whose connection pool checks connections without a round trip.
    DATABASES["default"]["ENGINE"] = "bank_project.postgresql"
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Server-side parameters let psycopg prepare a statement after 5 runs on a connection,
    # so PostgreSQL stops re-planning it: planning was most of the ledger list's database
    # time (docs/benchmarks.md).
    # (Django turns psycopg's preparing off unless asked: it breaks behind PgBouncer in
    # transaction mode. DB_SERVER_SIDE_BINDING=0 for such a deployment.)
    if env.bool("DB_SERVER_SIDE_BINDING", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 5})
    else:
        # Behind PgBouncer (transaction pooling) a server-side cursor would not outlive its
        # statement's transaction either (Django's docs): .iterator() fetches client-side.
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    # Time limits on every connection, so that one stuck lock or query cannot hold a worker
    # (and every request queued behind it) until gunicorn kills it. A request that hits one
    # answers 503 with Retry-After, its transaction rolled back (docs/resilience.md).
    DB_TIME_LIMITS_MS = {
        "lock_timeout": env.int("DB_LOCK_TIMEOUT_MS", default=2000),
        "statement_timeout": env.int("DB_STATEMENT_TIMEOUT_MS", default=10000),
        "idle_in_transaction_session_timeout": env.int("DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", default=15000),
    }
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"]["options"] = " ".join(f"-c {name}={ms}" for name, ms in DB_TIME_LIMITS_MS.items())
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=3))
    # A pool per worker process (psycopg_pool through Django): a request waits up to
    # DB_POOL_TIMEOUT seconds for a connection instead of failing, and a connection that
    # cannot be made (PostgreSQL restarting, "too many clients") is retried in the
    # background. DB_POOL_MAX_SIZE=0 turns it off (persistent connections, CONN_MAX_AGE).
    if env.int("DB_POOL_MAX_SIZE", default=1) > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
            "max_size": env.int("DB_POOL_MAX_SIZE", default=1),
            "timeout": env.float("DB_POOL_TIMEOUT", default=3.0),
            "max_idle": env.float("DB_POOL_MAX_IDLE", default=300.0),
            # psycopg_pool retries a failed connection with doubling delays (1, 2, 4, 8 s, ...)
            # until this; then the next request starts a fresh attempt at once. Short, so a
            # restarted PostgreSQL is found within about a second, not after the next doubling.
            "reconnect_timeout": env.float("DB_POOL_RECONNECT_TIMEOUT", default=2.0),
        }
DATABASES["default"].setdefault("TEST", {})
if env.str("TEST_DATABASE_NAME", default=""):
    DATABASES["default"]["TEST"]["NAME"] = env.str("TEST_DATABASE_NAME")

# --- Read replica (issue 15): reads of read-only endpoints from a streaming standby ---
# Unset: no router, no middleware, every query on `default`. See bank_project/db_router.py.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=5)
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=2.0)
REPLICA_CHECK_SECONDS = env.float("REPLICA_CHECK_SECONDS", default=1.0)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["replica"]["ENGINE"] = "bank_project.postgresql"
    for _key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "DISABLE_SERVER_SIDE_CURSORS"):
        if _key in DATABASES["default"]:
            DATABASES["replica"][_key] = DATABASES["default"][_key]
    DATABASES["replica"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "connect_timeout": env.int("REPLICA_CONNECT_TIMEOUT", default=2),
    }
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["bank_project.db_router.ReplicaRouter"]
    MIDDLEWARE.append("bank_project.db_router.ReplicaMiddleware")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Cache: throttle counters and revoked tokens --------------------------------
# They must be seen by every worker process: Redis when configured, else the database.
REDIS_URL = env.str("REDIS_URL", default="")
# Seconds any call to Redis may take (cache, and the Celery broker's publishing below).
_REDIS_TIMEOUT = env.int("REDIS_TIMEOUT_MS", default=250) / 1000
if REDIS_URL:
    # Redis speeds things up but is never a single point of failure: short timeouts, errors
    # are cache misses (throttles fail open), and a circuit breaker stops calling a Redis
    # known to be down (bank_project/cache.py; docs/resilience.md).
    CACHES = {
        "default": {
            "BACKEND": "bank_project.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "bank",
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": _REDIS_TIMEOUT,
                "SOCKET_TIMEOUT": _REDIS_TIMEOUT,
                "IGNORE_EXCEPTIONS": True,
                "CIRCUIT_BREAKER": {
                    "name": "redis",
                    "fail_max": env.int("REDIS_BREAKER_FAILURES", default=1),
                    "reset_timeout": env.float("REDIS_BREAKER_RESET_SECONDS", default=5.0),
                },
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "bank_cache",
        }
    }

# --- Resilience (docs/resilience.md) ------------------------------------------------------
# Retry-After on 503 answers (database briefly away, a time limit hit).
RETRY_AFTER_SECONDS = env.int("RETRY_AFTER_SECONDS", default=2)
# Seconds /readyz waits for a pooled database connection before calling the database down.
READYZ_DB_TIMEOUT = env.float("READYZ_DB_TIMEOUT", default=1.0)

# --- Passwords ------------------------------------------------------------------
PASSWORD_HASHERS = [
    "accounts.hashers.BankArgon2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
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
# Tests and `runserver` without collectstatic still serve files straight from the apps.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)

# Bodies larger than this are refused with 413 before they are parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=256 * 1024)

# --- Security ---------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "x-request-id",
    "x-otp-code",
)

# --- API -----------------------------------------------------------------------------
# API_THROTTLE=off lifts every throttle (load tests and benchmarks run from one address).
API_THROTTLE = env.str("API_THROTTLE", default="on").lower() not in ("off", "0", "false", "no")
THROTTLE_RATES = {
    "anon": env.str("THROTTLE_ANON", default="300/min"),
    "user": env.str("THROTTLE_USER", default="1200/min"),
    "register": env.str("THROTTLE_REGISTER", default="10/hour"),
    "contact": env.str("THROTTLE_CONTACT", default="10/min"),
    "money": env.str("THROTTLE_MONEY", default="120/min"),
    "mfa": env.str("THROTTLE_MFA", default="10/min"),
}
# Failed logins allowed per window before 429, counted per username and per client IP.
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=60)
LOGIN_FAILURES_PER_USERNAME = env.int("LOGIN_FAILURES_PER_USERNAME", default=5)
LOGIN_FAILURES_PER_IP = env.int("LOGIN_FAILURES_PER_IP", default=20)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BankJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": [
        "bank_project.api.throttling.AnonRateThrottle",
        "bank_project.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "bank_project.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "bank_project.api.renderers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "bank_project.api.pagination.PagePagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "bank_project.api.exceptions.api_exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    # Client IPs for throttling come from REMOTE_ADDR unless we sit behind known proxies:
    # trusting X-Forwarded-For blindly would let anyone pick their own throttle bucket.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
if not DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["bank_project.api.renderers.JSONRenderer"]

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=30)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "AUTH_HEADER_TYPES": ("Bearer", "Token"),
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "UPDATE_LAST_LOGIN": False,
}

# Login sessions (usersessions): a session ends after this long without a request, and at
# the latest this long after login, whatever its tokens' own expiry says.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_MAX_HOURS = env.int("SESSION_MAX_HOURS", default=12)

SPECTACULAR_SETTINGS = {
    "TITLE": "Bank API",
    "DESCRIPTION": (
        "Customers deposit, withdraw, transfer and borrow; managers oversee every movement "
        "of money and decide on loans. Authenticate with `Authorization: Bearer <access>` "
        "(the token from `POST /api/login/`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's JavaScript and CSS come from our static files: no third-party script on
    # the docs page, and the page works where no CDN can be reached.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["bank_project.schema.exclude_legacy_paths"],
    # Views scope querysets to the caller: describe them as a manager sees them.
    "GET_MOCK_REQUEST": "bank_project.schema.mock_request_as_manager",
    # Several models have a `kind` or `status`: name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "AccountKindEnum": "transactions.models.Account.Kind",
        "TransactionKindEnum": "transactions.models.Transaction.Kind",
        "AccountStatusEnum": "transactions.models.Account.Status",
        "LoanStatusEnum": "loans.models.Loan.Status",
        "PaymentStatusEnum": "payments.models.Payment.Status",
        "StaffRoleEnum": "staff.capabilities.ROLE_CHOICES",
        "UserRoleEnum": ["customer", "manager", "user"],
        "ReligionEnum": "accounts.models.Religion",
        "AccountTypeEnum": "accounts.models.AccountType",
    },
}

# --- The bank's own rules ---------------------------------------------------------------
BANK_CURRENCY = env.str("BANK_CURRENCY", default="BDT")
# The bank's name on printed statements.
BANK_NAME = env.str("BANK_NAME", default="Bank")
# Entries a PDF statement may hold; a longer period is refused (400): about 4 s per 5,000.
STATEMENT_PDF_MAX_LINES = env.int("STATEMENT_PDF_MAX_LINES", default=5000)
# Largest amount a single deposit, withdrawal or transfer may move.
MAX_TRANSACTION_AMOUNT = Decimal(env.str("MAX_TRANSACTION_AMOUNT", default="1000000.00"))
IDEMPOTENCY_KEY_TTL_HOURS = 24
# Rows each bank-internal account (cash, loans receivable, ...) is split into, so that
# postings to it do not all queue on one locked row (docs/architecture.md, "No hot row").
# Raising it takes effect at the next `manage.py migrate` (which creates the new rows).
LEDGER_INTERNAL_SHARDS = env.int("LEDGER_INTERNAL_SHARDS", default=128)
# The posting writer (transactions/writer.py, docs/architecture.md): the unix socket of this
# node's `manage.py run_posting_writer`, which commits several requests' transfers in one
# database transaction. Empty: every request posts its own transfer. With the path set and
# no writer listening there, requests post their own too.
POSTING_WRITER_SOCKET = env.str("POSTING_WRITER_SOCKET", default="")
# How long a request waits for the writer's answer before posting the transfer itself (it
# then finds out, under the accounts' locks, whether the writer posted it after all).
POSTING_WRITER_WAIT_SECONDS = env.float("POSTING_WRITER_WAIT_SECONDS", default=2.0)
# Transfers a writer commits together at most.
POSTING_WRITER_BATCH = env.int("POSTING_WRITER_BATCH", default=32)
# Rows a CSV export carries at most.
CSV_EXPORT_MAX_ROWS = env.int("CSV_EXPORT_MAX_ROWS", default=10000)

# Reports: how long a computed staff summary is reused (seconds).
REPORTS_CACHE_SECONDS = env.int("REPORTS_CACHE_SECONDS", default=60)

# Loans: defaults and underwriting guard rails.
LOAN_DEFAULT_ANNUAL_INTEREST_RATE = Decimal(env.str("LOAN_DEFAULT_ANNUAL_INTEREST_RATE", default="12.00"))
LOAN_MAX_AMOUNT = Decimal(env.str("LOAN_MAX_AMOUNT", default="5000000.00"))
LOAN_MAX_OPEN_PER_CUSTOMER = env.int("LOAN_MAX_OPEN_PER_CUSTOMER", default=3)
LOAN_MAX_INCOME_MULTIPLE = Decimal(env.str("LOAN_MAX_INCOME_MULTIPLE", default="20"))

# --- Payments: customer deposits through a gateway (see docs/operations.md) --------------
# The web client's origin: the browser's return from a gateway is redirected there.
FRONTEND_URL = env.str("FRONTEND_URL", default="http://localhost:3000").rstrip("/")
# "sandbox" (the backend's own checkout page) or "sslcommerz"; none in production unless set,
# and then a customer's deposit answers 503 (teller deposits still work).
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default="sandbox" if DEBUG else "")
PAYMENT_EXPIRY_MINUTES = env.int("PAYMENT_EXPIRY_MINUTES", default=30)
# reconcile_payments also asks about payments that expired this recently.
PAYMENT_RECONCILE_LOOKBACK_HOURS = env.int("PAYMENT_RECONCILE_LOOKBACK_HOURS", default=24)
# This backend's public URL, for the gateway's return and notification URLs and payment_url
# (default: taken from the request, which behind a proxy needs ALLOWED_HOSTS/X-Forwarded-Proto right).
PAYMENT_CALLBACK_BASE_URL = env.str("PAYMENT_CALLBACK_BASE_URL", default="").rstrip("/")
# Signs the sandbox's notifications (default: derived from SECRET_KEY).
PAYMENT_SANDBOX_SECRET = env.str("PAYMENT_SANDBOX_SECRET", default="")
SSLCOMMERZ_STORE_ID = env.str("SSLCOMMERZ_STORE_ID", default="")
SSLCOMMERZ_STORE_PASSWORD = env.str("SSLCOMMERZ_STORE_PASSWORD", default="")
SSLCOMMERZ_LIVE = env.bool("SSLCOMMERZ_LIVE", default=False)
# Overrides the sandbox/live host (tests point it at a local fake server).
SSLCOMMERZ_API_URL = env.str("SSLCOMMERZ_API_URL", default="")
SSLCOMMERZ_TIMEOUT_SECONDS = env.int("SSLCOMMERZ_TIMEOUT_SECONDS", default=10)
# --- Staff: four eyes and a second factor (issue 14; docs/operations.md) -----------------
# Reversals, unfreezes, role changes and loan approvals above FOUR_EYES_LOAN_AMOUNT wait
# for a second staff member's approval.
FOUR_EYES_ENABLED = env.bool("FOUR_EYES_ENABLED", default=True)
FOUR_EYES_LOAN_AMOUNT = Decimal(env.str("FOUR_EYES_LOAN_AMOUNT", default="100000.00"))
# Staff need TOTP for risky actions and for the admin (on unless DEBUG).
STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", default=not DEBUG)
# Capabilities are cached per user (deleted whenever roles or permissions change).
STAFF_CAPABILITY_CACHE_SECONDS = env.int("STAFF_CAPABILITY_CACHE_SECONDS", default=300)
MFA_STEP_UP_SECONDS = env.int("MFA_STEP_UP_SECONDS", default=300)
MFA_RECOVERY_CODES = 10
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Bank")
# django-otp: failed codes lock a device for 1, 2, 4, ... seconds.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# --- Close of business (backoffice app; docs/backoffice.md) -------------------------------
# Annual interest on savings, percent, by the customer's account type (any letter case); types
# not named earn nothing. Env form: SAVINGS_ANNUAL_RATE="SAVINGS=4.00,JOINT=4.00".
SAVINGS_ANNUAL_RATE = {
    kind: Decimal(rate) for kind, rate in env.dict("SAVINGS_ANNUAL_RATE", default={"SAVINGS": "4.00"}).items()
}
# An installment still unpaid this many days after its due date is overdue and charged LOAN_LATE_FEE once.
LOAN_GRACE_DAYS = env.int("LOAN_GRACE_DAYS", default=5)
LOAN_LATE_FEE = Decimal(env.str("LOAN_LATE_FEE", default="200.00"))
# Customers are told this many days before an installment falls due.
INSTALLMENT_REMINDER_DAYS = env.int("INSTALLMENT_REMINDER_DAYS", default=3)
# Housekeeping hooks of other apps, each `(*, now)` returning counts; a path that does not import is skipped.
CLOSE_OF_BUSINESS_HOOKS = env.list("CLOSE_OF_BUSINESS_HOOKS", default=[
    "payments.services.reconcile",  # issue 12: settle what gateways confirm, expire unpaid pending payments
    "usersessions.services.purge_expired",  # issue 11: end idle and too-old API sessions, delete long-ended ones
])

# --- Task queue: Celery with Redis as the broker, schedules from django-celery-beat ---------
# Without a broker (or a worker) nothing breaks: the API writes outbox rows and enqueues
# with short timeouts; a failed enqueue is logged and the row waits for the next sweep.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "redis://127.0.0.1:6379/0")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True  # no result backend: tasks record their outcome in the database
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the message for another: at least once
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Publishing from a web request must not hang on a dead broker: fail fast, the outbox keeps the row.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
# Redis's own timeouts (REDIS_TIMEOUT_MS): a frozen Redis held each worker's first enqueue 2 s
# (fault suite: p99 2.3 s during the freeze); notifications keep their own breaker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": _REDIS_TIMEOUT, "socket_timeout": _REDIS_TIMEOUT,
                                   "max_retries": 0}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Email: console in development, SMTP from EMAIL_URL in production -------------------
# EMAIL_URL=smtp+tls://user:password@smtp.example.com:587 (django-environ's email URL).
vars().update(env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Bank <no-reply@bank.example>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# --- Logging: one line per request, with its id ---------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "bank_project.middleware.JsonLogFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "loggers": {
        "bank.request": {"handlers": ["console"], "level": env.str("REQUEST_LOG_LEVEL", default="INFO"), "propagate": False},
        "django": {"handlers": ["console"], "level": "WARNING"},
        "bank.payments": {"handlers": ["console"], "level": env.str("PAYMENTS_LOG_LEVEL", default="INFO")},
        "bank.replica": {"handlers": ["console"], "level": "WARNING"},
        # Redis circuit breaker state changes; 503s with their cause and request id.
        "bank.cache": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "bank.errors": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # The posting writer's start and stop, and every order it did not post.
        "bank.ledger.writer": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
