"""Where a broadcast's picture comes from, and what the camera operator needs.

``SOURCE_FACTS`` is the one table of per-source facts; other modules ask it
rather than testing ``source ==`` themselves.
"""

import hmac
import re
import secrets
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from django.conf import settings
from django.db import IntegrityError, transaction

from live.models import Camera, Health, Source
from live.services.media import STREAM_NAME_RE
from teecam.env import port_range


@dataclass(frozen=True)
class SourceFacts:
    packaged: bool = False  # the packager runs an ffmpeg that writes its HLS
    ingest: bool = False  # a camera sends the picture, so health is watched
    stream_key: bool = False  # the encoder proves itself with the camera's stream key
    camera_url: bool = False  # the packager pulls from the camera's URL
    srt_port: bool = False  # the camera needs an SRT listener port of its own
    # The picture is made here (the mock): always receiving, nothing to watch.
    simulated: bool = False
    # What the host page says of health for sources with no camera to watch.
    fixed_health: str = ""
    # teecam's own WHIP process (manage.py runwhip) takes the publish and writes the HLS.
    whip: bool = False


SOURCE_FACTS = {
    Source.MOCK: SourceFacts(simulated=True, fixed_health="Playing the test fixture"),
    Source.LIVEKIT: SourceFacts(fixed_health="Fed by LiveKit egress"),
    Source.RTMP: SourceFacts(ingest=True, stream_key=True),
    Source.SRT: SourceFacts(packaged=True, ingest=True, stream_key=True, srt_port=True),
    Source.RTSP: SourceFacts(packaged=True, ingest=True, camera_url=True),
}
# The livekit source without LIVEKIT_WHIP_URL: the publisher sends WHIP to teecam
# itself, with the camera's stream key as bearer token, and is watched like RTMP.
WHIP_FACTS = SourceFacts(ingest=True, stream_key=True, whip=True)
WHIP_LABEL = "WebRTC (WHIP)"
PACKAGED_SOURCES = tuple(source for source, facts in SOURCE_FACTS.items() if facts.packaged)
MAX_CAMERA_URL_LENGTH = 500


def builtin_whip():
    """True when the livekit source is served by teecam's own WHIP ingest."""
    return not settings.LIVEKIT_WHIP_URL


def facts_of(source) -> SourceFacts:
    source = Source(source)
    if source == Source.LIVEKIT and builtin_whip():
        return WHIP_FACTS
    return SOURCE_FACTS[source]


def ingest_sources():
    """The sources whose camera health the packager watches (asked, not fixed at
    import: whether livekit is one depends on LIVEKIT_WHIP_URL)."""
    return tuple(source for source in Source if facts_of(source).ingest)


def source_label(source):
    source = Source(source)
    return WHIP_LABEL if facts_of(source).whip else source.label


class SourceUnavailable(Exception):
    """The source cannot be used on this server; the message names the fix."""


class InvalidCameraUrl(ValueError):
    pass


def offered_sources():
    """(value, label) pairs of the sources this server can start now."""
    return [
        (value, source_label(value)) for value in Source.values if source_problem(value) is None
    ]


def source_problem(source):
    # Every source is available now: livekit falls back to the built-in WHIP ingest.
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


# Cameras take credentials in the path or query too (``/user=admin_password=…``,
# ``?token=…``): a path part holding one of these words or an ``=`` is a secret.
_SECRET_PART_RE = re.compile(r"password|passwd|pwd|token|secret|key|auth|=", re.IGNORECASE)
# Shorter values are left out of log blanking (a "1" would blank every 1 in the
# log); the whole query string, always blanked, still covers them.
_MIN_SECRET_LENGTH = 4


def _secret_parts(parts):
    """The URL's credentials: (password, secret path parts, query pairs), raw."""
    segments = [part for part in parts.path.split("/") if _SECRET_PART_RE.search(part)]
    pairs = [pair.partition("=") for pair in parts.query.split("&") if pair]
    return parts.password, segments, pairs


def redact_camera_url(url):
    """The camera URL without its credentials, safe to show or log.

    The user and password become ``***``, so do path parts that look like
    credentials, and every query value (names stay, so the operator recognises
    the URL; a name-only pair goes whole).
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:
        return "(invalid URL)"
    if parts.username or parts.password:
        host = f"***@{host}"
    path = "/".join(
        "***" if _SECRET_PART_RE.search(part) else part for part in parts.path.split("/")
    )
    query = "&".join(f"{name}=***" if sep else "***" for name, sep, _ in _secret_parts(parts)[2])
    return urlunsplit((parts.scheme, host, path, query, ""))


def camera_url_secrets(url):
    """What of the camera URL must not reach a log, raw and percent-decoded.

    The same judgement as ``redact_camera_url``: the password, credential-like
    path parts, the whole query string and its credential-named values.
    """
    try:
        parts = urlsplit(url)
        password, segments, pairs = _secret_parts(parts)
    except ValueError:
        return set()
    found = {password or "", *segments, parts.query}
    found.update(value for name, _, value in pairs if _SECRET_PART_RE.search(name))
    found = {secret for secret in found if len(secret) >= _MIN_SECRET_LENGTH}
    return found | {unquote(secret) for secret in found}


def srt_port_range():
    return port_range(settings.LIVE_SRT_PORTS)


def new_stream_key():
    # Also the SRT passphrase, which SRT wants 10 to 79 characters long.
    return secrets.token_urlsafe(24)


def new_ingest_name(event_id, slug):
    """The camera's public RTMP stream name: fixed, not secret, never a viewer path."""
    return f"{event_id[:24]}-{slug[:20]}-{secrets.token_hex(4)}"


def assign_srt_port(camera):
    """The camera's SRT listener port, taken once from LIVE_SRT_PORTS and kept."""
    if camera.srt_port:
        return camera.srt_port
    for _ in range(5):  # another camera may take the same port at the same instant
        taken = set(Camera.objects.exclude(srt_port=None).values_list("srt_port", flat=True))
        free = [port for port in srt_port_range() if port not in taken]
        if not free:
            raise SourceUnavailable(
                "Every SRT ingest port in LIVE_SRT_PORTS is taken by a camera: "
                "widen the range or delete a camera."
            )
        try:
            with transaction.atomic():
                updated = Camera.objects.filter(pk=camera.pk, srt_port=None).update(
                    srt_port=free[0]
                )
        except IntegrityError:
            continue
        camera.refresh_from_db(fields=["srt_port"])
        if updated or camera.srt_port:
            return camera.srt_port
    raise SourceUnavailable("Could not reserve an SRT port for the camera; try again.")


def ingest_fields(camera, source, camera_url=""):
    """The ingest fields of a new broadcast; called inside start's locked transaction."""
    facts = facts_of(source)
    fields = {}
    if facts.camera_url:
        url = validate_camera_url(camera_url or camera.camera_url)
        fields["camera_url"] = url
        if url != camera.camera_url:
            camera.camera_url = url
            camera.save(update_fields=["camera_url"])
    if facts.srt_port:
        fields["ingest_port"] = assign_srt_port(camera)
    if facts.ingest:
        fields["health"] = Health.WAITING
    return fields


def ingest_for(camera, source=None):
    """What the camera operator needs to send the picture (staff and admin keys), or None.

    Shown before the first start: the operator sets the encoder up once.
    """
    source = Source(source or camera.source)
    host = settings.LIVE_INGEST_HOST
    facts = facts_of(source)
    if source == Source.LIVEKIT:
        if facts.whip:
            return {"whipUrl": whip_url(camera), "bearerToken": camera.stream_key}
        return {"whipUrl": settings.LIVEKIT_WHIP_URL}
    if facts.camera_url:
        return {"cameraUrl": redact_camera_url(camera.camera_url)} if camera.camera_url else None
    if facts.srt_port:
        if not camera.srt_port:
            return None
        return {
            "url": f"srt://{host}:{camera.srt_port}?mode=caller&pbkeylen=16"
            f"&passphrase={camera.stream_key}",
            "passphrase": camera.stream_key,
        }
    if facts.stream_key:
        server = f"rtmp://{host}:{settings.LIVE_RTMP_PORT}/live"
        stream_key = rtmp_stream_key(camera)
        return {"url": server, "streamKey": stream_key, "publishUrl": f"{server}/{stream_key}"}
    return None


def whip_base_url():
    """Where publishers send WHIP: LIVE_WHIP_PUBLIC_URL, else the site's /whip/ (nginx
    proxies it), else the WHIP process's own listen address (development)."""
    if settings.LIVE_WHIP_PUBLIC_URL:
        return settings.LIVE_WHIP_PUBLIC_URL
    if settings.LIVE_PUBLIC_URL:
        return f"{settings.LIVE_PUBLIC_URL}/whip"
    return f"http://{settings.LIVE_WHIP_LISTEN}/whip"


def whip_url(camera):
    """The camera's WHIP endpoint: its public fixed name, never its key."""
    return f"{whip_base_url()}/{camera.ingest_name}"


def rtmp_stream_key(camera):
    """What the encoder puts in its "stream key" field, the same for every broadcast.

    The name is the camera's fixed public ingest name and the secret rides in the
    query string, which nginx-rtmp hands to on_publish but keeps out of every path.
    on_publish then renames the stream to the broadcast's own media name, and
    nginx-rtmp pushes it under that name to the application that writes HLS.
    """
    return f"{camera.ingest_name}?key={camera.stream_key}"


def find_rtmp_camera(ingest_name, key):
    """The camera this RTMP (or WHIP) name and secret key open, or None (compared in
    constant time)."""
    camera = None
    # Names are slugs; anything else (a NUL, say, which PostgreSQL refuses in a
    # query) names no camera.
    if isinstance(ingest_name, str) and STREAM_NAME_RE.match(ingest_name):
        camera = Camera.objects.filter(ingest_name=ingest_name).first()
    expected = camera.stream_key if camera else "no camera: compare anyway"
    if not hmac.compare_digest(expected.encode(), str(key).encode()) or camera is None:
        return None
    return camera
