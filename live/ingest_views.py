"""nginx-rtmp's hooks: it asks here whether a camera may publish.

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

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from live.api.errors import json_error
from live.log_fields import log_field
from live.services import rate_limits, telemetry
from live.services.ingest_hook import HOOK_PARAM, hook_secret_matches
from live.services.sources import find_rtmp_broadcast

logger = logging.getLogger("live.ingest")


def _from_hook_address(request):
    return request.META.get("REMOTE_ADDR") in settings.LIVE_INGEST_HOOK_ADDRESSES


def _throttled(exc):
    response = json_error(429, "throttled", str(exc))
    response["Retry-After"] = str(exc.retry_after)
    return response


def _refuse_caller(request):
    """403 for a call that is not nginx-rtmp's, counted against the caller's budget."""
    caller = f"caller:{rate_limits.client_address(request)}"
    try:
        rate_limits.check("ingest-failure", caller)
        rate_limits.hit("ingest-failure", caller)
    except rate_limits.RateLimited as exc:
        return _throttled(exc)
    logger.warning(
        "refused an RTMP hook call from %s without the hook secret",
        log_field(request.META.get("REMOTE_ADDR", "")),
    )
    return json_error(403, "forbidden", "Only the ingest server may call this hook.")


def _is_hook_call(request):
    return _from_hook_address(request) and hook_secret_matches(request.GET.get(HOOK_PARAM))


@csrf_exempt  # called by nginx-rtmp, which holds no session
@require_POST
def rtmp_publish(request):
    """2xx admits the camera, 4xx refuses it (see sources.rtmp_stream_key).

    nginx-rtmp calls this when a camera starts publishing (``call=publish``) and
    again every few seconds while it sends (``call=update_publish``, on_update):
    a refusal then drops the camera, so stopping the broadcast ends its RTMP feed.
    """
    if not _is_hook_call(request):
        return _refuse_caller(request)
    stream_name, key = request.POST.get("name", ""), request.POST.get("key", "")
    camera = f"camera:{request.POST.get('addr', '')[:64]}"
    # A camera already sending is never throttled: only new publishes spend or check
    # the budget, so guesses from behind the same address cannot drop it.
    is_update = request.POST.get("call") == "update_publish"
    try:
        if not is_update:
            # A camera address that guessed wrong too often waits out the window.
            rate_limits.check("ingest-failure", camera)
        broadcast = find_rtmp_broadcast(stream_name, key)
        if broadcast is None and not is_update:
            rate_limits.hit("ingest-failure", camera)
    except rate_limits.RateLimited as exc:
        logger.warning(
            "refused an RTMP publish from %s to %s: too many wrong stream keys",
            log_field(request.POST.get("addr", "?")),
            log_field(stream_name),
        )
        return _throttled(exc)
    if broadcast is None:
        if is_update:
            logger.info(
                "dropping the RTMP camera of %s: its broadcast is no longer live",
                log_field(stream_name),
            )
        else:
            logger.warning(
                "refused an RTMP publish from %s to %s with a wrong key (%s)",
                log_field(request.POST.get("addr", "?")),
                log_field(stream_name),
                telemetry.fingerprint(key),
            )
        return json_error(403, "forbidden", "Wrong stream key, or the broadcast is not live.")
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def rtmp_publish_done(request):
    if not _is_hook_call(request):
        return _refuse_caller(request)
    return HttpResponse(status=204)
