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
from live.services import rate_limits
from live.services.ingest_hook import HOOK_PARAM, RELAY_PARAM, hook_secret_matches, relay_name
from live.services.publishing import RTMP, PublishRefused, Publisher, admit_publish, relayed

logger = logging.getLogger("live.ingest")


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


def _publisher(post):
    """The RTMP publisher nginx-rtmp describes; an update carries when its publish began."""
    is_update = post.get("call", "") == "update_publish"
    began = None
    if is_update:
        try:
            began = timezone.now() - timedelta(seconds=int(post.get("time", "0")))
        except ValueError:
            began = None
    return Publisher(RTMP, post.get("addr", ""), is_update=is_update, began=began)


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
        if relayed(name, post.get(RELAY_PARAM)):
            return HttpResponse(status=204)
        logger.warning(
            "refused a publish into the hls application from %s to %s: not the relay",
            log_field(post.get("addr", "?")),
            log_field(name),
        )
        return _refuse("Only the relay of a live RTMP broadcast may publish here.")
    publisher = _publisher(post)
    try:
        _, broadcast = admit_publish(name, post.get("key", ""), publisher)
    except rate_limits.RateLimited as exc:
        logger.warning(
            "refused an RTMP publish from %s to %s: too many wrong stream keys",
            log_field(publisher.address or "?"),
            log_field(name),
        )
        return _throttled(exc)
    except PublishRefused as exc:
        return _refuse(exc.detail)
    if publisher.is_update:
        return HttpResponse(status=204)
    response = HttpResponse(status=302)
    # The relay into the hls application carries the broadcast's relay secret.
    response["Location"] = relay_name(broadcast.stream_name)
    return response


@csrf_exempt
@require_POST
def rtmp_publish_done(request):
    if not _is_hook_call(request):
        return _refuse_caller(request)
    return HttpResponse(status=204)
