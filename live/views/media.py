from django.http import FileResponse, HttpResponse

from live.http import json_error
from live.services.clips import content_disposition
from live.services.delivery import find_media
from live.services.media import MediaDenied, verify_signed_request
from live.services.storage import StorageUnavailable

# A store that did not answer: players retry a segment; this says when.
STORAGE_RETRY_SECONDS = 5


def signed_media(request, signature, expires, rest):
    """Serves /hls/<signature>/<expiry>/<stream>/<file>: the demo's stand-in for nginx,
    and, with object storage, every app server's way to stored recordings and clips."""
    try:
        media_path = verify_signed_request(signature, expires, rest)
    except MediaDenied as exc:
        code = "expired" if exc.status == 410 else "forbidden"
        return json_error(exc.status, code, f"Media URL refused: {exc.reason}.")
    try:
        media = find_media(media_path)
    except StorageUnavailable:
        response = json_error(503, "storage_unavailable", "Recordings storage did not answer.")
        response["Retry-After"] = str(STORAGE_RETRY_SECONDS)
        return response
    if media is None:
        return json_error(404, "not_found", "No such media file.")
    if media.text is not None:
        response = HttpResponse(media.text, content_type=media.content_type)
    elif media.body is not None:
        # Streamed from the bucket as it arrives; FileResponse closes the body.
        response = FileResponse(media.body, content_type=media.content_type)
        response["Content-Length"] = str(media.length)
    else:
        response = FileResponse(open(media.path, "rb"), content_type=media.content_type)
    response["Cache-Control"] = media.cache_control
    response["Access-Control-Allow-Origin"] = "*"
    disposition = content_disposition(request.GET.get("download"))
    if disposition and media_path.file.endswith(".mp4"):
        response["Content-Disposition"] = disposition
    return response
