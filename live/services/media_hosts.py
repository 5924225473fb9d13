"""Which media host serves a broadcast's /hls/ folder (docs/scaling.md).

Each packager writes its broadcasts' HLS to its own disk, which its host's nginx
serves, and records its host's public base (``LIVE_MEDIA_HOST_URL``) in the lease it
holds. Viewers' media URLs start with that base, so when a host dies and another
packager takes the lease over, their next poll points at the new host. The lease
is the one record of where a broadcast is: no base (one box, the mock, RTMP
without a media host) means the page's own host, as before.
"""

from django.conf import settings

from live.models import Broadcast, PackagerLease
from live.services.prepared import PreparedLookup

# Status polls ask this on their hot path: compiled once per connection (prepared.py).
_LIVE_LEASE = PreparedLookup(
    lambda stream: PackagerLease.objects.filter(
        broadcast__stream_name=stream, broadcast__stopped_at__isnull=True
    )[:1]
)


def this_media_host():
    return settings.LIVE_MEDIA_HOST_URL


def media_base(broadcast):
    """The base of the host holding the broadcast's lease ('' for the page's own host)."""
    if broadcast is None:
        return ""
    if Broadcast.lease.is_cached(broadcast):  # loaded with select_related("lease")
        try:
            return broadcast.lease.media_host
        except PackagerLease.DoesNotExist:
            return ""
    return stream_media_base(broadcast.stream_name)


def stream_media_base(stream):
    """The base of the host serving a live broadcast's folder ``stream`` ('' otherwise).

    Recordings, clips and fixtures stay on the page's own host: after Stop no
    lease says where a recording is (docs/scaling.md: shared storage for those).
    """
    lease = _LIVE_LEASE.first(stream)
    return lease.media_host if lease is not None else ""


def media_url(base, signed_path):
    """A signed ``/hls/…`` path under a media host's base; None stays None."""
    if signed_path is None:
        return None
    return f"{base}{signed_path}"
