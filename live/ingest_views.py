"""nginx-rtmp's hooks: it asks here whether a camera may publish."""

import logging

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from live.api.errors import json_error
from live.services import telemetry
from live.services.sources import find_rtmp_broadcast

logger = logging.getLogger("live.ingest")


def _from_hook_address(request):
    return request.META.get("REMOTE_ADDR") in settings.LIVE_INGEST_HOOK_ADDRESSES


@csrf_exempt  # called by nginx-rtmp, which holds no session
@require_POST
def rtmp_publish(request):
    """2xx admits the camera, 4xx refuses it (see sources.rtmp_stream_key).

    nginx-rtmp calls this when a camera starts publishing (``call=publish``) and
    again every few seconds while it sends (``call=update_publish``, on_update):
    a refusal then drops the camera, so stopping the broadcast ends its RTMP feed.
    """
    if not _from_hook_address(request):
        return json_error(403, "forbidden", "Only the ingest server may call this hook.")
    stream_name, key = request.POST.get("name", ""), request.POST.get("key", "")
    broadcast = find_rtmp_broadcast(stream_name, key)
    if broadcast is None:
        if request.POST.get("call") == "update_publish":
            logger.info(
                "dropping the RTMP camera of %r: its broadcast is no longer live",
                stream_name[:80],
            )
        else:
            logger.warning(
                "refused an RTMP publish from %s to %r with a wrong key (%s)",
                request.POST.get("addr", "?"),
                stream_name[:80],
                telemetry.fingerprint(key),
            )
        return json_error(403, "forbidden", "Wrong stream key, or the broadcast is not live.")
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def rtmp_publish_done(request):
    if not _from_hook_address(request):
        return json_error(403, "forbidden", "Only the ingest server may call this hook.")
    return HttpResponse(status=204)
