"""Viewer tokens: ``<broadcast id><scope>.<expiry>.<nonce>.<signature>``.

The broadcast id is the one live when the link was minted (for the record; 0
when nothing was live: a link sent ahead of a tee time);
the scope is ``e`` for an event link (every camera of the event) or
``c<camera id>`` for a camera link. The signature is HMAC-SHA256 under
LIVE_VIEWER_SIGN_KEY over the event id, the scope, the expiry (unix seconds)
and the nonce, base64url without padding. The nonce (8 random bytes) makes
every minted link distinct, so each can be revoked on its own. The event id is
not in the token: it comes from the URL, so a token for one event fails on
another. Tokens are never stored, and a link outlives stops and starts until it
expires or is revoked.

Tokens with no scope (``<broadcast id>.…``, signed as v1, as minted before
cameras existed) still verify; they admit only the broadcast they name, as they
always did, so links already sent keep their meaning.
"""

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone

from django.conf import settings

from live.services.encoding import b64url

_TOKEN_RE = re.compile(
    r"\A(0|[1-9][0-9]{0,14})(e|c[1-9][0-9]{0,14})?\.([1-9][0-9]{0,11})\."
    r"([A-Za-z0-9_-]{11})\.([A-Za-z0-9_-]{43})\Z"
)
MAX_TOKEN_LENGTH = 100
# The broadcast id of a link minted while nothing it covers was live (sent ahead of
# a tee time): scoped tokens never depend on it, so it plays once the camera goes live.
NO_BROADCAST = 0
EVENT_SCOPE = "e"


class InvalidToken(Exception):
    """Why a token cannot be used; ``reason`` is one of missing, malformed, invalid, expired.

    An expired token that is otherwise genuine carries its claims, so a viewer
    who was already watching can be let on (``access.py``).
    """

    def __init__(self, reason, claims=None):
        super().__init__(reason)
        self.reason = reason
        self.claims = claims


@dataclass(frozen=True)
class ViewerToken:
    event_id: str
    broadcast_id: int  # live when minted; for an unscoped (v1) token, the only one it admits
    expires: int
    nonce: str
    scope: str = ""  # "e", "c<camera id>", or "" (v1)

    @property
    def expires_at(self):
        return datetime.fromtimestamp(self.expires, tz=dt_timezone.utc)

    @property
    def camera_id(self):
        """The camera a camera link is for; None for an event link or a v1 token."""
        return int(self.scope[1:]) if self.scope.startswith("c") else None

    @property
    def bound_to_broadcast(self):
        """A v1 token: it admits only the broadcast it names."""
        return not self.scope


def scope_for(camera_id=None):
    return EVENT_SCOPE if camera_id is None else f"c{int(camera_id)}"


def _signature(event_id: str, broadcast_id: int, scope: str, expires: int, nonce: str) -> str:
    if scope:
        message = (
            f"teecam-viewer-token-v2\n{event_id}\n{broadcast_id}\n{scope}\n{expires}\n{nonce}"
        )
    else:
        message = f"teecam-viewer-token-v1\n{event_id}\n{broadcast_id}\n{expires}\n{nonce}"
    key = settings.LIVE_VIEWER_SIGN_KEY.encode()
    return b64url(hmac.new(key, message.encode(), hashlib.sha256).digest())


def mint_viewer_token(event_id: str, broadcast_id: int, ttl: int, now=None, scope=""):
    """A token; ``scope`` from ``scope_for`` makes it an event or camera link.

    Without a scope it is a v1 token bound to ``broadcast_id`` (what every token
    was before cameras; viewer links are always minted with a scope).
    """
    expires = int(now if now is not None else time.time()) + int(ttl)
    nonce = b64url(secrets.token_bytes(8))
    signature = _signature(event_id, broadcast_id, scope, expires, nonce)
    token = f"{broadcast_id}{scope}.{expires}.{nonce}.{signature}"
    return token, ViewerToken(event_id, int(broadcast_id), expires, nonce, scope)


def read_viewer_token(token, event_id: str, now=None) -> ViewerToken:
    """The token's claims if it is well formed, signed for this event and unexpired."""
    if not token:
        raise InvalidToken("missing")
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("malformed")
    match = _TOKEN_RE.match(token)
    if not match:
        raise InvalidToken("malformed")
    broadcast_id, scope = int(match[1]), match[2] or ""
    if broadcast_id == NO_BROADCAST and not scope:
        raise InvalidToken("malformed")  # a v1 token always names its broadcast
    expires, nonce, signature = int(match[3]), match[4], match[5]
    expected = _signature(event_id, broadcast_id, scope, expires, nonce)
    if not hmac.compare_digest(expected, signature):
        raise InvalidToken("invalid")
    claims = ViewerToken(event_id, broadcast_id, expires, nonce, scope)
    if expires <= (now if now is not None else time.time()):
        raise InvalidToken("expired", claims)
    return claims
