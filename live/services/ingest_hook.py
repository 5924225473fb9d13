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
