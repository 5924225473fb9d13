"""nginx-rtmp's hooks: it asks here whether a camera may publish, and under what name."""

import logging
from datetime import timedelta

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from live.http import json_error
from live.models import Broadcast, Source
from live.services import telemetry
from live.services.lifecycle import SourceConflict, live_broadcast_of, start_broadcast
from live.services.media import STREAM_NAME_RE
from live.services.sources import SourceUnavailable, find_rtmp_camera

logger = logging.getLogger("live.ingest")

# nginx-rtmp's publish time and the server clock may differ by this much.
PUBLISH_CLOCK_SLACK = timedelta(seconds=3)


def _from_hook_address(request):
    return request.META.get("REMOTE_ADDR") in settings.LIVE_INGEST_HOOK_ADDRESSES


def _refuse(detail):
    return json_error(403, "forbidden", detail)


def _relayed(name):
    """The relay inside nginx pushes a live RTMP broadcast on under its media name."""
    if not isinstance(name, str) or not STREAM_NAME_RE.match(name):
        return False
    return Broadcast.objects.filter(
        stream_name=name, source=Source.RTMP, stopped_at__isnull=True
    ).exists()


def _live_rtmp_broadcast(camera):
    """The camera's live RTMP broadcast; started here if the camera opted in."""
    broadcast = live_broadcast_of(camera)
    if broadcast is None and camera.auto_start and camera.source == Source.RTMP:
        try:
            broadcast, _ = start_broadcast(camera, Source.RTMP, f"camera:{camera.slug}")
        except (SourceConflict, SourceUnavailable):
            return None
    if broadcast is None or broadcast.source != Source.RTMP:
        return None
    return broadcast


def _began_before(post, broadcast):
    """An update from a publish that began before this broadcast (stop, start, same feed)."""
    try:
        seconds = int(post.get("time", "0"))
    except ValueError:
        return False
    began = timezone.now() - timedelta(seconds=seconds)
    return began < broadcast.started_at - PUBLISH_CLOCK_SLACK


@csrf_exempt  # called by nginx-rtmp, which holds no session
@require_POST
def rtmp_publish(request):
    """2xx admits, 3xx admits under a new name, 4xx refuses (see sources.rtmp_stream_key).

    nginx-rtmp calls this when a camera starts publishing (``call=publish``) and
    again every few seconds while it sends (``call=update_publish``, on_update):
    a refusal then drops the camera, so stopping the broadcast, or rotating the
    key, ends its RTMP feed within a couple of seconds.
    """
    if not _from_hook_address(request):
        return _refuse("Only the ingest server may call this hook.")
    post = request.POST
    call, name = post.get("call", ""), post.get("name", "")
    if call in ("play", "update_play"):
        return HttpResponse(status=204)  # the relay reading the ingest application
    if post.get("app") == "hls":
        if _relayed(name):
            return HttpResponse(status=204)
        return _refuse("Only the relay of a live RTMP broadcast may publish here.")
    key = post.get("key", "")
    camera = find_rtmp_camera(name, key)
    if camera is None:
        logger.warning(
            "refused an RTMP publish from %r to %r with a wrong key (%s)",
            post.get("addr", "?")[:64],
            name[:80],
            telemetry.fingerprint(key),
        )
        return _refuse("Wrong stream key.")
    broadcast = _live_rtmp_broadcast(camera)
    if broadcast is None:
        if call == "update_publish":
            logger.info("dropping the RTMP camera %s: its broadcast is no longer live", camera)
        else:
            logger.warning("refused an RTMP publish to %s: the camera is not live", camera)
        return _refuse("The camera's broadcast is not live (or not an RTMP one).")
    if call == "update_publish":
        if _began_before(post, broadcast):
            logger.info("dropping the RTMP camera %s: it feeds an earlier broadcast", camera)
            return _refuse("The camera must reconnect to the new broadcast.")
        return HttpResponse(status=204)
    response = HttpResponse(status=302)
    response["Location"] = broadcast.stream_name
    return response


@csrf_exempt
@require_POST
def rtmp_publish_done(request):
    if not _from_hook_address(request):
        return _refuse("Only the ingest server may call this hook.")
    return HttpResponse(status=204)
