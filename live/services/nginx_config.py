"""Renders the nginx config from settings: the one place nginx learns the secret."""

import os
import pwd
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

from live.services import delivery
from live.services.delivery import live_output_dir
from live.services.ingest_hook import hook_query
from live.services.media import media_secret
from live.services.recording_playlists import READY_MARKER, RECORDING_PLAYLIST
from teecam.env import split_list


@dataclass
class NginxOptions:
    listen: str = "127.0.0.1:8080"
    upstream: str = "127.0.0.1:8000"
    prefix: str = ""
    static_root: str = ""
    rtmp: bool = True
    rtmp_listen: str = "127.0.0.1:1935"
    workers: str = "auto"
    user: str = ""
    access_log: bool = False
    # Addresses (CIDR) of load balancers in front of nginx, comma-separated:
    # their X-Forwarded-For and X-Forwarded-Proto are believed.
    trusted_proxies: str = ""
    # A file (or glob) of further http-level directives, e.g. a TLS server block.
    http_include: str = ""
    # Micro-cache status and viewer polls this many seconds in nginx (0: off).
    poll_cache_seconds: int = 0
    # Proxy /whip/ to the WHIP process (manage.py runwhip); empty: LIVE_WHIP_LISTEN.
    whip: bool = True
    whip_upstream: str = ""


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


def render_nginx_config(options: NginxOptions) -> str:
    prefix = _prefix(options)
    user = options.user
    if not user and os.geteuid() == 0:
        # Workers must read the media and, for RTMP, write HLS as the data's owner.
        user = pwd.getpwuid(os.stat(settings.BASE_DIR).st_uid).pw_name
    context = {
        **asdict(options),
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
        "whip_upstream": (
            (options.whip_upstream or settings.LIVE_WHIP_LISTEN) if options.whip else ""
        ),
        "segment_seconds": settings.LIVE_SEGMENT_SECONDS,
        "playlist_seconds": settings.LIVE_SEGMENT_SECONDS * settings.LIVE_PLAYLIST_SEGMENTS,
        **_poll_cache_context(),
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
    ):
        (prefix / folder).mkdir(parents=True, exist_ok=True)
    live_output_dir().mkdir(parents=True, exist_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The file holds the media secret: readable by its owner only.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as config:
        config.write(render_nginx_config(options))
    return path
