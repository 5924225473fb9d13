"""The secret that nginx-rtmp's hook calls carry, so only the RTMP block can make them.

Requests proxied by the public nginx server reach Django from the same loopback
address as nginx-rtmp's own hook calls, so an address check alone tells them
apart from nothing. The RTMP block's hook URLs carry this secret (derived from
LIVE_VIEWER_SIGN_KEY, like the media secret), and the public server answers
404 for ``/ingest/`` besides.
"""

import hashlib
import hmac
from functools import lru_cache

from django.conf import settings

# Query parameter of the hook URLs; Django's request loggers redact ``…key=``.
HOOK_PARAM = "hook_key"
# Argument of the relay's publish into the hls application (see relay_name).
RELAY_PARAM = "relay"


@lru_cache(maxsize=4)
def _derive(sign_key: str) -> str:
    return hmac.new(sign_key.encode(), b"teecam ingest hook v1", hashlib.sha256).hexdigest()


def hook_secret() -> str:
    return _derive(settings.LIVE_VIEWER_SIGN_KEY)


def hook_secret_matches(candidate) -> bool:
    return hmac.compare_digest(str(candidate or "").encode(), hook_secret().encode())


def hook_query() -> str:
    """What the rendered nginx config appends to each hook URL."""
    return f"?{HOOK_PARAM}={hook_secret()}"


@lru_cache(maxsize=4)
def _relay_key(sign_key: str) -> bytes:
    return hmac.new(sign_key.encode(), b"teecam rtmp relay v1", hashlib.sha256).digest()


def relay_secret(stream_name: str) -> str:
    """The one broadcast's relay secret: only nginx's relay of that broadcast carries it."""
    key = _relay_key(settings.LIVE_VIEWER_SIGN_KEY)
    return hmac.new(key, stream_name.encode(), hashlib.sha256).hexdigest()[:40]


def relay_name(stream_name: str) -> str:
    """What the publish hook renames an admitted camera to: the media name plus the
    relay secret as an argument. nginx-rtmp's ``push`` publishes into the hls
    application under this name, whose hook then sees ``name`` (the media name, which
    also names the HLS folder) and ``relay`` apart: a publisher from loopback that
    knows a live broadcast's media name (a simulcast target pointed at the hls
    application, say) but not this secret is refused."""
    return f"{stream_name}?{RELAY_PARAM}={relay_secret(stream_name)}"


def relay_secret_matches(stream_name, candidate) -> bool:
    if not isinstance(stream_name, str) or not isinstance(candidate, str):
        return False
    return hmac.compare_digest(candidate.encode(), relay_secret(stream_name).encode())
