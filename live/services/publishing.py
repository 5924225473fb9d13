"""Who may publish a camera's picture: the one admission rule for RTMP and WHIP.

nginx-rtmp's publish hook (live/views/ingest.py) and the WHIP server
(live/workers/whip/) both ask ``admit_publish``: the camera's fixed public
``ingest_name`` names it, its stream key opens it (compared in constant time),
the camera must be live on a broadcast of this protocol (or opted in to
``auto_start``), and a refusal is recorded once for the host page. New publishes
spend the sender's ``ingest-failure`` budget on wrong keys, so keys cannot be
guessed; RTMP's periodic ``update_publish`` calls are never throttled, so guesses
from behind the same address cannot drop a camera that is already sending.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import close_old_connections

from live.log_fields import log_field
from live.models import Broadcast, Camera, Source
from live.services import rate_limits, telemetry
from live.services.cameras import note_refused_publish
from live.services.ingest_hook import relay_secret_matches
from live.services.lifecycle import SourceConflict, live_broadcast_of, start_broadcast
from live.services.media import STREAM_NAME_RE
from live.services.sources import SourceUnavailable, facts_of, find_rtmp_camera

RTMP, WHIP = "rtmp", "whip"
# Each protocol keeps its own log (the WHIP process logs to data/whip.log).
LOGGERS = {"rtmp": logging.getLogger("live.ingest"), "whip": logging.getLogger("live.whip")}

# nginx-rtmp's publish time and the server clock may differ by this much.
PUBLISH_CLOCK_SLACK = timedelta(seconds=3)


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


class Superseded(PublishRefused):
    """An RTMP feed that began before the camera's current broadcast (stop, start)."""


@dataclass(frozen=True)
class Publisher:
    """Who is publishing: over which protocol, from where, and (RTMP updates) since when."""

    protocol: str
    address: str
    is_update: bool = False
    began: datetime | None = None


def _takes(protocol, source):
    return source == Source.RTMP if protocol == RTMP else facts_of(source).whip


def _live_broadcast(camera, protocol):
    """The camera's live broadcast of this protocol; started here if the camera opted in."""
    broadcast = live_broadcast_of(camera)
    if broadcast is None and camera.auto_start and _takes(protocol, camera.source):
        try:
            broadcast, _ = start_broadcast(camera, Source(camera.source), f"camera:{camera.slug}")
        except (SourceConflict, SourceUnavailable):
            return None
    if broadcast is None or not _takes(protocol, broadcast.source):
        return None
    return broadcast


def admit_publish(name, key, publisher: Publisher):
    """(camera, broadcast) this publish may feed.

    Raises UnknownCamera (WHIP only: its endpoint URL is the camera's, so saying
    so reveals nothing), WrongKey, NotLive, Superseded, or RateLimited.
    """
    logger = LOGGERS[publisher.protocol]
    budget = f"camera:{publisher.address[:64]}"
    if not publisher.is_update:
        rate_limits.check("ingest-failure", budget)
    if publisher.protocol == WHIP and not (
        isinstance(name, str)
        and STREAM_NAME_RE.match(name)
        and Camera.objects.filter(ingest_name=name).exists()
    ):
        raise UnknownCamera("No camera has this WHIP endpoint.")
    camera = find_rtmp_camera(name, key)
    if camera is None:
        if not publisher.is_update:
            rate_limits.hit("ingest-failure", budget)
            suffix = " (WHIP)" if publisher.protocol == WHIP else ""
            note_refused_publish(name, publisher.address, f"wrong stream key{suffix}")
        logger.warning(
            "refused a%s publish from %s to %s with a wrong key (%s)",
            " WHIP" if publisher.protocol == WHIP else "n RTMP",
            log_field(publisher.address or "?"),
            log_field(name),
            telemetry.fingerprint(key) if key else "no key",
        )
        raise WrongKey(
            "Wrong or missing bearer token: send the camera's stream key."
            if publisher.protocol == WHIP
            else "Wrong stream key."
        )
    broadcast = _live_broadcast(camera, publisher.protocol)
    if broadcast is None:
        if publisher.is_update:
            logger.info("dropping the camera %s: its broadcast is no longer live", camera)
        else:
            logger.warning("refused a publish to %s: the camera is not live", camera)
            note_refused_publish(
                camera.ingest_name,
                publisher.address,
                "the camera was not started on the host page",
            )
        raise NotLive(
            f"The camera's broadcast is not live (or not a{_article(publisher)} one): "
            "start it on the host page first."
        )
    if (
        publisher.began is not None
        and publisher.began < broadcast.started_at - PUBLISH_CLOCK_SLACK
    ):
        logger.info("dropping the camera %s: it feeds an earlier broadcast", camera)
        raise Superseded("The camera must reconnect to the new broadcast.")
    return camera, broadcast


def _article(publisher):
    return "n RTMP" if publisher.protocol == RTMP else " WebRTC (WHIP)"


def check_address(address):
    """Count one WHIP request from ``address``; RateLimited when it is over its budget."""
    rate_limits.hit("whip", f"whip:{address}")


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


def relayed(name, relay_secret):
    """The relay inside nginx pushes a live RTMP broadcast on under its media name,
    with that broadcast's relay secret (ingest_hook.relay_name); never by address alone."""
    if not isinstance(name, str) or not STREAM_NAME_RE.match(name):
        return False
    if not relay_secret_matches(name, relay_secret):
        return False
    return Broadcast.objects.filter(
        stream_name=name, source=Source.RTMP, stopped_at__isnull=True
    ).exists()
