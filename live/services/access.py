"""What a viewer token unlocks right now: the camera's live, signed playlist, or why not."""

import math
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone as dt_timezone
from functools import cached_property

from django.conf import settings

from live.models import Broadcast, Viewer, ViewerLink
from live.services.media import PLAYLIST, MediaPath, sign_media_path
from live.services.media_hosts import media_base, media_url
from live.services.renditions import master_path
from live.services.tokens import InvalidToken, ViewerToken, read_viewer_token
from live.services.viewer_links import find_link, token_fingerprint

# Media expiries are rounded up to this step so that viewers polling at about
# the same time get the same URLs, which a CDN can then cache once.
MEDIA_EXPIRY_STEP = 30
VIEWER_ID_RE = re.compile(r"\A[A-Za-z0-9-]{8,64}\Z")


@dataclass(frozen=True)
class ViewerAccess:
    broadcast: Broadcast | None  # the camera's live broadcast, if any
    token: ViewerToken | None  # set only when the token admits the viewer
    # missing, malformed, invalid, expired, revoked, wrong_camera, or (v1 tokens) ended
    problem: str | None
    known_link: ViewerLink | None = None
    # Set when the link has expired but this viewer was already watching: the
    # session goes on, until this unix time at the latest, while the broadcast lasts.
    session_until: int | None = None
    # Set when the check read revocations from the event's snapshot, not the link's row.
    raw_token: str = field(default="", repr=False)

    @cached_property
    def link(self):
        """The token's link row; looked up on first use when the check did not need it."""
        if self.known_link is not None or not self.raw_token:
            return self.known_link
        return find_link(self.raw_token)

    @property
    def can_play(self):
        return self.token is not None and self.broadcast is not None

    def media_expires(self, now=None):
        """Short-lived, re-signed on every poll: a revoked link's media stops soon."""
        now = time.time() if now is None else now
        step = MEDIA_EXPIRY_STEP
        short = math.ceil((now + settings.LIVE_VIEWER_MEDIA_TTL) / step) * step
        return min(self.session_until or self.token.expires, short)

    def signed_playlist(self, now=None):
        """(signed playlist path, its expiry), or (None, None) when nothing may be played.

        One expiry for both, so an answer never names a time its path does not carry.
        """
        if not self.can_play:
            return None, None
        expires = self.media_expires(now)
        return sign_media_path(MediaPath(self.broadcast.stream_name, PLAYLIST), expires), expires

    @property
    def hls_path(self):
        return self.signed_playlist()[0]

    @cached_property
    def media_base(self):
        """Where the broadcast's media is served: its lease holder's host ('' here)."""
        return media_base(self.broadcast) if self.can_play else ""

    @property
    def hls_url(self):
        """hls_path on the media host that serves it: what players load."""
        return media_url(self.media_base, self.hls_path)

    @property
    def master_url(self):
        return media_url(self.media_base, self.master_path)

    @property
    def master_path(self):
        """The adaptive ladder's master playlist, signed like hls_path; None without one."""
        if not self.can_play:
            return None
        return master_path(self.broadcast, self.media_expires())

    def live_fields(self, now=None):
        """What status adds for a token that may play: the signed playlist (and the
        ladder's master) under one expiry, also as URLs on the media host serving them."""
        path, expires = self.signed_playlist(now)
        if path is None:
            return {}
        fields = {
            "hlsPath": path,
            "hlsUrl": media_url(self.media_base, path),
            "hlsPathExpiresAt": datetime.fromtimestamp(expires, tz=dt_timezone.utc),
            "expiresAt": self.token.expires_at,
        }
        master = master_path(self.broadcast, expires)
        if master is not None:
            fields["masterPath"] = master
            fields["masterUrl"] = media_url(self.media_base, master)
        return fields


def read_token(event_id, raw_token, now=None):
    """(claims, InvalidToken or None): the token read once, for a caller that needs its
    claims before asking check_viewer_access (which then takes them as ``read``)."""
    try:
        return read_viewer_token(raw_token, event_id, now=now), None
    except InvalidToken as exc:
        return exc.claims, exc


def check_viewer_access(
    event_id,
    raw_token,
    broadcast,
    camera_id=None,
    viewer_id=None,
    now=None,
    revoked=None,
    read=None,
) -> ViewerAccess:
    """Access to one camera of the event through a viewer token.

    broadcast: the camera's live broadcast, None when it is not live. camera_id:
    the camera asked about (defaults to the broadcast's). viewer_id: the viewer
    page's id, which lets a viewer who was already watching go on past the link's
    expiry (LIVE_VIEWER_SESSION_MAX_SECONDS). revoked: the fingerprints of the
    event's revoked links (live/services/snapshots.py), which spares the polls a
    query per token; without it the link's own row is read. read: ``read_token``'s
    answer for this token, when the caller has it.
    """
    if camera_id is None and broadcast is not None:
        camera_id = broadcast.camera_id
    expired = False
    token, invalid = read or read_token(event_id, raw_token, now)
    if invalid is not None:
        if invalid.reason != "expired" or not viewer_id or broadcast is None:
            return ViewerAccess(broadcast, None, invalid.reason)
        expired = True
    if token.bound_to_broadcast:
        if broadcast is None or broadcast.pk != token.broadcast_id:
            return ViewerAccess(broadcast, None, "ended")
    elif token.camera_id is not None and token.camera_id != camera_id:
        return ViewerAccess(broadcast, None, "wrong_camera")
    if revoked is not None and not expired:
        if token_fingerprint(raw_token) in revoked:
            return ViewerAccess(broadcast, None, "revoked", raw_token=raw_token)
        return ViewerAccess(broadcast, token, None, raw_token=raw_token)
    link = find_link(raw_token)
    if link is not None and link.revoked_at is not None:
        return ViewerAccess(broadcast, None, "revoked", link)
    session_until = None
    if expired:
        session_until = _watching_until(broadcast, viewer_id, link, token, now)
        if session_until is None:
            return ViewerAccess(broadcast, None, "expired", link)
    return ViewerAccess(broadcast, token, None, link, session_until)


def _watching_until(broadcast, viewer_id, link, token, now=None):
    """When the session of a viewer who began playing before the link expired ends, or None."""
    if link is None or not isinstance(viewer_id, str) or not VIEWER_ID_RE.match(viewer_id):
        return None
    viewer = Viewer.objects.filter(broadcast=broadcast, viewer_id=viewer_id, link=link).first()
    if viewer is None or viewer.joined_at >= token.expires_at:
        return None
    until = viewer.joined_at + timedelta(seconds=settings.LIVE_VIEWER_SESSION_MAX_SECONDS)
    until = int(until.timestamp())
    return until if until > (now if now is not None else time.time()) else None
