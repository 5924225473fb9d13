"""What ``GET /media/sign`` may sign: streams that exist now, and only those.

The trust model: an API key (client or admin) stands for an application the
operator trusts, such as the club's own website. It may sign the playlist and
segments of any stream it could watch right now, for LIVE_MEDIA_URL_TTL
seconds: a live broadcast of an event in its scope, or a committed fixture.
An ended broadcast, a made-up name, or a stream of nothing is 404, so a key
cannot keep a stopped broadcast's leftovers playing or probe for folders.
Viewer links are a separate grant: revoking a link stops its viewers, not the
applications that hold a key (revoke the key for that).
"""

from pathlib import Path

from django.conf import settings

from live.models import Broadcast, Clip, ClipState, Recording, RecordingState
from live.services.media import (
    STREAM_NAME_RE,
    InvalidMediaPath,
    MediaDenied,
    MediaPath,
    looks_signed,
    parse_media_path,
    verify_signature,
)


class UnknownStream(Exception):
    """The path names no stream that may be signed now."""

    def __init__(self, stream):
        super().__init__(
            f"No live broadcast, recording, clip or fixture stream {stream!r} to sign."
        )
        self.stream = stream


def signable_stream(name) -> bool:
    """Whether media of the stream ``name`` may be signed for an API key now.

    Besides live broadcasts and fixtures: an ended broadcast whose recording is
    ready (its replay), and a ready clip.
    """
    if not isinstance(name, str) or not STREAM_NAME_RE.match(name):
        return False
    if Broadcast.objects.filter(stream_name=name, stopped_at__isnull=True).exists():
        return True
    if Recording.objects.filter(broadcast__stream_name=name, state=RecordingState.READY).exists():
        return True
    if Clip.objects.filter(stream_name=name, state=ClipState.READY).exists():
        return True
    return (Path(settings.LIVE_SAMPLES_HLS_DIR) / name).is_dir()


def media_path_to_sign(path) -> MediaPath:
    """The media a path given to /media/sign names; InvalidMediaPath when malformed.

    Both forms are accepted: ``/hls/<stream>/<file>``, and an already signed
    ``/hls/<signature>/<expiry>/<stream>/<file>`` (such as status's ``hlsPath``)
    whose signature holds, expired or not: it names ``/hls/<stream>/<file>``.
    A signed form whose signature does not hold is refused, unless its first
    part is itself a stream that may be signed (a 22-character stream name with
    a numbered sub-folder).
    """
    media_path = parse_media_path(path)
    parts = path[len("/hls/") :].split("/")
    if not looks_signed(parts):
        return media_path
    try:
        return verify_signature(parts[0], parts[1], "/".join(parts[2:]))
    except MediaDenied:
        if signable_stream(media_path.stream):
            return media_path
        raise InvalidMediaPath("the signed path's signature does not verify")


def media_to_sign(path) -> MediaPath:
    """What /media/sign signs for ``path``: InvalidMediaPath, or UnknownStream (404)."""
    media_path = media_path_to_sign(path)
    if not signable_stream(media_path.stream):
        raise UnknownStream(media_path.stream)
    return media_path
