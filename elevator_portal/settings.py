"""Settings for the elevator safety supervision portal, read from the environment.

Every setting that differs between a laptop and the city's servers comes from an environment variable
(see README "Configuration"). Defaults are for `make run`: SQLite, no broker server, DEBUG on.
"""

import os
from datetime import date, timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    value = os.getenv(name, default).lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"{name} must be true or false, not {value!r}")
    return value in ("true", "1", "yes")


def envint(name: str, default: int) -> int:
    return int(os.getenv(name, str(default)))


DEBUG = envbool("DEBUG", "true")
SECRET_KEY = os.getenv("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
ALLOWED_HOSTS = os.getenv("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.getenv("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SITE_URL = os.getenv("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "csp",
    "accounts",
    "workdays",
    "registry",
    "inspections",
    "maintenance",
    "maintenance.faults",
    "maintenance.credit",
    "rescue",
    "preparedness",
    "iot",
    "departments",
    "complaints",
    "monitoring",
    "dashboards",
    "notifications",
    "demo",
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # TRACE, CONNECT and unknown methods: 405 before any view (elevator_portal/methods.py).
    "elevator_portal.methods.KnownMethodsMiddleware",
    # 413 for a body over REQUEST_MAX_BODY_BYTES before it is read, or a file over its cap while it is (uploads.py).
    "elevator_portal.uploads.RequestSizeMiddleware",
    # 400 for a query parameter holding NUL (`?q=%00`), which PostgreSQL cannot compare (elevator_portal/filters.py).
    "elevator_portal.filters.NulParameterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The Content-Security-Policy header (CONTENT_SECURITY_POLICY below) and request.csp_nonce for templates.
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it answers a locked-out login with the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Throttled logins (django-axes): every password check (the login page, the admin's) goes through its backend first.
# After LOGIN_FAILURE_LIMIT wrong passwords for one account, or from one client address, further attempts are refused
# for LOGIN_LOCKOUT_MINUTES (each new failure during the lockout restarts it); failed attempts are kept (admin:
# "Access failures") for the audit. The address is REMOTE_ADDR only, as for the complaint limits: the reverse proxy
# must set it to the real client (README "Deploying"). A success clears the account's count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
# API tokens and Open311 partner keys are stored hashed and expire after this many days (issue 14).
API_TOKEN_DAYS = envint("API_TOKEN_DAYS", 365)
# Wrong or expired API tokens from one address per hour before its token requests are refused (429).
API_TOKEN_FAILURES_PER_HOUR = envint("API_TOKEN_FAILURES_PER_HOUR", 20)
OPEN311_KEY_DAYS = envint("OPEN311_KEY_DAYS", 365)
# Wrong Open311 api_keys from one address before that address is refused for the hour (complaints.ratelimits).
OPEN311_BAD_KEYS_PER_HOUR = envint("OPEN311_BAD_KEYS_PER_HOUR", 10)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False  # no banner on every manage.py command
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"

ROOT_URLCONF = "elevator_portal.urls"
WSGI_APPLICATION = "elevator_portal.wsgi.application"

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
                "registry.context_processors.portal",
                "notifications.context_processors.unread",
            ],
        },
    },
]

# SQLite is the embedded default for `make run`; production and CI use PostgreSQL through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        conn_max_age=envint("CONN_MAX_AGE", 60),
        # A kept connection is checked before each request reuses it: after a database restart the first request
        # reconnects instead of failing (issue 14).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation costs 50 ms and more on every big aggregate (dashboards, jobs) and pays off only for long
    # analytical queries; a web portal is better without it (bench/README.md).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.getenv("MEDIA_ROOT", BASE_DIR / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Request size caps (issue 14: nothing read whole into memory; elevator_portal/uploads.py):
# - an uploaded file larger than FILE_UPLOAD_MAX_MEMORY_SIZE is spooled to a temporary file, not kept in memory;
# - DATA_UPLOAD_MAX_MEMORY_SIZE caps a body's fields other than files (a form, a JSON body of the API);
# - REQUEST_MAX_BODY_BYTES caps a whole request: a larger Content-Length is a 413 before anything reads the body;
# - UPLOAD_MAX_FILE_BYTES (below, the largest per-form limit) stops one file's upload while it is read, a 413.
FILE_UPLOAD_MAX_MEMORY_SIZE = envint("FILE_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 20 * 1024 * 1024)
REQUEST_MAX_BODY_BYTES = envint("REQUEST_MAX_BODY_BYTES", 64 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "elevator_portal.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# The deepest nesting of a JSON body (or of a multipart field holding JSON) the API parses; deeper is a 400.
API_JSON_MAX_DEPTH = envint("API_JSON_MAX_DEPTH", 32)

REDIS_URL = os.getenv("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # A file cache is shared by the web process and the worker of `make run`, unlike locmem.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": BASE_DIR / "var" / "cache",
        }
    }

EMAIL_BACKEND = os.getenv("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.getenv("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.getenv("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "false")
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "电梯安全监管平台 <noreply@localhost>")

# Celery: Redis in production; kombu's filesystem transport needs no server for `make run`.
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if not REDIS_URL:
    _queue_dir = BASE_DIR / "var" / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "out"),
        "data_folder_out": str(_queue_dir / "out"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
    }
    # The transport needs its folders before the first task is sent (a command may send one before `make run`).
    for _folder in ("out", "processed", "control"):
        (_queue_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", "false")
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TIMEZONE = TIME_ZONE
# Two queues, so that a long job never delays a short one (README "Scaling out"): `slow` for imports and the
# jobs that walk the whole registry, `fast` for short work someone is waiting on. Every task is routed here by
# name (tests/test_scale_out.py checks that none is left to the default).
CELERY_TASK_DEFAULT_QUEUE = "fast"
CELERY_TASK_ROUTES = {
    "registry.tasks.import_run_task": {"queue": "slow"},
    # Every minute and a few rows: it must never wait behind the import it rescues.
    "registry.tasks.requeue_stale_jobs_task": {"queue": "fast"},
    "monitoring.tasks.risk_scan_task": {"queue": "slow"},
    "inspections.tasks.send_reminders_task": {"queue": "slow"},
    "maintenance.tasks.maintenance_overdue_task": {"queue": "slow"},
    "maintenance.tasks.contracts_roll_task": {"queue": "slow"},
    "maintenance.credit.tasks.credit_evaluate_task": {"queue": "slow"},
    # Walks every elevator in use (drills) and every use unit: a whole-registry scan.
    "preparedness.tasks.preparedness_check_task": {"queue": "slow"},
    # Hourly and small (only the complaints past their deadline), and a supervisor is waiting for it.
    "complaints.tasks.escalate_complaints_task": {"queue": "fast"},
    # Every 5 minutes and one query when no entrapment has reached 2 hours; people may still be trapped.
    "maintenance.faults.tasks.entrapment_accidents_task": {"queue": "fast"},
    # Daily and one query when nothing is missing.
    "complaints.tasks.check_calendar_task": {"queue": "fast"},
    # People are trapped: the outbox and the escalation ladder never wait behind an import.
    "notifications.tasks.deliver_outbox_task": {"queue": "fast"},
    "rescue.tasks.rescue_ladder_task": {"queue": "fast"},
    # Every 5 minutes, one query when every device is heard from (iot/jobs.py).
    "iot.tasks.check_devices_task": {"queue": "fast"},
}
if REDIS_URL:
    # Redis hands an unacknowledged task (acks_late) to another worker after the visibility timeout; it must
    # outlast the longest task (the import, 1 h) or a second worker would start the same task while it still runs.
    # A task whose whole worker was killed is run again after it (a killed pool process: at once, by
    # reject_on_worker_lost); an import does not wait for it: the watchdog takes the job back (IMPORT_STALE_SECONDS).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_BEAT_SCHEDULE = {
    "inspection-reminders": {
        "task": "inspections.tasks.send_reminders_task",
        "schedule": crontab(hour=7, minute=0),
    },
    "maintenance-overdue": {
        "task": "maintenance.tasks.maintenance_overdue_task",
        "schedule": crontab(hour=7, minute=15),
    },
    "maintenance-contracts": {
        "task": "maintenance.tasks.contracts_roll_task",
        "schedule": crontab(hour=0, minute=5),
    },
    "credit-evaluation": {
        "task": "maintenance.credit.tasks.credit_evaluate_task",
        "schedule": crontab(hour=2, minute=0),
    },
    # docs/rules.md "Key monitoring" (plan §2(4)): flag old and troubled elevators every night.
    "risk-scan": {
        "task": "monitoring.tasks.risk_scan_task",
        "schedule": crontab(hour=3, minute=0),
    },
    # docs/rules.md "Preparedness" (plan §2(7), §2(12); TSG T5002-2017): drills due and overdue, liability policies
    # ending, use units without a valid safety manager; each reminder once per cycle.
    "preparedness-check": {
        "task": "preparedness.tasks.preparedness_check_task",
        "schedule": crontab(hour=7, minute=30),
    },
    # docs/rules.md "Complaint handling": overdue complaints escalate to the department's supervisor.
    "complaint-escalation": {
        "task": "complaints.tasks.escalate_complaints_task",
        "schedule": crontab(minute=20),
    },
    # 特种设备安全监察条例 §64: an entrapment still open 2 hours after the report is an accident; regulators hear of
    # it within 5 minutes (maintenance.faults.jobs).
    "entrapment-accidents": {
        "task": "maintenance.faults.tasks.entrapment_accidents_task",
        "schedule": crontab(minute="*/5"),
    },
    # docs/rules.md "Entrapment rescue loop": deliver what a kick missed (broker down at the write), and take the
    # escalation steps that are due; both cheap when there is nothing to do.
    "outbox-sweep": {
        "task": "notifications.tasks.deliver_outbox_task",
        "schedule": timedelta(seconds=15),
    },
    "rescue-ladder": {
        "task": "rescue.tasks.rescue_ladder_task",
        "schedule": timedelta(seconds=20),
    },
    # docs/architecture.md "Jobs": no import job stays pending or running for ever (registry.imports).
    "import-watchdog": {
        "task": "registry.tasks.requeue_stale_jobs_task",
        "schedule": timedelta(seconds=60),
    },
    # GB/T 24476-2017: a monitoring device gone silent is reported to the firm once per silence (iot/jobs.py).
    "iot-offline": {
        "task": "iot.tasks.check_devices_task",
        "schedule": crontab(minute="*/5"),
    },
    # docs/rules.md "Working days": warn the city regulators when next year's holidays are not on record.
    "calendar-check": {
        "task": "complaints.tasks.check_calendar_task",
        "schedule": crontab(hour=6, minute=30),
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so that a request without credentials gets 401 with a WWW-Authenticate header.
        "accounts.authentication.ApiTokenAuthentication",  # hashed keys with an expiry (issue 14)
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # django-filter's, with id filters beyond 64 bits refused (elevator_portal/filtering.py).
    "DEFAULT_FILTER_BACKENDS": ["elevator_portal.filtering.CheckedFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Services' ValidationError → 400 with the field messages (elevator_portal/api.py).
    "EXCEPTION_HANDLER": "elevator_portal.api.exception_handler",
    # JSON with a depth limit and no NUL in texts (API_JSON_MAX_DEPTH; issue 14: a 400, never a RecursionError).
    "DEFAULT_PARSER_CLASSES": [
        "elevator_portal.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # JSON only unless API_BROWSABLE (below) turns DRF's HTML pages on.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
# DRF's browsable HTML API: on in development (DEBUG), off in production unless API_BROWSABLE=true (issue 14: it
# shows forms for every write and the site's inner structure to anyone who can sign in).
API_BROWSABLE = envbool("API_BROWSABLE", "true" if DEBUG else "false")
if API_BROWSABLE:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")
# /api/schema/ and /api/docs/ need a signed-in user (session or token) unless API_SCHEMA_PUBLIC=true.
API_SCHEMA_PUBLIC = envbool("API_SCHEMA_PUBLIC", "false")
SPECTACULAR_SETTINGS = {
    "TITLE": "攀枝花市电梯安全监管平台 API",
    "DESCRIPTION": "Elevator safety supervision portal of Panzhihua (攀办发〔2019〕92号).",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    # The refusals every write may answer (400 with field messages, 403, 404), stated once (elevator_portal/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "elevator_portal.schema.add_error_responses",
    ],
    # One schema name per choice set: fields of the same name ("kind", "status", "result", "source") hold
    # different choices in different resources.
    "ENUM_NAME_OVERRIDES": {
        f"{name}Enum": f"{module}.{name}"
        for module, names in {
            "accounts.choices": ["Role"],
            "complaints.choices": ["Status", "Source", "EventKind"],
            "departments.choices": ["Category"],
            "inspections.choices": ["InspectionKind", "ApplicationStatus", "InspectionResult", "DefectStatus"],
            "maintenance.choices": [
                "ContractStatus",
                "Tier",
                "ItemResult",
                "RecordStatus",
                "AttachmentKind",
                "FaultSource",
                "FaultKind",
                "FaultCause",
                "Grade",
            ],
            "registry.choices": [
                "DistrictLevel",
                "OrganizationKind",
                "PersonKind",
                "ElevatorType",
                "BuildingKind",
                "ElevatorStatus",
                "MaintenanceFund",
                "InspectionStatus",
                "ImportKind",
                "ImportStatus",
                "RiskReason",
                "RiskAssessment",
            ],
        }.items()
        for name in names
    },
}

# Domain settings (docs/rules.md).
EMERGENCY_HOTLINE = os.getenv("EMERGENCY_HOTLINE", "96333")
INSPECTION_INTERVAL_MONTHS = envint("INSPECTION_INTERVAL_MONTHS", 12)
# Plan §2(7): the use unit applies one month before the validity ends; within this many days a lift shows as expiring.
INSPECTION_EXPIRING_DAYS = envint("INSPECTION_EXPIRING_DAYS", 30)
# "inspections.validity.tsg_t7001_2023" turns on the multi-year cycle.
INSPECTION_VALIDITY_FUNCTION = os.getenv("INSPECTION_VALIDITY_FUNCTION", "inspections.validity.fixed_interval")
INSPECTION_REPORT_MAX_BYTES = envint("INSPECTION_REPORT_MAX_BYTES", 10 * 1024 * 1024)
EVIDENCE_MAX_BYTES = envint("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)
# 特种设备安全法 §40: the use unit applies one calendar month before the validity ends; it is reminded this many days
# before that deadline, and again on it.
INSPECTION_REMINDER_DAYS_BEFORE_DEADLINE = envint("INSPECTION_REMINDER_DAYS_BEFORE_DEADLINE", 7)
# Plan §2(7): the maintenance firm is told this many days before the validity ends, still without an application.
REMINDER_MAINTENANCE_DAYS = envint("REMINDER_MAINTENANCE_DAYS", 15)
# Licences and certificates: a reminder this many days before they end, and an alert once they have.
REMINDER_LICENCE_DAYS = envint("REMINDER_LICENCE_DAYS", 30)
# 特种设备安全监察条例 §31: maintenance at least every 15 days.
MAINTENANCE_INTERVAL_DAYS = envint("MAINTENANCE_INTERVAL_DAYS", 15)
# Integrity check: a routine visit shorter than this is suspicious (minutes).
MAINTENANCE_MIN_VISIT_MINUTES = envint("MAINTENANCE_MIN_VISIT_MINUTES", 30)
ATTACHMENT_MAX_BYTES = envint("ATTACHMENT_MAX_BYTES", 8 * 1024 * 1024)
BULK_UPLOAD_MAX_RECORDS = envint("BULK_UPLOAD_MAX_RECORDS", 500)
# TSG T5002 §5 and city rules: rescue arrival limit in minutes, per district division code.
RESCUE_ARRIVAL_MINUTES = {"510402": 30, "510403": 30, "510411": 30, "510421": 60, "510422": 60}
RESCUE_ARRIVAL_DEFAULT_MINUTES = 60
# 条例 §64: trapped this long or longer counts as an accident.
ENTRAPMENT_ACCIDENT_MINUTES = 120
# The entrapment rescue loop (docs/rules.md "Entrapment rescue loop"; plan §2(10)):
# - the firm acknowledges (接警) within RESCUE_ACK_MINUTES of the first report, else its duty manager and the use
#   unit are alerted; RESCUE_ESCALATE_MINUTES after the report, still unacknowledged, the district regulator and the
#   96333 centre;
# - RESCUE_ARRIVAL_WARNING_MINUTES before the district's arrival limit, and at it, the same people are warned;
# - an entrapment not released RESCUE_INCIDENT_OPEN_HOURS after its report is no longer "open" for new reports to
#   join (left-over data; it stays an accident); a new report then opens a new incident.
RESCUE_ACK_MINUTES = envint("RESCUE_ACK_MINUTES", 5)
RESCUE_ESCALATE_MINUTES = envint("RESCUE_ESCALATE_MINUTES", 10)
RESCUE_ARRIVAL_WARNING_MINUTES = envint("RESCUE_ARRIVAL_WARNING_MINUTES", 5)
RESCUE_INCIDENT_OPEN_HOURS = envint("RESCUE_INCIDENT_OPEN_HOURS", 24)
# Reports of a trapped passenger have their own per-address limit, far above the complaint limit (shared carrier
# NAT puts many residents behind one address): RESCUE_REPORTS_PER_HOUR per address.
RESCUE_REPORTS_PER_HOUR = envint("RESCUE_REPORTS_PER_HOUR", 120)
# Preparedness (docs/rules.md "Preparedness"; plan §2(7), §2(12)):
# - TSG T5002-2017: each elevator gets an emergency drill at least every DRILL_INTERVAL_MONTHS calendar months (a
#   drill on 31 August is next due on the last day of February); the use unit and firm are reminded
#   DRILL_REMINDER_DAYS before, and alerted once when it is overdue;
# - the insured use unit is reminded INSURANCE_REMINDER_DAYS before its liability policy ends;
# - files (plans, rules, policies, certificate scans, drill photos) up to PREPAREDNESS_FILE_MAX_BYTES each.
DRILL_INTERVAL_MONTHS = envint("DRILL_INTERVAL_MONTHS", 6)
DRILL_REMINDER_DAYS = envint("DRILL_REMINDER_DAYS", 30)
INSURANCE_REMINDER_DAYS = envint("INSURANCE_REMINDER_DAYS", 30)
PREPAREDNESS_FILE_MAX_BYTES = envint("PREPAREDNESS_FILE_MAX_BYTES", 10 * 1024 * 1024)
# The durable outbox (notifications/outbox.py): retry after BASE seconds, doubling, at most MAX seconds apart, never
# giving up; the relay (`deliver_outbox --loop`) looks for due messages every OUTBOX_POLL_SECONDS. OUTBOX_KICK asks
# a Celery worker to deliver right after each write.
OUTBOX_RETRY_BASE_SECONDS = envint("OUTBOX_RETRY_BASE_SECONDS", 10)
OUTBOX_RETRY_MAX_SECONDS = envint("OUTBOX_RETRY_MAX_SECONDS", 600)
OUTBOX_POLL_SECONDS = float(os.getenv("OUTBOX_POLL_SECONDS", "1"))
OUTBOX_KICK = envbool("OUTBOX_KICK", "true")
# A worker's claim on a message: if it dies mid-send, the message is due again this many seconds later.
OUTBOX_LEASE_SECONDS = envint("OUTBOX_LEASE_SECONDS", 60)
# IoT ingestion (GB/T 24476-2017; plan §2(14); iot/services.py, README "IoT ingestion"):
# - an event may be stamped up to IOT_CLOCK_SKEW_SECONDS ahead of the server's clock (the rescue loop's own skew is
#   2 minutes: keep this no larger) and no more than IOT_MAX_EVENT_AGE_HOURS in the past (a device's buffer after an
#   outage); a payload at most IOT_PAYLOAD_MAX_BYTES of JSON;
# - POST /api/v1/iot/events/ takes at most IOT_HTTP_MAX_BYTES of body and IOT_BATCH_MAX_EVENTS events;
# - `manage.py ingest_mqtt` subscribes to $share/IOT_MQTT_GROUP/IOT_MQTT_TOPIC/+/events on IOT_MQTT_HOST:PORT (MQTT
#   v5; every consumer of the group gets a share) and stores IOT_MQTT_BATCH messages or IOT_MQTT_BATCH_MS at a time;
# - a device silent for IOT_OFFLINE_MINUTES is reported to its elevator's firm once (iot/jobs.py).
IOT_CLOCK_SKEW_SECONDS = envint("IOT_CLOCK_SKEW_SECONDS", 120)
IOT_MAX_EVENT_AGE_HOURS = envint("IOT_MAX_EVENT_AGE_HOURS", 72)
IOT_PAYLOAD_MAX_BYTES = envint("IOT_PAYLOAD_MAX_BYTES", 2048)
IOT_HTTP_MAX_BYTES = envint("IOT_HTTP_MAX_BYTES", 1024 * 1024)
IOT_BATCH_MAX_EVENTS = envint("IOT_BATCH_MAX_EVENTS", 500)
IOT_MQTT_HOST = os.getenv("IOT_MQTT_HOST", "127.0.0.1")
IOT_MQTT_PORT = envint("IOT_MQTT_PORT", 1883)
IOT_MQTT_USERNAME = os.getenv("IOT_MQTT_USERNAME", "")
IOT_MQTT_PASSWORD = os.getenv("IOT_MQTT_PASSWORD", "")
IOT_MQTT_TOPIC = os.getenv("IOT_MQTT_TOPIC", "elevators")
IOT_MQTT_GROUP = os.getenv("IOT_MQTT_GROUP", "portal-ingest")
IOT_MQTT_BATCH = envint("IOT_MQTT_BATCH", 500)
IOT_MQTT_BATCH_MS = envint("IOT_MQTT_BATCH_MS", 200)
IOT_OFFLINE_MINUTES = envint("IOT_OFFLINE_MINUTES", 30)
# Plan §2(4) key monitoring (docs/rules.md "Key monitoring"), checked by the daily risk scan on elevators in use:
# - in use MORE than RISK_AGE_YEARS years (commissioned before today minus that many years; exactly 15 is not
#   yet "超过15年");
# - over the last 12 months, at least RISK_FAULTS_12M faults whose cause is not external (a power cut is not the
#   elevator's doing), at least RISK_COMPLAINTS_12M valid complaints, or at least RISK_ENTRAPMENTS_12M entrapments;
# - more such faults than RISK_FAILURE_PERCENTILE of the same type (below).
RISK_AGE_YEARS = envint("RISK_AGE_YEARS", 15)
# How long the dashboards' registry and fault figures may stay in the cache. They are keyed by a data version that
# every change raises (dashboards.models.DataVersion), so this bounds memory, not staleness; 0 turns caching off.
DASHBOARD_CACHE_SECONDS = envint("DASHBOARD_CACHE_SECONDS", 24 * 3600)
RISK_FAULTS_12M = envint("RISK_FAULTS_12M", 6)
RISK_COMPLAINTS_12M = envint("RISK_COMPLAINTS_12M", 3)
RISK_ENTRAPMENTS_12M = envint("RISK_ENTRAPMENTS_12M", 2)
# Plan §2(4) names 住宅电梯 for the age rule: the building kinds it scans (registry.choices.BuildingKind values,
# comma-separated; checked against them at start-up by monitoring/checks.py).
RISK_AGE_BUILDING_KINDS = tuple(
    kind.strip() for kind in os.getenv("RISK_AGE_BUILDING_KINDS", "residential").split(",") if kind.strip()
)
# Plan §2(4) 运行故障率明显偏高, relative to the city: more faults (cause not external) over the last 12 months than
# this percentile of the city's elevators in use of the same type (1–99).
RISK_FAILURE_PERCENTILE = envint("RISK_FAILURE_PERCENTILE", 95)
if not 0 < RISK_FAILURE_PERCENTILE < 100:
    raise ValueError(f"RISK_FAILURE_PERCENTILE must lie between 1 and 99, not {RISK_FAILURE_PERCENTILE}")
# Complaint handling deadlines (docs/rules.md "Complaint handling"): accept within 1 working day, resolve in 7 days.
COMPLAINT_ACCEPT_WORKING_DAYS = envint("COMPLAINT_ACCEPT_WORKING_DAYS", 1)
COMPLAINT_RESOLVE_DAYS = envint("COMPLAINT_RESOLVE_DAYS", 7)
# Working days (docs/rules.md "Working days"): from this day of the year on (MM-DD), the daily check warns the city
# regulators, once a year, while next year has no public holidays on record.
CALENDAR_WARN_FROM = os.getenv("CALENDAR_WARN_FROM", "11-01")
date.fromisoformat(f"2001-{CALENDAR_WARN_FROM}")  # fails loudly on anything but a valid MM-DD (not 02-29)
# A new complaint on the same elevator and category within this many days joins the open one.
COMPLAINT_DUPLICATE_DAYS = envint("COMPLAINT_DUPLICATE_DAYS", 3)
COMPLAINT_MAX_PHOTOS = 3
COMPLAINT_PHOTO_MAX_BYTES = envint("COMPLAINT_PHOTO_MAX_BYTES", 5 * 1024 * 1024)
COMPLAINT_RATE_PER_IP = os.getenv("COMPLAINT_RATE_PER_IP", "10/h")
COMPLAINT_RATE_PER_PHONE = os.getenv("COMPLAINT_RATE_PER_PHONE", "5/d")
OPEN311_RATE_PER_KEY = os.getenv("OPEN311_RATE_PER_KEY", "120/m")
# Pluggable SMS: a dotted path to a class with send(phone, text); the default only logs.
SMS_BACKEND = os.getenv("SMS_BACKEND", "notifications.sms.LogBackend")
IMPORT_SYNC_MAX_ROWS = envint("IMPORT_SYNC_MAX_ROWS", 500)
IMPORT_MAX_FILE_BYTES = envint("IMPORT_MAX_FILE_BYTES", 20 * 1024 * 1024)
# An import reads at most this many rows (more is refused at upload), and an XLSX whose parts declare more than
# XLSX_MAX_UNCOMPRESSED_BYTES in all is refused before it is unzipped (a zip bomb; elevator_portal/tabular.py).
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", 50_000)
XLSX_MAX_UNCOMPRESSED_BYTES = envint("XLSX_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024)
# The largest file any form or endpoint takes: an upload is stopped while it is read once a file passes this.
UPLOAD_MAX_FILE_BYTES = max(
    IMPORT_MAX_FILE_BYTES,
    ATTACHMENT_MAX_BYTES,
    INSPECTION_REPORT_MAX_BYTES,
    EVIDENCE_MAX_BYTES,
    COMPLAINT_PHOTO_MAX_BYTES,
    PREPAREDNESS_FILE_MAX_BYTES,
)
# Import jobs that always finish (docs/architecture.md "Jobs"): the watchdog sends again a job pending this long and
# takes back a running job whose heartbeat (beaten every 500 rows checked) stopped this long; a job interrupted this
# many times fails with a reason. The bulk insert of the largest file beats no heartbeat: keep it under the window.
IMPORT_STALE_SECONDS = envint("IMPORT_STALE_SECONDS", 300)
IMPORT_MAX_ATTEMPTS = envint("IMPORT_MAX_ATTEMPTS", 3)
DEMO_PASSWORD = os.getenv("DEMO_PASSWORD", "demo-pass-2026")

# History is read in the admin, never used to overwrite a record (changes go through the services).
SIMPLE_HISTORY_REVERT_DISABLED = True

SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# HTTPS in production (`manage.py check --deploy` passes with these defaults; CI checks it). TLS ends at the reverse
# proxy, which must send X-Forwarded-Proto (README "Deploying"): only then is a request known to be secure.
# The health endpoints answer plain HTTP for the load balancer's and the process manager's checks on loopback.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "false" if DEBUG else "true")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$"]
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "true")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "false")
# Content-Security-Policy (django-csp): everything from the portal's own origin only; no CDN, no inline script or
# event handler (scripts are static/js files, the few inline blocks carry the per-request nonce, request.csp_nonce).
# - img-src data: Bootstrap's CSS draws its icons (menu toggler, select arrow, close button) as data: SVG images;
#   QR codes and charts are same-origin SVG and canvas.
# - style-src-attr 'unsafe-inline': style="..." attributes only (a progress bar's width, a chart's height, a few
#   layout tweaks in templates and in Django's admin); they cannot run script or load anything from elsewhere
#   (img-src/font-src stay 'self'). <style> elements need the nonce, and scripts never get 'unsafe-inline'.
# tests/test_csp.py checks the header, tests/browser/test_csp_browser.py that the main pages raise no violation.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Preloading commits the bureau's whole domain to HTTPS in every browser for months: the bureau's decision, off by
# default, so its warning is silenced until it is made.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "INFO")},
}
