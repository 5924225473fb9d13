"""Viewer links: minting, listing and revoking, one by one.

A link is its token; only a fingerprint (SHA-256, 32 hex characters) is kept,
enough to recognise a revoked token without being able to use it.
"""

import hashlib

from django.db.models import Count
from django.utils import timezone

from live.models import ViewerLink
from live.services import rate_limits, telemetry
from live.services.prepared import PreparedLookup
from live.services.tokens import mint_viewer_token


def token_fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def mint_viewer_link(broadcast, ttl, minted_by):
    """Returns (token, claims, link); RateLimited past the minting budget."""
    rate_limits.hit("mint", minted_by)
    token, claims = mint_viewer_token(broadcast.event_id, broadcast.pk, ttl)
    link = ViewerLink.objects.create(
        broadcast=broadcast,
        fingerprint=token_fingerprint(token),
        minted_by=minted_by,
        expires_at=claims.expires_at,
    )
    telemetry.emit(
        "live.token",
        eventId=broadcast.event_id,
        broadcastId=broadcast.pk,
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


def links_of(broadcast):
    """The broadcast's links, newest first, with how many viewers each brought."""
    if broadcast is None:
        return ViewerLink.objects.none()
    return ViewerLink.objects.filter(broadcast=broadcast).annotate(viewer_count=Count("viewers"))


def revoke_viewer_link(link, actor):
    """Revokes the link; returns False if it already was."""
    updated = ViewerLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    return bool(updated)
