"""API keys: ``tc_<prefix>_<secret>``. Only a SHA-256 of the whole key is stored.

The prefix finds the row without a scan; the hash is compared in constant time.
"""

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from live.models import ApiKey
from live.services.prepared import PreparedLookup

_KEY_RE = re.compile(r"\Atc_([a-z0-9]{12})_([A-Za-z0-9_-]{32,64})\Z")
# Writing last_used_at on every request would make each status poll a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def create_api_key(name, is_admin=False):
    """Returns (ApiKey, raw key). The raw key is never stored: show it once."""
    prefix = secrets.token_hex(6)
    raw = f"tc_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(name=name, prefix=prefix, key_hash=_hash(raw), is_admin=is_admin)
    return key, raw


# Every API request looks its key up: compiled once per connection.
_ACTIVE_KEY = PreparedLookup(
    lambda prefix: ApiKey.objects.filter(prefix=prefix, is_active=True).order_by("pk")[:1]
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


def revoke_api_key(key):
    """Revokes the key: the next request with it fails, in every process."""
    return bool(
        ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            is_active=False, revoked_at=timezone.now()
        )
    )


@transaction.atomic
def rotate_api_key(key):
    """A new key with the same name and role; the old one is revoked. Returns (new, raw)."""
    new_key, raw = create_api_key(key.name, is_admin=key.is_admin)
    new_key.replaces = key
    new_key.save(update_fields=["replaces"])
    revoke_api_key(key)
    return new_key, raw


def find_by_prefix(prefix):
    return ApiKey.objects.filter(prefix=prefix).first()
