"""Viewer links: minting, listing and revoking, one by one.

A link belongs to an event (every camera) or one camera, not to a broadcast: it
works across stops and starts until it expires or is revoked. A link is its
token; only a fingerprint (SHA-256, 32 hex characters) is kept, enough to
recognise a revoked token without being able to use it.
"""

import hashlib

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from live.models import Broadcast, ViewerLink
from live.services import rate_limits, telemetry, webhooks
from live.services.audience import watching_filter
from live.services.prepared import PreparedLookup
from live.services.snapshots import forget_all
from live.services.tokens import NO_BROADCAST, mint_viewer_token, scope_for


class NotLive(Exception):
    """Links are minted only while what they cover is live."""


def token_fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def mint_viewer_link(live, ttl, minted_by, camera=None):
    """A link for the event (camera None) or one camera: (token, claims, link).

    ``live``: the live broadcast, or the event's live broadcasts, it would cover
    right now; NotLive when there are none (the rule of ``/live/token`` since the
    first release; ``mint_link_ahead`` mints without it). RateLimited past the
    minting budget.
    """
    live = _covered(live, camera)
    if not live:
        what = f"The camera {camera.name!r} is" if camera is not None else "The event is"
        raise NotLive(f"{what} not live: start it before minting viewer links.")
    return _mint(live[0].event_id, live[0].pk, ttl, minted_by, camera)


def mint_link_ahead(event_id, ttl, minted_by, camera=None, live=()):
    """A link minted whether or not anything is live (``POST /events/<id>/links``, the
    host page): sent ahead of a tee time, its page waits (and counts down to a
    schedule) and plays once the camera goes live. ``live``: the event's live
    broadcasts, only to note the one it covers now."""
    covered = _covered(live, camera)
    broadcast_id = covered[0].pk if covered else NO_BROADCAST
    return _mint(event_id, broadcast_id, ttl, minted_by, camera)


def _covered(live, camera):
    """The live broadcasts a link for ``camera`` (None: every camera) covers now."""
    if live is None or isinstance(live, Broadcast):
        live = [live]
    live = [broadcast for broadcast in live if broadcast is not None]
    if camera is not None:
        live = [broadcast for broadcast in live if broadcast.camera_id == camera.pk]
    return live


def _mint(event_id, broadcast_id, ttl, minted_by, camera):
    rate_limits.hit("mint", minted_by)
    token, claims = mint_viewer_token(
        event_id, broadcast_id, ttl, scope=scope_for(camera.pk if camera else None)
    )
    link = ViewerLink.objects.create(
        event_id=event_id,
        camera=camera,
        fingerprint=token_fingerprint(token),
        minted_by=minted_by,
        expires_at=claims.expires_at,
    )
    telemetry.emit(
        "live.token",
        eventId=event_id,
        camera=camera.slug if camera else None,
        broadcastId=broadcast_id or None,
        ttl=ttl,
        tokenId=telemetry.fingerprint(token),
        linkId=link.pk,
        actor=minted_by,
    )
    return token, claims, link


# Every status poll and viewer page poll with a token looks its link up:
# compiled once per connection (live/services/prepared.py).
_LINK_BY_FINGERPRINT = PreparedLookup(
    lambda fingerprint: ViewerLink.objects.filter(fingerprint=fingerprint)[:1]
)


def find_link(token: str):
    return _LINK_BY_FINGERPRINT.first(token_fingerprint(token))


def links_of(event_id, camera=None, now=None):
    """The event's links (of one camera: ``camera``), newest first, with the viewers
    watching through each now (``watching_now``; ``viewer_count`` is the same number)
    and the pages that ever played through it (``viewers_so_far``)."""
    links = ViewerLink.objects.filter(event_id=event_id)
    if camera is not None:
        links = links.filter(camera=camera)
    watching = Count("viewers", filter=watching_filter("viewers__", now))
    # Explicit: Django leaves Meta.ordering out of aggregate (GROUP BY) queries.
    return (
        links.select_related("camera")
        .annotate(
            watching_now=watching,
            viewer_count=watching,
            viewers_so_far=Count("viewers__viewer_id", distinct=True),
        )
        .order_by("-created_at", "-pk")
    )


def link_state(link, now=None):
    """active, expired or revoked (revoked wins: it is final)."""
    if link.revoked_at is not None:
        return "revoked"
    return "expired" if link.expires_at <= (now or timezone.now()) else "active"


def revoke_viewer_link(link, actor):
    """Revokes the link; returns False if it already was."""
    with transaction.atomic():
        updated = ViewerLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=actor
        )
        if updated:
            webhooks.link_revoked(link, actor)  # the outbox row commits with the revocation
    if updated:
        forget_all()  # this process's polls see it at once; the others within a second
        telemetry.emit("live.link_revoked", eventId=link.event_id, linkId=link.pk, actor=actor)
    return bool(updated)
