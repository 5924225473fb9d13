"""The host page's "Broadcast from this device": what a card's publisher panel needs.

The panel (templates/live/_host_publish.html, static/live/publish.js) sends the
phone's camera over WHIP to teecam's own WHIP process (`manage.py runwhip`),
which serves the ``livekit`` source whenever no outside LIVEKIT_WHIP_URL is set.
"""

from urllib.parse import urlsplit

from django.conf import settings

from live.models import Source
from live.services.sources import builtin_whip, facts_of, whip_base_url, whip_url


def whip_origin():
    """The WHIP process's origin when publishers are told an absolute URL, for CSP's
    connect-src (the page's own origin is already allowed)."""
    parts = urlsplit(whip_base_url())
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def allow_whip(response):
    """Let the host page's publisher reach the WHIP process."""
    origin = whip_origin() if builtin_whip() else None
    if origin:
        response._csp_update = {"connect-src": [origin]}
    return response


def publish_panel(camera, broadcast):
    """The panel's facts, or None where this device cannot send the camera's picture:
    an outside LiveKit takes its own keys, and a camera live from another source
    (OBS on RTMP, say) must be stopped first."""
    if not builtin_whip():
        return None
    live = broadcast if broadcast is not None and broadcast.stopped_at is None else None
    if live is not None and not facts_of(live.source).whip:
        return None
    return {
        # The ingest name is public (it names no broadcast); the key travels only in
        # the Authorization header, never in this URL.
        "url": whip_url(camera),
        "key": camera.stream_key,
        "on_air": live is not None,
        # Open where sending from a phone is what the camera is set up for.
        "open": camera.source == Source.LIVEKIT or live is not None,
        "reconnect_seconds": settings.LIVE_RECONNECT_WINDOW_SECONDS,
    }
