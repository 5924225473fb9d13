"""A packager's leases: which packager runs each live broadcast, and on which media host.

One ``PackagerLease`` row per broadcast (owner = host:pid:nonce), renewed every
couple of seconds and taken over once it lapses, so exactly one packager runs a
broadcast's ffmpeg and a dead host's broadcasts move within the lease time. The
row also records the holder's ``LIVE_MEDIA_HOST_URL``, where viewers fetch the
broadcast's media (media_hosts.py).
"""

import logging
import time
from datetime import timedelta

from django.db import IntegrityError, transaction

from live.models import PackagerLease
from live.workers.child_processes import kill_orphan
from live.services.paths import output_dir_for
from live.services.media_hosts import this_media_host
from live.services.sources import facts_of

logger = logging.getLogger("live.packager")

RENEW_EVERY_SECONDS = 2
# Least loaded first: a packager holding n broadcasts waits n times this (at most
# MAX_CLAIM_DELAY_SECONDS) before claiming a free one, so that with several media
# hosts an idle packager takes a new camera, and a dead host's cameras spread out.
CLAIM_DELAY_PER_HELD_SECONDS = 1.5
MAX_CLAIM_DELAY_SECONDS = 6


class Leases:
    def __init__(self, owner, seconds):
        self.owner = owner
        self.seconds = seconds
        # Renew well before the lease lapses, however short it is.
        self.renew_every = min(RENEW_EVERY_SECONDS, seconds / 3)
        self.renewed: dict[int, float] = {}  # broadcast id → when last renewed (monotonic)
        self.claimable_since: dict[int, float] = {}

    def hold(self, broadcast, now, child_pid=None):
        """True if this packager holds (or just took) the broadcast's lease."""
        last = self.renewed.get(broadcast.pk)
        if last is not None and time.monotonic() - last < self.renew_every:
            return True
        expires = now + timedelta(seconds=self.seconds)
        try:
            with transaction.atomic():
                lease = (
                    PackagerLease.objects.select_for_update()
                    .filter(broadcast_id=broadcast.pk)
                    .first()
                )
                mine = lease is not None and lease.owner == self.owner
                if lease is not None and not mine and lease.expires_at >= now:
                    self.renewed.pop(broadcast.pk, None)
                    # Held elsewhere: if that lapses, the wait starts from then.
                    self.claimable_since.pop(broadcast.pk, None)
                    return False
                if not mine and not self.may_claim(broadcast.pk):
                    return False
                if lease is None:
                    lease = PackagerLease(broadcast_id=broadcast.pk)
                elif not mine:
                    logger.warning(
                        "taking over broadcast %s from lapsed packager %s",
                        broadcast.pk,
                        lease.owner,
                    )
                    kill_orphan(lease.child_pid, broadcast.pk)
                lease.owner, lease.renewed_at, lease.expires_at = self.owner, now, expires
                lease.media_host = this_media_host()
                lease.child_pid = child_pid
                lease.save()
        except IntegrityError:
            return False
        self.renewed[broadcast.pk] = time.monotonic()
        self.claimable_since.pop(broadcast.pk, None)
        return True

    def may_claim(self, broadcast_id):
        held = len(self.renewed)
        if not held:
            return True
        since = self.claimable_since.setdefault(broadcast_id, time.monotonic())
        delay = min(held * CLAIM_DELAY_PER_HELD_SECONDS, MAX_CLAIM_DELAY_SECONDS)
        return time.monotonic() - since >= delay

    def feeds_here(self, broadcast):
        """With several media hosts an RTMP camera's folder is on the host it publishes
        to (nginx-rtmp writes it): only that host's packager may hold its lease."""
        if not this_media_host() or facts_of(broadcast.source).packaged:
            return True
        if output_dir_for(broadcast).is_dir():
            return True
        if broadcast.pk in self.renewed:
            self.release(broadcast.pk)
        return False

    def release(self, broadcast_id):
        self.claimable_since.pop(broadcast_id, None)
        self.renewed.pop(broadcast_id, None)
        PackagerLease.objects.filter(broadcast_id=broadcast_id, owner=self.owner).delete()
