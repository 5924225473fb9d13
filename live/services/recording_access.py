"""What a viewer token unlocks of recordings: the rewind playlist while live, the
replay after the broadcast ended.

The rewind playlist (``dvr.m3u8``) is signed like ``hlsPath``, with the same
short, re-signed expiry: the signature covers the stream's folder, so the
player's newest ``hlsPath`` signature admits it too. The replay is signed for
``LIVE_MEDIA_URL_TTL`` (at least the recording's length and 5 minutes more), so
a replay watched to its end keeps playing without polls re-signing it.
"""

import math
import time
from datetime import datetime, timezone as dt_timezone

from django.conf import settings

from live.services.access import MEDIA_EXPIRY_STEP, check_viewer_access
from live.services.media import MediaPath, sign_media_path
from live.services.recording_playlists import DVR_PLAYLIST
from live.services.recordings import is_recording, ready_recording, replay_media


def _at(timestamp):
    return datetime.fromtimestamp(timestamp, tz=dt_timezone.utc)


def dvr_fields(access, recording_now=is_recording):
    """``{dvrPath}`` for a viewer who may play the live broadcast, when it is recorded.

    recording_now: asks whether a broadcast is being recorded (a snapshot's, on polls)."""
    if not access.can_play or not recording_now(access.broadcast):
        return {}
    expires = access.media_expires()
    return {
        "dvrPath": sign_media_path(MediaPath(access.broadcast.stream_name, DVR_PLAYLIST), expires)
    }


def replay_expiry(recording, now=None):
    now = time.time() if now is None else now
    seconds = max(settings.LIVE_MEDIA_URL_TTL, recording.duration_seconds + 300)
    return math.ceil((now + seconds) / MEDIA_EXPIRY_STEP) * MEDIA_EXPIRY_STEP


def signed_replay(event_id, raw_token, last, camera_id=None):
    """(signed recording playlist, expiry) of the camera's ended broadcast ``last`` for
    a token valid for that camera, else (None, None)."""
    media = replay_media(last)
    if media is None or not raw_token:
        return None, None
    access = check_viewer_access(event_id, raw_token, None, camera_id=camera_id or last.camera_id)
    if access.token is None:
        return None, None
    expires = replay_expiry(ready_recording(last))
    return sign_media_path(media, expires), expires


def replay_fields(event_id, raw_token, last):
    path, expires = signed_replay(event_id, raw_token, last)
    if path is None:
        return {}
    return {"replayPath": path, "replayPathExpiresAt": _at(expires)}
