"""Viewer tokens: ``<broadcast id>.<expiry>.<nonce>.<signature>``.

The signature is HMAC-SHA256 under LIVE_VIEWER_SIGN_KEY over the event id, the
broadcast id, the expiry (unix seconds) and the nonce, base64url without
padding. The nonce (8 random bytes) makes every minted link distinct, so each
can be revoked on its own. The event id is not in the token: it comes from the
URL, so a token for one event fails on another. Tokens are never stored;
stopping the broadcast voids them because they name a broadcast that is no
longer live.
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
    r"\A([1-9][0-9]{0,17})\.([1-9][0-9]{0,11})\.([A-Za-z0-9_-]{11})\.([A-Za-z0-9_-]{43})\Z"
)
MAX_TOKEN_LENGTH = 100


class InvalidToken(Exception):
    """Why a token cannot be used; ``reason`` is one of missing, malformed, invalid, expired."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ViewerToken:
    event_id: str
    broadcast_id: int
    expires: int
    nonce: str

    @property
    def expires_at(self):
        return datetime.fromtimestamp(self.expires, tz=dt_timezone.utc)


def _signature(event_id: str, broadcast_id: int, expires: int, nonce: str) -> str:
    message = f"teecam-viewer-token-v1\n{event_id}\n{broadcast_id}\n{expires}\n{nonce}".encode()
    digest = hmac.new(settings.LIVE_VIEWER_SIGN_KEY.encode(), message, hashlib.sha256).digest()
    return b64url(digest)


def mint_viewer_token(event_id: str, broadcast_id: int, ttl: int, now=None):
    expires = int(now if now is not None else time.time()) + int(ttl)
    nonce = b64url(secrets.token_bytes(8))
    signature = _signature(event_id, broadcast_id, expires, nonce)
    token = f"{broadcast_id}.{expires}.{nonce}.{signature}"
    return token, ViewerToken(event_id, broadcast_id, expires, nonce)


def read_viewer_token(token, event_id: str, now=None) -> ViewerToken:
    """The token's claims if it is well formed, signed for this event and unexpired."""
    if not token:
        raise InvalidToken("missing")
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("malformed")
    match = _TOKEN_RE.match(token)
    if not match:
        raise InvalidToken("malformed")
    broadcast_id, expires, nonce, signature = int(match[1]), int(match[2]), match[3], match[4]
    expected = _signature(event_id, broadcast_id, expires, nonce)
    if not hmac.compare_digest(expected, signature):
        raise InvalidToken("invalid")
    if expires <= (now if now is not None else time.time()):
        raise InvalidToken("expired")
    return ViewerToken(event_id, broadcast_id, expires, nonce)
