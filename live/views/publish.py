""" "Broadcast from this device": what a host card's publisher panel needs.

The panel (templates/live/_host_publish.html, static/live/publish.js) sends the
phone's camera over WHIP to teecam's own WHIP process (`manage.py runwhip`),
which serves the ``livekit`` source whenever no outside LIVEKIT_WHIP_URL is set.
"""

from urllib.parse import urlsplit

from django.conf import settings

from live.models import Source


def whip_base_url():
    """Where browsers reach the WHIP process: LIVE_WHIP_PUBLIC_URL, else this site
    (the rendered nginx proxies ``/whip/`` to it), so the URL starts with ``/whip/``."""
    return getattr(settings, "LIVE_WHIP_PUBLIC_URL", "").rstrip("/")


def whip_url_of(camera):
    # The ingest name is public (it names no broadcast); the key travels only in the
    # Authorization header, never in this URL.
    return f"{whip_base_url()}/whip/{camera.ingest_name}"


def whip_origin():
    """The WHIP process's origin when it is not this site's, for CSP's connect-src."""
    parts = urlsplit(whip_base_url())
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def allow_whip(response):
    """Let the host page's publisher reach a WHIP process on another origin."""
    origin = whip_origin()
    if origin:
        response._csp_update = {"connect-src": [origin]}
    return response


def publish_panel(camera, broadcast):
    """The panel's facts, or None where this device cannot send the camera's picture:
    an outside LiveKit takes its own keys, and a camera live from another source
    (OBS on RTMP, say) must be stopped first."""
    if settings.LIVEKIT_WHIP_URL:
        return None
    live = broadcast if broadcast is not None and broadcast.stopped_at is None else None
    if live is not None and live.source != Source.LIVEKIT:
        return None
    return {
        "url": whip_url_of(camera),
        "key": camera.stream_key,
        "on_air": live is not None,
        # Open where sending from a phone is what the camera is set up for.
        "open": camera.source == Source.LIVEKIT or live is not None,
        "reconnect_seconds": settings.LIVE_RECONNECT_WINDOW_SECONDS,
    }
