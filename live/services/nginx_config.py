"""Renders the nginx config from settings: the one place nginx learns the secret.

One template family (templates/deploy/nginx.conf and its parts), one role per config:
``all`` (one box: media from disk, app, RTMP), ``app`` (in front of gunicorn),
``origin`` (a media host: signed /hls/ from its disk, RTMP if asked) and ``edge``
(checks signatures, caches video from the origins, proxies the rest to the apps).
"""

import ipaddress
import os
import pwd
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string

from live.services import delivery, storage
from live.services.paths import live_output_dir
from live.services.ingest_hook import hook_query
from live.services.media import media_secret
from live.services.recording_playlists import READY_MARKER, RECORDING_PLAYLIST
from teecam.env import split_list

ROLES = ("all", "app", "origin", "edge")
# nginx's $msec has three decimals; windows are whole tenths that divide a second.
PLAYLIST_WINDOWS_MS = (100, 200, 500, 1000)
# The NAME in /media/NAME/hls/…: an nginx upstream name and a URL path part. Lower
# case: nginx compares map keys and upstream names without case.
ORIGIN_NAME_RE = "[a-z0-9_-]{1,40}"
# What an upstream's host may be in the config nginx reads: a DNS name, an IPv4
# or (inside brackets) IPv6 address; ";", spaces or braces would write directives.
UPSTREAM_HOST_RE = re.compile(r"[A-Za-z0-9.-]{1,253}|[0-9A-Fa-f:.]{2,45}")
# --listen, --upstream and the like: [HOST:]PORT, the host as above, IPv6 in brackets.
ADDRESS_RE = re.compile(r"(?:(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]):)?[0-9]{1,5}")
SIZE_RE = re.compile(r"[0-9]{1,9}[kKmMgG]?")
# Paths and the user name go into the config as bare words: a ';', brace, quote,
# '#', '$' (a variable in root, alias and try_files), backslash or any whitespace
# would end the directive or start another (a --static-root '/x; } location /pwn {
# return 200 pwned; } …' passed nginx -t).
NGINX_SYNTAX_RE = re.compile(r"[;{}\"'#$\\\s\x00-\x1f\x7f]")
WORKERS_RE = re.compile(r"auto|[1-9][0-9]{0,3}")
# --tls-cert, --tls-key, --acme-webroot: plain absolute paths. Quotes, spaces, ";",
# braces or "$" would write nginx syntax (or a variable) into the config.
PATH_RE = re.compile(r"/[A-Za-z0-9._/+@-]{0,400}")
HSTS_SECONDS = 31536000
# /hls/<signature>/<expiry>/<stream>/ and the file, as Django signs them (media.py).
HLS_PREFIX_RE = (
    "/hls/(?<hls_sig>[A-Za-z0-9_-]{22})/(?<hls_exp>[0-9]{1,12})/"
    "(?<hls_stream>[A-Za-z0-9_-]{1,80})/"
)
HLS_FILE_RE = "[A-Za-z0-9_.-]{1,120}(/[A-Za-z0-9_.-]{1,120})*"


@dataclass(frozen=True)
class Origin:
    name: str
    address: str  # host:port


@dataclass
class NginxOptions:
    role: str = "all"
    listen: str = "127.0.0.1:8080"
    upstream: str = "127.0.0.1:8000"
    prefix: str = ""
    static_root: str = ""
    # None: the role's default (on for "all", off for "origin"; never for the others).
    rtmp: bool | None = None
    rtmp_listen: str = "127.0.0.1:1935"
    workers: str = "auto"
    user: str = ""
    access_log: bool = False
    # Addresses (CIDR) of load balancers in front of nginx, comma-separated:
    # their X-Forwarded-For and X-Forwarded-Proto are believed.
    trusted_proxies: str = ""
    # A file (or glob) of further http-level directives, e.g. a TLS server block.
    http_include: str = ""
    # Micro-cache status and viewer polls this many seconds in nginx (0: off);
    # roles "all" and "app".
    poll_cache_seconds: int = 1
    # Edge only: the media hosts, and the app servers (host:port each).
    origins: list[Origin] = field(default_factory=list)
    apps: list[str] = field(default_factory=list)
    edge_cache_size: str = "1g"
    # Edge only: a playlist is cached for the window (of the clock) it was fetched in.
    playlist_window_ms: int = 200
    # Proxy /whip/ to the WHIP process (manage.py runwhip); empty: LIVE_WHIP_LISTEN.
    # Roles "all" and "origin" (it runs beside the packager on a media host).
    whip: bool = True
    whip_upstream: str = ""
    # HTTPS (roles all, app, edge): with a certificate and key the site is served on
    # tls_listen with HSTS, and plain HTTP on listen redirects to it, but for the ACME
    # challenge path, served from acme_webroot (certbot --webroot) when given.
    tls_cert: str = ""
    tls_key: str = ""
    tls_listen: str = "443"
    acme_webroot: str = ""

    @property
    def tls(self):
        return bool(self.tls_cert or self.tls_key)


class NginxOptionError(ValueError):
    """Options that make no config; the message names the offending value."""


def parse_origin(value: str) -> Origin:
    """``NAME=http://host:port`` → Origin; NginxOptionError naming the value otherwise."""
    name, equals, url = value.partition("=")
    if not equals or not re.fullmatch(ORIGIN_NAME_RE, name):
        raise NginxOptionError(
            f"--origin {value!r}: expected NAME=http://HOST:PORT, NAME of lower-case "
            "letters, digits, '_' and '-' (the NAME in /media/NAME/hls/…)"
        )
    try:
        return Origin(name, _address(url))
    except NginxOptionError as error:
        raise NginxOptionError(f"--origin {value!r}: {error}") from None


def parse_app(value: str) -> str:
    try:
        return _address(value if "://" in value else f"http://{value}")
    except NginxOptionError as error:
        raise NginxOptionError(f"--app {value!r}: {error}") from None


def _address(url):
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise NginxOptionError("not a URL") from None
    if parts.scheme != "http" or not parts.hostname or not port:
        raise NginxOptionError("expected http://HOST:PORT (plain HTTP on a private network)")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise NginxOptionError("expected http://HOST:PORT with no path, query or user")
    if not UPSTREAM_HOST_RE.fullmatch(parts.hostname):
        raise NginxOptionError("the host must be a DNS name or an IP address")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{host}:{port}"


def check_options(options: NginxOptions) -> None:
    """NginxOptionError for a combination of options that makes no config."""
    if options.role not in ROLES:
        raise NginxOptionError(f"--role {options.role!r}: one of {', '.join(ROLES)}")
    if options.rtmp and options.role in ("app", "edge"):
        raise NginxOptionError(f"--role {options.role} carries no RTMP ingest: drop --rtmp")
    if options.role == "edge":
        if not options.origins:
            raise NginxOptionError("--role edge needs at least one --origin NAME=URL")
        if not options.apps:
            raise NginxOptionError("--role edge needs at least one --app URL")
        names = [origin.name for origin in options.origins]
        for name in names:
            if names.count(name) > 1:
                raise NginxOptionError(f"--origin {name!r} is given twice")
    elif options.origins:
        raise NginxOptionError("--origin is for --role edge")
    elif options.apps and options.role != "app":
        # An app nginx spreads requests over several app servers (docs/scaling.md).
        raise NginxOptionError("--app is for --role edge and --role app")
    if options.playlist_window_ms not in PLAYLIST_WINDOWS_MS:
        raise NginxOptionError(
            f"--playlist-window-ms {options.playlist_window_ms}: one of "
            + ", ".join(str(ms) for ms in PLAYLIST_WINDOWS_MS)
        )
    if options.poll_cache_seconds < 0:
        raise NginxOptionError("--poll-cache-seconds must be 0 (off) or more")
    _check_tls(options)
    addresses = [
        ("--listen", options.listen),
        ("--tls-listen", options.tls_listen),
        ("--rtmp-listen", options.rtmp_listen),
        ("--upstream", options.upstream),
        ("--whip-upstream (or LIVE_WHIP_LISTEN)", _whip_upstream(options) or "0"),
    ]
    for option, value in addresses:
        if not ADDRESS_RE.fullmatch(value):
            raise NginxOptionError(f"{option} {value!r}: expected HOST:PORT or PORT")
    _check_words(options)
    if not SIZE_RE.fullmatch(options.edge_cache_size):
        raise NginxOptionError(
            f"--edge-cache-size {options.edge_cache_size!r}: a size such as 512m or 10g"
        )


def _check_words(options):
    """Paths, the user and the rest written as bare words: nothing nginx reads as syntax."""
    words = [
        ("--static-root", options.static_root),
        ("--prefix", options.prefix),
        ("--http-include", options.http_include),
        ("--user", options.user),
        ("LIVE_STREAM_DATA_DIR", str(settings.LIVE_STREAM_DATA_DIR)),
        ("LIVE_SAMPLES_HLS_DIR", str(settings.LIVE_SAMPLES_HLS_DIR)),
    ]
    for option, value in words:
        found = NGINX_SYNTAX_RE.search(value)
        if found:
            raise NginxOptionError(
                f"{option} {value!r}: {found.group()!r} is nginx syntax; a path or name "
                "here may not hold ';', braces, quotes, '#', '$', '\\' or whitespace"
            )
    if not WORKERS_RE.fullmatch(options.workers):
        raise NginxOptionError(f"--workers {options.workers!r}: auto or a number")
    for proxy in split_list(options.trusted_proxies):
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise NginxOptionError(
                f"--trusted-proxies {proxy!r}: an address or CIDR such as 10.0.0.0/8"
            ) from None


def _check_tls(options):
    for option, value in (
        ("--tls-cert", options.tls_cert),
        ("--tls-key", options.tls_key),
        ("--acme-webroot", options.acme_webroot),
    ):
        if value and (not PATH_RE.fullmatch(value) or "/../" in f"{value}/"):
            raise NginxOptionError(
                f"{option} {value!r}: an absolute path of letters, digits and '._/+@-' "
                "(no spaces, quotes, ';', braces or '$')"
            )
    if bool(options.tls_cert) != bool(options.tls_key):
        missing = "--tls-key" if options.tls_cert else "--tls-cert"
        raise NginxOptionError(f"HTTPS needs both --tls-cert and --tls-key: give {missing}")
    if options.tls and options.listen.rsplit(":", 1)[-1] == options.tls_listen.rsplit(":", 1)[-1]:
        raise NginxOptionError("--listen and --tls-listen must be different ports")


def _tls_context(options):
    """The HTTPS server's values: the redirect's port and the HSTS header."""
    if not options.tls:
        return {}
    port = options.tls_listen.rsplit(":", 1)[-1]
    hsts = f"max-age={getattr(settings, 'SECURE_HSTS_SECONDS', 0) or HSTS_SECONDS}"
    if getattr(settings, "SECURE_HSTS_INCLUDE_SUBDOMAINS", False):
        hsts += "; includeSubDomains"
    if getattr(settings, "SECURE_HSTS_PRELOAD", False):
        hsts += "; preload"
    return {"tls_port_suffix": "" if port == "443" else f":{port}", "hsts": hsts}


def _whip_upstream(options):
    return (options.whip_upstream or settings.LIVE_WHIP_LISTEN) if options.whip else ""


def _static_cache_control():
    """Hashed names (STATIC_MANIFEST=1) never change; plain names must revalidate soon."""
    backend = settings.STORAGES["staticfiles"]["BACKEND"]
    if "Manifest" in backend:
        return "public, max-age=31536000, immutable"
    return "public, max-age=300"


# The poll cache's keys hold fingerprints of the secrets, not the secrets (the
# template explains why split_clients): this many hex digits of each.
FINGERPRINT_DIGITS = 16
_HEX = "0123456789abcdef"


def _fingerprint(name, source):
    digits = [
        {"salt": f"teecam-{name}-{index}", "variable": f"teecam_{name}_fp{index}"}
        for index in range(FINGERPRINT_DIGITS)
    ]
    return {"source": source, "digits": digits}


def _fingerprint_key(fingerprint):
    return "".join(f"${digit['variable']}" for digit in fingerprint["digits"])


def _poll_cache_context():
    query, api_key = _fingerprint("query", "$args"), _fingerprint("key", "$http_x_api_key")
    buckets = [{"share": "6.25%", "value": value} for value in _HEX[:-1]]
    buckets.append({"share": "*", "value": _HEX[-1]})
    return {
        "fingerprints": [query, api_key],
        "fingerprint_buckets": buckets,
        "fingerprint_digits": FINGERPRINT_DIGITS,
        "fingerprint_bits": FINGERPRINT_DIGITS * 4,
        "status_cache_key": f"$uri?{_fingerprint_key(query)}|{_fingerprint_key(api_key)}",
        "viewer_state_cache_key": f"$uri?{_fingerprint_key(query)}",
    }


def _prefix(options: NginxOptions) -> Path:
    return Path(options.prefix or Path(settings.LIVE_STREAM_DATA_DIR).parent / "nginx")


def _playlist_windows(window_ms):
    """The tenths of a second that start each window, and the last tenth in it."""
    tenths = window_ms // 100
    return [{"first": first, "last": first + tenths - 1} for first in range(0, 10, tenths)]


def _rtmp(options):
    if options.rtmp is None:
        return options.role == "all"
    return options.rtmp


def render_nginx_config(options: NginxOptions) -> str:
    check_options(options)
    prefix = _prefix(options)
    user = options.user
    if not user and os.geteuid() == 0:
        # Workers must read the media and, for RTMP, write HLS as the data's owner.
        user = pwd.getpwuid(os.stat(settings.BASE_DIR).st_uid).pw_name
    context = {
        **asdict(options),
        "rtmp": _rtmp(options),
        "serves_app": options.role in ("all", "app"),
        "serves_media_from_disk": options.role in ("all", "origin"),
        "stored_recordings": storage.enabled(),
        "apps": options.apps or [options.upstream],
        "origin_name_re": ORIGIN_NAME_RE,
        "playlist_windows": _playlist_windows(options.playlist_window_ms),
        "hls_prefix_re": HLS_PREFIX_RE,
        "hls_file_re": HLS_FILE_RE,
        "prefix": prefix.resolve(),
        "user": user,
        "media_secret": media_secret(),
        "ingest_hook_query": hook_query(),
        "live_hls_dir": live_output_dir().resolve(),
        "samples_hls_dir": Path(settings.LIVE_SAMPLES_HLS_DIR).resolve(),
        "playlist_cache": delivery.PLAYLIST_CACHE,
        "recording_playlist_re": RECORDING_PLAYLIST.replace(".", "\\."),
        "recording_final": READY_MARKER,
        "segment_cache": delivery.SEGMENT_CACHE,
        "live_segment_cache": delivery.LIVE_SEGMENT_CACHE,
        "thumbnail_cache": delivery.THUMBNAIL_CACHE,
        "static_cache": _static_cache_control(),
        "trusted_proxies": split_list(options.trusted_proxies),
        # The ingest application relays each camera to this same server over loopback.
        "rtmp_relay": f"127.0.0.1:{options.rtmp_listen.rsplit(':', 1)[-1]}",
        "whip_upstream": _whip_upstream(options),
        "segment_seconds": settings.LIVE_SEGMENT_SECONDS,
        "playlist_seconds": settings.LIVE_SEGMENT_SECONDS * settings.LIVE_PLAYLIST_SEGMENTS,
        **_poll_cache_context(),
        **_tls_context(options),
        "tls": options.tls,
    }
    return render_to_string("deploy/nginx.conf", context)


def write_nginx_config(options: NginxOptions, path: Path) -> Path:
    prefix = _prefix(options)
    for folder in (
        "tmp/body",
        "tmp/proxy",
        "tmp/fastcgi",
        "tmp/uwsgi",
        "tmp/scgi",
        "tmp/poll-cache",
        "tmp/edge-cache",
    ):
        (prefix / folder).mkdir(parents=True, exist_ok=True)
    live_output_dir().mkdir(parents=True, exist_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The file holds the media secret: readable by its owner only.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as config:
        config.write(render_nginx_config(options))
    return path
