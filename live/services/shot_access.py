"""Who may watch shots, and the signed URLs of a shot's clip and thumbnail.

A viewer link's rules, as for live (its token unexpired, unrevoked, for this event; a
camera link sees its camera's shots only), or, without a good link, public when the
event allows public shots (``Event.public_shots``).
"""

import math
import time
from dataclasses import dataclass

from django.conf import settings

from live.models import ClipState
from live.services.clips import CLIP_FILE
from live.services.media import MediaPath, sign_media_path
from live.services.shots import visible_shots
from live.services.thumbnails import THUMBNAIL
from live.services.tokens import InvalidToken, read_viewer_token
from live.services.viewer_links import find_link

# Signed shot URLs are rounded to this step so that viewers of the same list get the
# same URLs (a CDN caches each once), as for live media (access.py).
MEDIA_EXPIRY_STEP = 300
PUBLIC_EXPIRY_STEP = 86400


@dataclass(frozen=True)
class ShotAccess:
    """What a page of shots may show: ``problem`` None when it may show any."""

    problem: str | None
    expires: int = 0  # the signed media URLs' expiry
    camera_id: int | None = None  # a camera link sees only its camera's shots
    public: bool = False  # no link: the event allows public shots

    @property
    def ok(self):
        return self.problem is None


def viewer_expiry(token_expires, now=None):
    now = time.time() if now is None else now
    step = MEDIA_EXPIRY_STEP
    return min(int(token_expires), math.ceil((now + settings.LIVE_MEDIA_URL_TTL) / step) * step)


def public_expiry(now=None):
    """A day or two ahead, the same all day: a message app's preview fetches it later."""
    now = time.time() if now is None else now
    return (int(now) // PUBLIC_EXPIRY_STEP + 2) * PUBLIC_EXPIRY_STEP


def shot_access(event, raw_token, now=None) -> ShotAccess:
    """The viewer link's rules (its token unexpired, unrevoked, for this event; a camera
    link for its camera), or, without a good link, public when the event allows it."""
    problem = None
    try:
        token = read_viewer_token(raw_token, event.pk, now=now)
    except InvalidToken as exc:
        token, problem = None, exc.reason
    if token is not None and token.bound_to_broadcast:
        token, problem = None, "invalid"  # v1 links admit one broadcast's live picture only
    if token is not None:
        link = find_link(raw_token)
        if link is not None and link.revoked_at is not None:
            token, problem = None, "revoked"
    if token is not None:
        return ShotAccess(None, viewer_expiry(token.expires, now), token.camera_id)
    if event.public_shots:
        return ShotAccess(None, public_expiry(now), public=True)
    return ShotAccess(problem)


def shots_for(event_id, access):
    """The ready, visible shots ``access`` may see, newest first."""
    shots = visible_shots(event_id)
    if access.camera_id is not None:
        shots = shots.filter(camera_id=access.camera_id)
    return shots


def shot_media(shot, expires=None):
    """(signed clip.mp4 path, signed thumb.jpg path, expiry) of a ready shot, else Nones."""
    if shot.ready_at is None or shot.clip.state != ClipState.READY:
        return None, None, None
    if expires is None:
        expires = int(time.time()) + settings.LIVE_MEDIA_URL_TTL
    expires = int(expires)
    stream = shot.clip.stream_name
    return (
        sign_media_path(MediaPath(stream, CLIP_FILE), expires),
        sign_media_path(MediaPath(stream, THUMBNAIL), expires),
        expires,
    )
