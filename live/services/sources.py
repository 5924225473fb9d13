"""Where a broadcast's picture comes from, and what the camera operator needs."""

import hmac
import re
import secrets
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from live.models import Broadcast, Health, Source
from live.services.media import STREAM_NAME_RE

# Sources whose media the packager writes (an ffmpeg per broadcast).
PACKAGED_SOURCES = (Source.SRT, Source.RTSP)
# Sources whose media arrives from a camera, so health is watched.
INGEST_SOURCES = (Source.RTMP, Source.SRT, Source.RTSP)
MAX_CAMERA_URL_LENGTH = 500


class SourceUnavailable(Exception):
    """The source cannot be used on this server; the message names the fix."""


class InvalidCameraUrl(ValueError):
    pass


def offered_sources():
    """(value, label) pairs of the sources this server can start now."""
    return [(value, label) for value, label in Source.choices if source_problem(value) is None]


def source_problem(source):
    if source == Source.LIVEKIT and not settings.LIVEKIT_WHIP_URL:
        return "The livekit source needs the LIVEKIT_WHIP_URL setting, which is not set."
    return None


def require_source(source):
    problem = source_problem(source)
    if problem:
        raise SourceUnavailable(problem)


def validate_camera_url(url):
    """An RTSP camera URL: rtsp:// or rtsps://, a host, no spaces or control characters."""
    if not isinstance(url, str) or not url:
        raise InvalidCameraUrl("The rtsp source needs cameraUrl, e.g. rtsp://camera.local/stream")
    if len(url) > MAX_CAMERA_URL_LENGTH:
        raise InvalidCameraUrl(f"cameraUrl is longer than {MAX_CAMERA_URL_LENGTH} characters.")
    if re.search(r"[\s\x00-\x1f\x7f]", url):
        raise InvalidCameraUrl("cameraUrl may not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        hostname, port = parts.hostname, parts.port
    except ValueError:
        raise InvalidCameraUrl("cameraUrl is not a valid URL.")
    if parts.scheme not in ("rtsp", "rtsps"):
        raise InvalidCameraUrl("cameraUrl must start with rtsp:// or rtsps://.")
    if not hostname:
        raise InvalidCameraUrl("cameraUrl must name the camera's host.")
    if port is not None and not 0 < port < 65536:
        raise InvalidCameraUrl("cameraUrl has an invalid port.")
    return url


def redact_camera_url(url):
    """The camera URL without its credentials, safe to show or log."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:
        return "(invalid URL)"
    if parts.username or parts.password:
        host = f"***@{host}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def srt_port_range():
    low, _, high = settings.LIVE_SRT_PORTS.partition("-")
    return range(int(low), int(high or low) + 1)


def ingest_fields(source, camera_url=""):
    """The ingest fields of a new broadcast; called inside start's locked transaction."""
    fields = {}
    if source == Source.RTSP:
        fields["camera_url"] = validate_camera_url(camera_url)
    if source in (Source.RTMP, Source.SRT):
        fields["ingest_secret"] = secrets.token_urlsafe(24)
    if source == Source.SRT:
        taken = set(
            Broadcast.objects.filter(source=Source.SRT, stopped_at__isnull=True).values_list(
                "ingest_port", flat=True
            )
        )
        free = [port for port in srt_port_range() if port not in taken]
        if not free:
            raise SourceUnavailable(
                "Every SRT ingest port in LIVE_SRT_PORTS is in use: stop a broadcast first."
            )
        fields["ingest_port"] = free[0]
    if source in INGEST_SOURCES:
        fields["health"] = Health.WAITING
    return fields


def ingest_for(broadcast):
    """What the camera operator needs to send the picture (admins only), or None."""
    host = settings.LIVE_INGEST_HOST
    if broadcast.source == Source.LIVEKIT:
        return {"whipUrl": settings.LIVEKIT_WHIP_URL}
    if broadcast.source == Source.RTMP:
        server = f"rtmp://{host}:{settings.LIVE_RTMP_PORT}/live"
        stream_key = rtmp_stream_key(broadcast)
        return {"url": server, "streamKey": stream_key, "publishUrl": f"{server}/{stream_key}"}
    if broadcast.source == Source.SRT:
        return {
            "url": f"srt://{host}:{broadcast.ingest_port}?mode=caller&pbkeylen=16"
            f"&passphrase={broadcast.ingest_secret}",
            "passphrase": broadcast.ingest_secret,
        }
    if broadcast.source == Source.RTSP:
        return {"cameraUrl": redact_camera_url(broadcast.camera_url)}
    return None


def rtmp_stream_key(broadcast):
    """What the encoder puts in its "stream key" field.

    nginx-rtmp names the HLS folder after the stream name, so the name is the
    broadcast's public stream name and the secret rides in the query string,
    which nginx-rtmp hands to on_publish but keeps out of every path.
    """
    return f"{broadcast.stream_name}?key={broadcast.ingest_secret}"


def find_rtmp_broadcast(stream_name, key):
    """The live RTMP broadcast this name and secret key open, or None."""
    broadcast = None
    # Stream names are slugs; anything else (a NUL, say, which PostgreSQL refuses
    # in a query) names no broadcast.
    if isinstance(stream_name, str) and STREAM_NAME_RE.match(stream_name):
        broadcast = Broadcast.objects.filter(
            source=Source.RTMP, stream_name=stream_name, stopped_at__isnull=True
        ).first()
    expected = broadcast.ingest_secret if broadcast else "no broadcast: compare anyway"
    if not hmac.compare_digest(expected.encode(), str(key).encode()) or broadcast is None:
        return None
    return broadcast
