from django.http import FileResponse, HttpResponse

from live.http import json_error
from live.services.clips import content_disposition
from live.services.delivery import find_media
from live.services.media import MediaDenied, verify_signed_request


def signed_media(request, signature, expires, rest):
    """Serves /hls/<signature>/<expiry>/<stream>/<file>: the demo's stand-in for nginx."""
    try:
        media_path = verify_signed_request(signature, expires, rest)
    except MediaDenied as exc:
        code = "expired" if exc.status == 410 else "forbidden"
        return json_error(exc.status, code, f"Media URL refused: {exc.reason}.")
    media = find_media(media_path)
    if media is None:
        return json_error(404, "not_found", "No such media file.")
    if media.text is not None:
        response = HttpResponse(media.text, content_type=media.content_type)
    else:
        response = FileResponse(open(media.path, "rb"), content_type=media.content_type)
    response["Cache-Control"] = media.cache_control
    response["Access-Control-Allow-Origin"] = "*"
    disposition = content_disposition(request.GET.get("download"))
    if disposition and media_path.file.endswith(".mp4"):
        response["Content-Disposition"] = disposition
    return response
