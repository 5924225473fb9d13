"""API keys: ``tc_<prefix>_<secret>``. Only a SHA-256 of the whole key is stored.

The prefix finds the row without a scan; the hash is compared in constant time.
"""

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from live.models import ApiKey, Broadcast, Clip, Event
from live.services.prepared import PreparedLookup
from live.services.snapshots import Snapshot

_KEY_RE = re.compile(r"\Atc_([a-z0-9]{12})_([A-Za-z0-9_-]{32,64})\Z")
# Writing last_used_at on every request would make each status poll a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


class DuplicateKeyName(ValueError):
    """Another unrevoked key has this name: the audit log could not tell them apart."""

    def __init__(self, name):
        super().__init__(
            f"name: an active API key is already called {name!r}; pick another name, "
            "or rotate or revoke that key."
        )


class UnknownEvent(ValueError):
    pass


class OutOfScope(Exception):
    """The key is scoped to other events than the one asked for."""


def name_taken(name, exclude_pk=None):
    """Whether an unrevoked key other than ``exclude_pk`` is called ``name``."""
    taken = ApiKey.objects.filter(name=name, revoked_at__isnull=True)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    return taken.exists()


def create_api_key(name, is_admin=False, events=()):
    """Returns (ApiKey, raw key). The raw key is never stored: show it once.

    ``events``: event ids the key is limited to (none: every event). Raises
    DuplicateKeyName if an unrevoked key already has the name, UnknownEvent for an
    event id that does not exist.
    """
    prefix = secrets.token_hex(6)
    raw = f"tc_{prefix}_{secrets.token_urlsafe(32)}"
    event_ids = list(dict.fromkeys(events))
    found = set(Event.objects.filter(pk__in=event_ids).values_list("pk", flat=True))
    missing = [event_id for event_id in event_ids if event_id not in found]
    if missing:
        raise UnknownEvent(f"No event with id {missing[0]!r}.")
    try:
        with transaction.atomic():
            key = ApiKey.objects.create(
                name=name, prefix=prefix, key_hash=_hash(raw), is_admin=is_admin
            )
            key.events.set(event_ids)
    except IntegrityError:
        if name_taken(name):
            raise DuplicateKeyName(name) from None
        raise
    return key, raw


# Every API request looks its key up: compiled once per connection. A revoked key
# is refused whatever is_active says (revocation is final; the database agrees).
_ACTIVE_KEY = PreparedLookup(
    lambda prefix: ApiKey.objects.filter(
        prefix=prefix, is_active=True, revoked_at__isnull=True
    ).order_by("pk")[:1]
)
# Whether a key is scoped at all: one prepared lookup per API request, so that
# unscoped keys (the common case) cost no more than this.
_FIRST_SCOPE = PreparedLookup(
    lambda prefix: ApiKey.events.through.objects.filter(apikey__prefix=prefix).order_by("pk")[:1]
)


def find_api_key(raw_key):
    """The active key this raw key belongs to, or None."""
    match = _KEY_RE.match(raw_key or "")
    if not match:
        return None
    key = _ACTIVE_KEY.first(match[1])
    if key is None or not hmac.compare_digest(key.key_hash, _hash(raw_key)):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def _is_scoped(prefix):
    return _FIRST_SCOPE.first(prefix) is not None


# Whether a key is limited to some events, per process for LIVE_STATE_CACHE_SECONDS: it
# was status's second query (snapshots.py). Revocation is never kept: _ACTIVE_KEY runs on
# every request; a change of a key's events shows in other processes within that time.
_SCOPED = Snapshot(_is_scoped)


def check_event_scope(key, event_id):
    """Raise OutOfScope unless ``key`` may act on ``event_id`` (a key with no events: any)."""
    if not _SCOPED.get(key.prefix):
        return
    if not key.events.filter(pk=event_id).exists():
        raise OutOfScope(f"This API key is not allowed to act on event {event_id!r}.")


def check_stream_scope(key, stream_name):
    """Raise OutOfScope if ``stream_name`` is a broadcast of an event outside the key's scope.

    A stream of no broadcast (the committed fixture) belongs to no event: allowed.
    """
    if _FIRST_SCOPE.first(key.prefix) is None:
        return
    event_id = (
        Broadcast.objects.filter(stream_name=stream_name)
        .values_list("event_id", flat=True)
        .first()
    )
    if event_id is None:  # a clip's stream belongs to its camera's event
        event_id = (
            Clip.objects.filter(stream_name=stream_name)
            .values_list("camera__event_id", flat=True)
            .first()
        )
    if event_id is not None and not key.events.filter(pk=event_id).exists():
        raise OutOfScope(f"This API key is not allowed to sign media of event {event_id!r}.")


def revoke_api_key(key):
    """Revokes the key: the next request with it fails, in every process."""
    return bool(
        ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            is_active=False, revoked_at=timezone.now()
        )
    )


@transaction.atomic
def rotate_api_key(key):
    """A new key with the same name, role and events; the old one is revoked. Returns (new, raw).

    The old key is revoked first, so its successor may take its name.
    """
    events = list(key.events.values_list("pk", flat=True))
    revoke_api_key(key)
    new_key, raw = create_api_key(key.name, is_admin=key.is_admin, events=events)
    new_key.replaces = key
    new_key.save(update_fields=["replaces"])
    return new_key, raw


def find_by_prefix(prefix):
    return ApiKey.objects.filter(prefix=prefix).first()
