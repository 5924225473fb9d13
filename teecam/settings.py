"""teecam settings: everything comes from the environment (docs/operations.md, "Settings")."""

import hashlib
import hmac
import os
import warnings
import zoneinfo
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from teecam.env import (
    SIGN_KEY_VAR,
    env_bool,
    env_int,
    env_list,
    env_media_host_url,
    sign_key_problem,
)
from teecam.storage_env import env_recordings_storage, env_retention_days

BASE_DIR = Path(__file__).resolve().parent.parent

_problem = sign_key_problem()
if _problem:
    raise ImproperlyConfigured(_problem)
LIVE_VIEWER_SIGN_KEY = os.environ[SIGN_KEY_VAR]

# Django's own key (sessions, CSRF) defaults to one derived from the signing key,
# so the demo needs a single secret; production may set its own.
SECRET_KEY = (
    os.environ.get("DJANGO_SECRET_KEY")
    or hmac.new(
        LIVE_VIEWER_SIGN_KEY.encode(), b"teecam django secret key", hashlib.sha256
    ).hexdigest()
)

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
    "csp",
    "drf_spectacular_sidecar",
    "live",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "teecam.urls"
WSGI_APPLICATION = "teecam.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes SQLite's write lock when a transaction begins, so concurrent
    # writers queue on the busy timeout instead of failing with "database is
    # locked" when a read lock is upgraded mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    (BASE_DIR / "data").mkdir(exist_ok=True)
    # A file (not :memory:) so live-server threads and subprocesses in tests share
    # it; one per test run so concurrent runs do not trample each other.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "data" / f"test-{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Serve straight from the finders so runserver and gunicorn show the same pages
# without a collectstatic step in the demo.
WHITENOISE_USE_FINDERS = True
warnings.filterwarnings("ignore", message="No directory at")
WHITENOISE_AUTOREFRESH = DEBUG

# Content-Security-Policy: scripts only from our own static files (htmx, hls.js,
# player.js). hls.js plays through blob: media and may run a blob: worker.
LIVE_VIEWER_FRAME_ANCESTORS = env_list("LIVE_VIEWER_FRAME_ANCESTORS", [])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'", "blob:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Database sessions that treat a malformed session cookie as no session (live/sessions.py).
SESSION_ENGINE = "live.sessions"

# Messages live in the (database) session, not in a cookie: the admin shows a new
# API key once in a message, and a signed cookie is readable by anyone who sees it.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "live.api.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["live.api.permissions.IsApiClient"],
    "DEFAULT_PARSER_CLASSES": ["live.api.parsers.SafeJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "live.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "teecam API",
    "DESCRIPTION": "Start and stop an event's tee cam broadcast, mint viewer links, "
    "read status and sign media paths.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several choice sets share a field name (source, state): each gets its own name.
    "ENUM_NAME_OVERRIDES": {
        "CameraSourceEnum": "live.models.Source",
        "ShotSourceEnum": "live.models.ShotSource",
        "RecordingStateEnum": "live.models.RecordingState",
        "ClipStateEnum": "live.models.ClipState",
        "CameraStateEnum": "live.api.serializers.STATES",
        "LinkStateEnum": "live.api.serializers.LINK_STATES",
    },
    # Event ids are slugs: anything else in their place is a 404 from the URL resolver.
    "PATH_CONVERTER_OVERRIDES": {"slug": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"}},
}

# teecam
LIVE_STREAM_DATA_DIR = Path(
    os.environ.get("LIVE_STREAM_DATA_DIR") or BASE_DIR / "data" / "live"
).resolve()
LIVEKIT_WHIP_URL = os.environ.get("LIVEKIT_WHIP_URL", "").strip()
LIVE_SAMPLES_HLS_DIR = BASE_DIR / "samples" / "hls"
LIVE_MOCK_FIXTURE = "tee"
# Lifetime of a URL from GET /media/sign.
LIVE_MEDIA_URL_TTL = env_int("LIVE_MEDIA_URL_TTL", 3600)
# Lifetime of the media URLs a viewer's page or status gets; re-signed on each
# poll, so revoking a link stops its media within this time.
LIVE_VIEWER_MEDIA_TTL = env_int("LIVE_VIEWER_MEDIA_TTL", 60)
# A viewer playing when the link expires keeps watching that broadcast this long at most.
LIVE_VIEWER_SESSION_MAX_SECONDS = env_int("LIVE_VIEWER_SESSION_MAX_SECONDS", 6 * 3600)
# How long each process keeps an event's cameras, live broadcasts and revoked links for
# the polls (live/services/snapshots.py); another process's change shows within this.
LIVE_STATE_CACHE_SECONDS = env_int("LIVE_STATE_CACHE_SECONDS", 1)
LIVE_TOKEN_DEFAULT_TTL = 900
LIVE_TOKEN_MAX_TTL = 86400
# Rate limits: (requests, per seconds).
LIVE_RATE_LIMITS = {
    "mint": (env_int("LIVE_RATE_MINT_PER_MINUTE", 60), 60),
    "auth-failure": (env_int("LIVE_RATE_AUTH_FAILURES_PER_MINUTE", 20), 60),
    "join": (env_int("LIVE_RATE_JOINS_PER_MINUTE", 10), 60),
    # Heartbeats and leave reports, per viewer page (a page sends 3 a minute by default).
    "heartbeat": (env_int("LIVE_RATE_HEARTBEATS_PER_MINUTE", 12), 60),
    # RTMP hook refusals: per camera address (wrong stream keys) and per caller
    # (calls without the hook secret).
    "ingest-failure": (env_int("LIVE_RATE_INGEST_FAILURES_PER_MINUTE", 10), 60),
    # Clip requests (API and host page): per API key or staff user, and per camera.
    "clip-key": (env_int("LIVE_RATE_CLIPS_PER_KEY_PER_MINUTE", 10), 60),
    "clip-camera": (env_int("LIVE_RATE_CLIPS_PER_CAMERA_PER_MINUTE", 20), 60),
    # WHIP requests (POST and DELETE) per client address.
    "whip": (env_int("LIVE_RATE_WHIP_PER_MINUTE", 30), 60),
    # Failed logins (staff login and admin): per user name and per client address.
    "login-user": (
        env_int("LIVE_LOGIN_FAILURES_PER_USER", 5),
        env_int("LIVE_LOGIN_WINDOW_SECONDS", 900),
    ),
    "login-address": (
        env_int("LIVE_LOGIN_FAILURES_PER_ADDRESS", 20),
        env_int("LIVE_LOGIN_WINDOW_SECONDS", 900),
    ),
}
# Proxies (addresses or CIDRs) whose X-Forwarded-For names the client. Empty: trust
# no one, so a client cannot pick its own address for the rate limits. Set it to
# nginx's address (e.g. 127.0.0.1) when gunicorn sits behind the rendered nginx.
LIVE_TRUSTED_PROXIES = env_list("LIVE_TRUSTED_PROXIES", [])
# The time zone of events created without one (IANA name): every time the pages show,
# and every schedule staff type, is in the event's own zone (Event.time_zone).
LIVE_DEFAULT_TIME_ZONE = os.environ.get("LIVE_DEFAULT_TIME_ZONE", "UTC")
if LIVE_DEFAULT_TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(
        f"LIVE_DEFAULT_TIME_ZONE={LIVE_DEFAULT_TIME_ZONE[:64]!r} is not an IANA time zone "
        "name (e.g. Europe/London)."
    )
# The control room flags a camera still waiting for its first picture after this long.
LIVE_WAITING_ALERT_SECONDS = env_int("LIVE_WAITING_ALERT_SECONDS", 60)
# How often the pages poll, in seconds.
LIVE_HOST_POLL_SECONDS = env_int("LIVE_HOST_POLL_SECONDS", 3)
LIVE_VIEWER_POLL_SECONDS = env_int("LIVE_VIEWER_POLL_SECONDS", 5)
LIVE_VIEWER_PLAYING_POLL_SECONDS = env_int("LIVE_VIEWER_PLAYING_POLL_SECONDS", 15)
# Audience: a playing, visible viewer page sends a heartbeat this often; "watching
# now" counts the live broadcast's viewers heard from within the window.
LIVE_VIEWER_HEARTBEAT_SECONDS = env_int("LIVE_VIEWER_HEARTBEAT_SECONDS", 20)
LIVE_WATCHING_WINDOW_SECONDS = env_int("LIVE_WATCHING_WINDOW_SECONDS", 60)
# The packager writes a chart sample (watching now, ingest bitrate and frame rate)
# per live broadcast at most this often.
LIVE_SAMPLE_SECONDS = env_int("LIVE_SAMPLE_SECONDS", 10)
# The public origin of the site (https://tee.example.com, no trailing slash) for
# absolute viewer URLs in the API; empty: the request's own scheme and host.
LIVE_PUBLIC_URL = os.environ.get("LIVE_PUBLIC_URL", "").strip().rstrip("/")
# bench/: mounts /bench/bare, a bare JSON view to compare our endpoints with.
LIVE_BENCH_BARE_VIEW = env_bool("LIVE_BENCH_BARE_VIEW", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(message)s"},
        "standard": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "filters": {"redact_secrets": {"()": "live.log_filters.RedactSecrets"}},
    "handlers": {
        "telemetry": {"class": "logging.StreamHandler", "formatter": "plain"},
        "console": {"class": "logging.StreamHandler", "formatter": "standard"},
        "requests": {
            "class": "logging.StreamHandler",
            "formatter": "standard",
            "filters": ["redact_secrets"],
        },
    },
    "loggers": {
        "live.telemetry": {
            "handlers": ["telemetry"],
            "level": os.environ.get("LIVE_TELEMETRY_LEVEL", "INFO"),
            "propagate": False,
        },
        "live": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Request lines carry viewer tokens and signed media paths.
        "django.server": {"handlers": ["requests"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["requests"], "level": "WARNING", "propagate": False},
        "django.security": {"handlers": ["requests"], "level": "WARNING", "propagate": False},
    },
}

# Ingest and packaging
LIVE_SEGMENT_SECONDS = env_int("LIVE_SEGMENT_SECONDS", 1)
LIVE_PLAYLIST_SEGMENTS = env_int("LIVE_PLAYLIST_SEGMENTS", 6)
LIVE_RECONNECT_WINDOW_SECONDS = env_int("LIVE_RECONNECT_WINDOW_SECONDS", 60)
# Recordings (issue 12): rewind window while live, the free disk space under which
# the packager stops recording (live goes on), the longest clip.
LIVE_DVR_SECONDS = env_int("LIVE_DVR_SECONDS", 1800)
LIVE_MIN_FREE_BYTES = env_int("LIVE_MIN_FREE_BYTES", 2 * 1024**3)
LIVE_CLIP_MAX_SECONDS = env_int("LIVE_CLIP_MAX_SECONDS", 120)
# Recordings, clips and their last thumbnail in S3-compatible object storage ("s3")
# or only on the media host's disk ("local", the default): docs/operations.md.
_recordings = env_recordings_storage()
LIVE_RECORDINGS_STORAGE = _recordings.kind
LIVE_S3_BUCKET = _recordings.bucket
LIVE_S3_PREFIX = _recordings.prefix
LIVE_S3_ENDPOINT_URL = _recordings.endpoint_url
LIVE_S3_REGION = _recordings.region
# Finished recordings older than this many days are purged by the packager (None: kept).
LIVE_RECORDING_RETENTION_DAYS = env_retention_days("LIVE_RECORDING_RETENTION_DAYS")

# Shots (issue 24): a shot's clip runs from PRE seconds before the strike to POST after
# it; a marshal's tap is taken as TAP_LAG seconds after the strike; a viewer page asks
# for new shots every SHOTS_POLL seconds.
LIVE_SHOT_PRE_SECONDS = env_int("LIVE_SHOT_PRE_SECONDS", 4)
LIVE_SHOT_POST_SECONDS = env_int("LIVE_SHOT_POST_SECONDS", 8)
LIVE_SHOT_TAP_LAG_SECONDS = env_int("LIVE_SHOT_TAP_LAG_SECONDS", 1)
LIVE_SHOTS_POLL_SECONDS = env_int("LIVE_SHOTS_POLL_SECONDS", 2)
# A packager that stops renewing its lease loses its broadcasts after this long.
LIVE_PACKAGER_LEASE_SECONDS = env_int("LIVE_PACKAGER_LEASE_SECONDS", 10)
# Each worker (packager, runwhip, scheduler, webhooks) writes its heartbeat this often;
# one three beats old is late (manage.py status, the admin, /metrics).
LIVE_HEARTBEAT_SECONDS = env_int("LIVE_HEARTBEAT_SECONDS", 5)
# This media host's public base for /hls/ (docs/scaling.md): its packager records it
# in the leases it holds and viewers' media URLs start with it. Empty: the page's own
# host, the one-box setup.
LIVE_MEDIA_HOST_URL = env_media_host_url("LIVE_MEDIA_HOST_URL")
# The adaptive ladder: the heights (pixels) of the renditions offered beside a
# camera's own picture, only those below it (live/workers/ladder.py).
LIVE_LADDER_RUNGS = sorted(
    {int(height) for height in env_list("LIVE_LADDER_RUNGS", ["480", "240"])}, reverse=True
)
# A live camera's thumb.jpg is made again once it is this old (live/workers/thumbnailer.py).
LIVE_THUMBNAIL_SECONDS = env_int("LIVE_THUMBNAIL_SECONDS", 10)
# What camera operators are told to connect to (the public side of the ingest).
LIVE_INGEST_HOST = os.environ.get("LIVE_INGEST_HOST", "127.0.0.1")
# Where people reach the app (scheme, host, port; no trailing slash), for absolute
# viewer URLs and the links the demo prints, e.g. http://192.168.1.20:8000.
# Empty: URLs are built from the request.
LIVE_RTMP_PORT = env_int("LIVE_RTMP_PORT", 1935)
LIVE_SRT_PORTS = os.environ.get("LIVE_SRT_PORTS", "9000-9099")
# WHIP ingest (manage.py runwhip, live/workers/whip/): where it listens, the UDP ports ICE
# may bind (one per announced address per session), the addresses announced in
# ICE candidates (empty: every address of this machine, loopback included), the
# URL publishers are told (empty: LIVE_PUBLIC_URL + /whip, else the listen
# address), the browser origins allowed to publish ("*": any, since the bearer
# token, not a cookie, is the authority), and the process's limits.
LIVE_WHIP_LISTEN = os.environ.get("LIVE_WHIP_LISTEN", "127.0.0.1:8889").strip()
LIVE_WHIP_UDP_PORTS = os.environ.get("LIVE_WHIP_UDP_PORTS", "40000-40199").strip()
LIVE_WHIP_ICE_ADDRESS = env_list("LIVE_WHIP_ICE_ADDRESS", [])
LIVE_WHIP_PUBLIC_URL = os.environ.get("LIVE_WHIP_PUBLIC_URL", "").strip().rstrip("/")
LIVE_WHIP_ALLOWED_ORIGINS = env_list("LIVE_WHIP_ALLOWED_ORIGINS", ["*"])
LIVE_WHIP_MAX_SESSIONS = env_int("LIVE_WHIP_MAX_SESSIONS", 8)
# H.264 from the publisher is repackaged as is; 0: always decode and re-encode.
LIVE_WHIP_PASSTHROUGH = env_bool("LIVE_WHIP_PASSTHROUGH", True)
# A session that sends no media for this long is ended (a closed tab sends no BYE).
LIVE_WHIP_MEDIA_TIMEOUT_SECONDS = env_int("LIVE_WHIP_MEDIA_TIMEOUT_SECONDS", 5)
# Who may call the RTMP on_publish hook (nginx on the same host by default).
LIVE_INGEST_HOOK_ADDRESSES = env_list("LIVE_INGEST_HOOK_ADDRESSES", ["127.0.0.1", "::1"])
LOGOUT_REDIRECT_URL = "/"

# Production: behind TLS (nginx or a load balancer). `HTTPS_ONLY=1` turns on
# secure cookies, HSTS and the HTTPS redirect; `manage.py check --deploy` is
# clean with it and DEBUG off.
HTTPS_ONLY = env_bool("HTTPS_ONLY", False)
if HTTPS_ONLY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # nginx-rtmp calls its hooks over loopback HTTP; load balancers probe /healthz so.
    SECURE_REDIRECT_EXEMPT = [r"^ingest/", r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }

# Integrations (issue 13): webhooks and /metrics.
# Private, loopback and link-local webhook targets are refused unless this is on.
LIVE_WEBHOOK_ALLOW_PRIVATE = env_bool("LIVE_WEBHOOK_ALLOW_PRIVATE", False)
# The same for every outbound connection (webhooks, simulcast pushes): either setting
# on allows private targets (live/services/egress.py).
LIVE_EGRESS_ALLOW_PRIVATE = env_bool("LIVE_EGRESS_ALLOW_PRIVATE", False)
# CA file for rtmps:// simulcast targets' certificates; empty: the system's CAs.
LIVE_SIMULCAST_CA_FILE = os.environ.get("LIVE_SIMULCAST_CA_FILE", "").strip()
# Waits between attempts of a delivery, in seconds; the last one repeats.
LIVE_WEBHOOK_RETRY_SECONDS = [
    float(step)
    for step in env_list("LIVE_WEBHOOK_RETRY_SECONDS", "5,30,120,300,1800,3600".split(","))
]
LIVE_WEBHOOK_RETRY_HOURS = env_int("LIVE_WEBHOOK_RETRY_HOURS", 24)
LIVE_WEBHOOK_DISABLE_AFTER_HOURS = env_int("LIVE_WEBHOOK_DISABLE_AFTER_HOURS", 72)
LIVE_WEBHOOK_TIMEOUT_SECONDS = env_int("LIVE_WEBHOOK_TIMEOUT_SECONDS", 10)
# /metrics answers a bearer token or these addresses (or CIDRs); neither: 404.
LIVE_METRICS_TOKEN = os.environ.get("LIVE_METRICS_TOKEN", "").strip()
LIVE_METRICS_ADDRESSES = env_list("LIVE_METRICS_ADDRESSES", [])
MIDDLEWARE.insert(0, "live.views.metrics.RequestMetricsMiddleware")
