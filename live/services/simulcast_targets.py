"""A camera's simulcast targets (YouTube, Facebook, any RTMP/RTMPS server) and their health.

The stream key is a secret: kept for the push, answered and shown only as its last
four characters, never logged. The URL must not carry credentials either (no
user:password, no query string): the key is the one secret, in its own field.
``live/workers/simulcast.py`` runs the pushes and writes each target's health.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from live.models import SimulcastTarget
from live.services import egress, telemetry
from live.services.lifecycle import live_broadcast_of

MAX_TARGETS_PER_CAMERA = 10
MAX_URL_LENGTH = 500
MAX_KEY_LENGTH = 200
MAX_NAME_LENGTH = 100
DEFAULT_PORTS = {"rtmp": 1935, "rtmps": 443}
NOT_PUBLIC = (
    "The URL's host is not a public address: simulcast pushes go to public servers only "
    "(LIVE_EGRESS_ALLOW_PRIVATE=1 allows private ones)."
)
_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


class InvalidTarget(ValueError):
    """A target field that cannot be used; ``field`` names it (API name)."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


class UnknownTarget(LookupError):
    pass


def validate_target_url(url):
    """rtmp:// or rtmps://, a host, an application path; no credentials, query or spaces."""
    if not isinstance(url, str) or not url:
        raise InvalidTarget("url", "Give the server URL, e.g. rtmps://live.example.com/app.")
    if len(url) > MAX_URL_LENGTH or _CONTROL.search(url):
        raise InvalidTarget(
            "url", f"The URL must be at most {MAX_URL_LENGTH} characters, with no spaces."
        )
    try:
        parts = urlsplit(url)
        hostname, _ = parts.hostname, parts.port
    except ValueError:
        raise InvalidTarget("url", "The URL is not valid.")
    if parts.scheme not in ("rtmp", "rtmps"):
        raise InvalidTarget("url", "The URL must start with rtmp:// or rtmps://.")
    if not hostname:
        raise InvalidTarget("url", "The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise InvalidTarget(
            "url", "Leave credentials out of the URL: put the stream key in its own field."
        )
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise InvalidTarget(
            "url", "Leave the query string out of the URL: the stream key has its own field."
        )
    try:
        # A name that does not resolve now may later: the push checks it then.
        egress.check_url_host(hostname, _port(parts), require_resolution=False)
    except egress.EgressRefused as exc:
        raise InvalidTarget("url", _refusal(exc))
    return url.rstrip("/")


def _port(parts):
    return parts.port if parts.port is not None else DEFAULT_PORTS[parts.scheme]


def _refusal(exc):
    """The egress refusal in words that name no resolved address (an event's admin key
    must not learn what internal names resolve to)."""
    if exc.reason == "address":
        return NOT_PUBLIC
    if exc.reason == "port":
        return "The URL's port must be 1 to 65535."
    return "The URL's host name does not resolve."


@dataclass(frozen=True)
class Destination:
    """Where one push goes: ``address`` is the one the egress rule checked just now."""

    scheme: str
    host: str
    address: str
    port: int
    path: str  # the application path and the stream key
    tc_url: str  # the URL as written, for RTMP's tcUrl (servers read it)


def push_destination(target):
    """The push's Destination, resolved once and checked now; EgressRefused otherwise.

    A plain rtmp:// push gives ffmpeg the address itself; an rtmps:// one goes
    through a loopback TLS relay to it (live/workers/tls_relay.py), so the TLS
    server name stays the host's.
    """
    parts = urlsplit(target.url)
    port = _port(parts)
    address = egress.resolve(parts.hostname, port)[0]
    path = f"{parts.path.rstrip('/')}/{target.stream_key}"
    return Destination(parts.scheme, parts.hostname, address, port, path, target.url)


def refusal_of(exc):
    """What a target shows when its push was refused by the egress rule."""
    return f"Refused: {_refusal(exc)}"


def validate_stream_key(key):
    if not isinstance(key, str) or not key:
        raise InvalidTarget("streamKey", "Give the stream key the service shows you.")
    if len(key) > MAX_KEY_LENGTH or _CONTROL.search(key):
        raise InvalidTarget(
            "streamKey", f"The stream key must be at most {MAX_KEY_LENGTH} characters, no spaces."
        )
    return key


def _clean_name(name):
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > MAX_NAME_LENGTH or re.search(r"[\x00-\x1f\x7f]", name):
        raise InvalidTarget(
            "name", f"Give the target a name of at most {MAX_NAME_LENGTH} characters."
        )
    return name


def targets_of(camera):
    return list(SimulcastTarget.objects.filter(camera=camera))


def add_target(camera, name, url, stream_key, enabled=True, actor=""):
    name = _clean_name(name)
    url = validate_target_url(url)
    stream_key = validate_stream_key(stream_key)
    if SimulcastTarget.objects.filter(camera=camera).count() >= MAX_TARGETS_PER_CAMERA:
        raise InvalidTarget(
            "name", f"A camera has at most {MAX_TARGETS_PER_CAMERA} simulcast targets."
        )
    target = SimulcastTarget.objects.create(
        camera=camera,
        name=name,
        url=url,
        stream_key=stream_key,
        enabled=bool(enabled),
        created_by=actor[:150],
    )
    telemetry.emit(
        "live.simulcast_added",
        eventId=camera.event_id,
        camera=camera.slug,
        target=target.pk,
        actor=actor,
    )
    return target


def remove_target(camera, target_id, actor=""):
    """Deletes the target; its push stops within a packager pass."""
    deleted, _ = SimulcastTarget.objects.filter(camera=camera, pk=target_id).delete()
    if not deleted:
        raise UnknownTarget(f"No simulcast target {target_id} on camera {camera.slug!r}.")
    telemetry.emit(
        "live.simulcast_removed",
        eventId=camera.event_id,
        camera=camera.slug,
        target=target_id,
        actor=actor,
    )


def describe(target, live=True):
    """A target as the API and host page show it: never the whole stream key."""
    state = target.state if live and target.enabled and target.state else "idle"
    if not target.enabled:
        state = "disabled"
    return {
        "id": target.pk,
        "name": target.name,
        "url": target.url,
        "streamKeyHint": target.key_hint,
        "enabled": target.enabled,
        "state": state,
        "lastError": target.last_error or None if state == "retrying" else None,
        "since": target.state_since if state not in ("idle", "disabled") else None,
    }


def simulcast_health(camera):
    """Each target's health for the host page: connecting, sending, retrying (with the last
    error), idle while the camera is not live, or disabled."""
    live = live_broadcast_of(camera) is not None
    return [describe(target, live) for target in targets_of(camera)]
