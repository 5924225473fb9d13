"""Fixed-window rate limits in Django's cache (Redis when REDIS_URL is set).

With the default local-memory cache each process counts on its own, so a
limit is per process; set REDIS_URL to share the counts between processes.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from live.services import telemetry


@dataclass(frozen=True)
class Limit:
    scope: str
    count: int
    seconds: int


def limit_for(scope) -> Limit:
    count, seconds = settings.LIVE_RATE_LIMITS[scope]
    return Limit(scope, count, seconds)


class RateLimited(Exception):
    def __init__(self, limit, retry_after):
        super().__init__(f"Too many requests: at most {limit.count} per {limit.seconds} s.")
        self.limit = limit
        self.retry_after = retry_after


def _window(limit, ident, now):
    window = int(now // limit.seconds)
    key = f"rate:{limit.scope}:{telemetry.fingerprint(str(ident))}:{window}"
    retry_after = max(1, int((window + 1) * limit.seconds - now) + 1)
    return key, retry_after


def check(scope, ident, now=None):
    """Raise RateLimited if ``ident`` already spent its budget in this window."""
    limit = limit_for(scope)
    now = time.time() if now is None else now
    key, retry_after = _window(limit, ident, now)
    if (cache.get(key) or 0) >= limit.count:
        _refuse(limit, ident, retry_after)


def hit(scope, ident, now=None):
    """Count one use and raise RateLimited if it is over the budget."""
    limit = limit_for(scope)
    now = time.time() if now is None else now
    key, retry_after = _window(limit, ident, now)
    cache.add(key, 0, timeout=limit.seconds + 1)
    try:
        used = cache.incr(key)
    except ValueError:  # the entry expired between add and incr
        cache.set(key, 1, timeout=limit.seconds + 1)
        used = 1
    if used > limit.count:
        _refuse(limit, ident, retry_after)


def _refuse(limit, ident, retry_after):
    telemetry.emit(
        "live.rate_limited",
        scope=limit.scope,
        client=telemetry.fingerprint(str(ident)),
        retryAfter=retry_after,
    )
    raise RateLimited(limit, retry_after)


def client_address(request):
    """The client's address; behind our own proxy, the address it forwarded."""
    address = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and address in settings.LIVE_TRUSTED_PROXIES:
        return forwarded.split(",")[-1].strip()
    return address
