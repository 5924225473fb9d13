"""nginx-rtmp's hooks: it asks here whether a camera may publish, and under what name.

Only the RTMP block of the rendered nginx config may call them: the call must
come from LIVE_INGEST_HOOK_ADDRESSES *and* carry the hook secret
(``?hook_key=…``, live/services/ingest_hook.py), since requests the public
server proxies arrive from the same loopback address. Refusals are budgeted
per address (``ingest-failure`` rate limit): calls without the secret per
caller, wrong stream keys per camera address (``addr``, which nginx-rtmp
reports and the secret vouches for), so strangers on the public RTMP port
cannot guess stream keys, and a local process without the secret cannot use
up the budget of nginx's own calls.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from live.http import client_address, json_error
from live.log_fields import log_field
from live.models import Broadcast, Source
from live.services import rate_limits, telemetry
from live.services.ingest_hook import HOOK_PARAM, hook_secret_matches
from live.services.lifecycle import SourceConflict, live_broadcast_of, start_broadcast
from live.services.media import STREAM_NAME_RE
from live.services.cameras import note_refused_publish
from live.services.sources import SourceUnavailable, find_rtmp_camera

logger = logging.getLogger("live.ingest")

# nginx-rtmp's publish time and the server clock may differ by this much.
PUBLISH_CLOCK_SLACK = timedelta(seconds=3)


def _from_hook_address(request):
    return request.META.get("REMOTE_ADDR") in settings.LIVE_INGEST_HOOK_ADDRESSES


def _refuse(detail):
    return json_error(403, "forbidden", detail)


def _throttled(exc):
    response = json_error(429, "throttled", str(exc))
    response["Retry-After"] = str(exc.retry_after)
    return response


def _refuse_caller(request):
    """403 for a call that is not nginx-rtmp's, counted against the caller's budget."""
    caller = f"caller:{client_address(request)}"
    try:
        rate_limits.check("ingest-failure", caller)
        rate_limits.hit("ingest-failure", caller)
    except rate_limits.RateLimited as exc:
        return _throttled(exc)
    logger.warning(
        "refused an RTMP hook call from %s without the hook secret",
        log_field(request.META.get("REMOTE_ADDR", "")),
    )
    return _refuse("Only the ingest server may call this hook.")


def _is_hook_call(request):
    return _from_hook_address(request) and hook_secret_matches(request.GET.get(HOOK_PARAM))


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


def _camera_of(post, is_update):
    """The camera the name and key open, or None; RateLimited for an address guessing keys."""
    name, key = post.get("name", ""), post.get("key", "")
    address = f"camera:{post.get('addr', '')[:64]}"
    # A camera already sending is never throttled: only new publishes spend or check
    # the budget, so guesses from behind the same address cannot drop it.
    if not is_update:
        rate_limits.check("ingest-failure", address)
    camera = find_rtmp_camera(name, key)
    if camera is None:
        if not is_update:
            rate_limits.hit("ingest-failure", address)
            note_refused_publish(name, post.get("addr", ""), "wrong stream key")
        logger.warning(
            "refused an RTMP publish from %s to %s with a wrong key (%s)",
            log_field(post.get("addr", "?")),
            log_field(name),
            telemetry.fingerprint(key),
        )
    return camera


@csrf_exempt  # called by nginx-rtmp, which holds no session
@require_POST
def rtmp_publish(request):
    """2xx admits, 3xx admits under a new name, 4xx refuses (see sources.rtmp_stream_key).

    nginx-rtmp calls this when a camera starts publishing (``call=publish``) and
    again every few seconds while it sends (``call=update_publish``, on_update):
    a refusal then drops the camera, so stopping the broadcast, or rotating the
    key, ends its RTMP feed within a couple of seconds.
    """
    if not _is_hook_call(request):
        return _refuse_caller(request)
    post = request.POST
    call, name = post.get("call", ""), post.get("name", "")
    if call in ("play", "update_play"):
        return HttpResponse(status=204)  # the relay reading the ingest application
    if post.get("app") == "hls":
        if _relayed(name):
            return HttpResponse(status=204)
        return _refuse("Only the relay of a live RTMP broadcast may publish here.")
    is_update = call == "update_publish"
    try:
        camera = _camera_of(post, is_update)
    except rate_limits.RateLimited as exc:
        logger.warning(
            "refused an RTMP publish from %s to %s: too many wrong stream keys",
            log_field(post.get("addr", "?")),
            log_field(name),
        )
        return _throttled(exc)
    if camera is None:
        return _refuse("Wrong stream key.")
    broadcast = _live_rtmp_broadcast(camera)
    if broadcast is None:
        if is_update:
            logger.info("dropping the RTMP camera %s: its broadcast is no longer live", camera)
        else:
            logger.warning("refused an RTMP publish to %s: the camera is not live", camera)
            note_refused_publish(
                camera.ingest_name,
                post.get("addr", ""),
                "the camera was not started on the host page",
            )
        return _refuse("The camera's broadcast is not live (or not an RTMP one).")
    if is_update:
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
    if not _is_hook_call(request):
        return _refuse_caller(request)
    return HttpResponse(status=204)
