"""What a viewer token unlocks right now: the live broadcast's signed playlist."""

from dataclasses import dataclass

from live.models import Broadcast
from live.services.lifecycle import live_broadcast
from live.services.media import MediaPath, sign_media_path
from live.services.tokens import InvalidToken, ViewerToken, read_viewer_token

PLAYLIST = "index.m3u8"
# Pass as ``broadcast`` when the caller already knows nothing is live.
NOT_LIVE = object()


@dataclass(frozen=True)
class ViewerAccess:
    broadcast: Broadcast | None  # the live broadcast, if any
    token: ViewerToken | None  # set only when the token admits the viewer
    problem: str | None  # missing, malformed, invalid, expired, ended

    @property
    def hls_path(self):
        if self.token is None:
            return None
        return sign_media_path(MediaPath(self.broadcast.stream_name, PLAYLIST), self.token.expires)


def check_viewer_access(event_id, raw_token, broadcast=None, now=None) -> ViewerAccess:
    if broadcast is None:
        broadcast = live_broadcast(event_id)
    elif broadcast is NOT_LIVE:
        broadcast = None
    try:
        token = read_viewer_token(raw_token, event_id, now=now)
    except InvalidToken as exc:
        return ViewerAccess(broadcast, None, exc.reason)
    if broadcast is None or broadcast.pk != token.broadcast_id:
        return ViewerAccess(broadcast, None, "ended")
    return ViewerAccess(broadcast, token, None)
