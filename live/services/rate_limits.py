"""Fixed-window rate limits in Django's cache (Redis when REDIS_URL is set).

With the default local-memory cache each process counts on its own, so a
limit is per process; set REDIS_URL to share the counts between processes.
"""

import ipaddress
import time
from dataclasses import dataclass
from functools import lru_cache

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


def _network(entry):
    try:
        return ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        return None


@lru_cache(maxsize=8)
def _trusted_networks(entries):
    return tuple(net for net in map(_network, entries) if net is not None)


def _is_trusted(address, networks):
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in networks)


def client_address_of(remote_addr, forwarded_for=""):
    """The client's address: REMOTE_ADDR, or behind a trusted proxy, the address it forwarded.

    X-Forwarded-For is believed only when the peer (REMOTE_ADDR) is one of
    LIVE_TRUSTED_PROXIES (addresses or CIDRs; empty by default: trust no one).
    Each trusted proxy appends the address it saw, so the chain is walked from the
    right and the first address that is not a trusted proxy is the client: anything
    left of it was written by the client itself and may be forged.
    """
    networks = _trusted_networks(tuple(settings.LIVE_TRUSTED_PROXIES))
    if not networks:
        return remote_addr or ""
    return _client_behind(networks, remote_addr or "", forwarded_for or "")


# Every API request asks this; parsing the addresses was a tenth of status's own cost.
# Bounded, so a client sending made-up chains only churns the oldest entries.
@lru_cache(maxsize=4096)
def _client_behind(networks, address, forwarded_for):
    if not _is_trusted(address, networks):
        return address
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            # Garbage in the chain: stop believing it here, count the proxy's peer.
            return address
        if not _is_trusted(hop, networks):
            return hop
        address = hop
    return address
