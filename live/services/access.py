"""What a viewer token unlocks right now: the live broadcast's signed playlist."""

import math
import time
from dataclasses import dataclass

from django.conf import settings

from live.models import Broadcast, ViewerLink
from live.services.media import PLAYLIST, MediaPath, sign_media_path
from live.services.tokens import InvalidToken, ViewerToken, read_viewer_token
from live.services.viewer_links import find_link

# Media expiries are rounded up to this step so that viewers polling at about
# the same time get the same URLs, which a CDN can then cache once.
MEDIA_EXPIRY_STEP = 30


@dataclass(frozen=True)
class ViewerAccess:
    broadcast: Broadcast | None  # the live broadcast, if any
    token: ViewerToken | None  # set only when the token admits the viewer
    problem: str | None  # missing, malformed, invalid, expired, ended, revoked
    link: ViewerLink | None = None

    def media_expires(self, now=None):
        """Short-lived, re-signed on every poll: a revoked link's media stops soon."""
        now = time.time() if now is None else now
        step = MEDIA_EXPIRY_STEP
        short = math.ceil((now + settings.LIVE_VIEWER_MEDIA_TTL) / step) * step
        return min(self.token.expires, short)

    def signed_playlist(self, now=None):
        """(signed playlist path, its expiry), or (None, None) without a valid token.

        One expiry for both, so an answer never names a time its path does not carry.
        """
        if self.token is None:
            return None, None
        expires = self.media_expires(now)
        return sign_media_path(MediaPath(self.broadcast.stream_name, PLAYLIST), expires), expires

    @property
    def hls_path(self):
        return self.signed_playlist()[0]


def check_viewer_access(event_id, raw_token, broadcast, now=None) -> ViewerAccess:
    """broadcast: the event's live broadcast (``live_broadcast``), None when nothing is live."""
    try:
        token = read_viewer_token(raw_token, event_id, now=now)
    except InvalidToken as exc:
        return ViewerAccess(broadcast, None, exc.reason)
    if broadcast is None or broadcast.pk != token.broadcast_id:
        return ViewerAccess(broadcast, None, "ended")
    link = find_link(raw_token)
    if link is not None and link.revoked_at is not None:
        return ViewerAccess(broadcast, None, "revoked", link)
    return ViewerAccess(broadcast, token, None, link)
