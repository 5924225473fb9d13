"""Who may publish WHIP to which broadcast: the rules of the built-in WHIP ingest.

The WHIP process (``manage.py runwhip``, live/whip/) asks here; it holds the
peer connections, this module holds the decisions, as ``ingest_views`` does
for RTMP: the camera's fixed public ``ingest_name`` names the endpoint, its
stream key is the bearer token (compared in constant time), a camera that
publishes while not started is refused and the refusal kept for the host page,
unless it opted in to ``auto_start``.
"""

import logging

from django.db import close_old_connections

from live.log_fields import log_field
from live.models import Broadcast, Camera, Source
from live.services import rate_limits, telemetry
from live.services.lifecycle import SourceConflict, live_broadcast_of, start_broadcast
from live.services.media import STREAM_NAME_RE
from live.services.cameras import note_refused_publish
from live.services.sources import (
    SourceUnavailable,
    facts_of,
    find_rtmp_camera,
)

logger = logging.getLogger("live.whip")


class PublishRefused(Exception):
    """A publish this server will not take; ``status`` and ``code`` shape the answer."""

    status = 403
    code = "forbidden"

    def __init__(self, detail):
        super().__init__(detail)
        self.detail = detail


class UnknownCamera(PublishRefused):
    status, code = 404, "not_found"


class WrongKey(PublishRefused):
    status, code = 401, "unauthorized"


class NotLive(PublishRefused):
    status, code = 409, "not_live"


def bearer_token(header):
    """The token of an ``Authorization: Bearer …`` header, or ""."""
    scheme, _, token = (header or "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def check_address(address):
    """Count one WHIP request from ``address``; RateLimited when it is over its budget."""
    rate_limits.hit("whip", f"whip:{address}")


def _whip_broadcast(camera):
    """The camera's live WHIP broadcast; started here if the camera opted in."""
    broadcast = live_broadcast_of(camera)
    if broadcast is None and camera.auto_start and facts_of(camera.source).whip:
        try:
            broadcast, _ = start_broadcast(camera, Source(camera.source), f"camera:{camera.slug}")
        except (SourceConflict, SourceUnavailable):
            return None
    if broadcast is None or not facts_of(broadcast.source).whip:
        return None
    return broadcast


def open_publish(ingest_name, token, address):
    """(camera, broadcast) a WHIP publish with this bearer token may feed.

    Raises UnknownCamera, WrongKey (counted against the address's
    ``ingest-failure`` budget, so keys cannot be guessed), NotLive, or
    RateLimited.
    """
    close_old_connections()
    failure_budget = f"camera:{address}"
    rate_limits.check("ingest-failure", failure_budget)
    if not isinstance(ingest_name, str) or not STREAM_NAME_RE.match(ingest_name):
        raise UnknownCamera("No camera has this WHIP endpoint.")
    if not Camera.objects.filter(ingest_name=ingest_name).exists():
        raise UnknownCamera("No camera has this WHIP endpoint.")
    camera = find_rtmp_camera(ingest_name, token)
    if camera is None:
        rate_limits.hit("ingest-failure", failure_budget)
        note_refused_publish(ingest_name, address, "wrong stream key (WHIP)")
        logger.warning(
            "refused a WHIP publish from %s to %s with a wrong key (%s)",
            log_field(address),
            log_field(ingest_name),
            telemetry.fingerprint(token) if token else "no key",
        )
        raise WrongKey("Wrong or missing bearer token: send the camera's stream key.")
    broadcast = _whip_broadcast(camera)
    if broadcast is None:
        logger.warning("refused a WHIP publish to %s: the camera is not live", camera)
        note_refused_publish(
            camera.ingest_name, address, "the camera was not started on the host page"
        )
        raise NotLive(
            "The camera's broadcast is not live (or not a WebRTC (WHIP) one): "
            "start it on the host page first."
        )
    return camera, broadcast


def still_publishing(broadcast_id, stream_key):
    """The broadcast is still live and the camera's key unchanged (a rotated key or
    a stop ends the WHIP session, as they end an RTMP feed)."""
    close_old_connections()
    broadcast = (
        Broadcast.objects.filter(pk=broadcast_id, stopped_at__isnull=True)
        .select_related("camera")
        .first()
    )
    return broadcast is not None and broadcast.camera.stream_key == stream_key
