"""Structured telemetry: one JSON object per line on the ``live.telemetry`` logger.

Callers pass only what is safe to log; ``fingerprint`` turns a token or key
into a short, stable, non-reversible id for correlating lines.
"""

import hashlib
import json
import logging

from django.utils import timezone

logger = logging.getLogger("live.telemetry")

EVENTS = frozenset(
    {
        "live.start",
        "live.stop",
        "live.token",
        "live.status",
        "live.viewer_join",
        "live.rate_limited",
        "live.camera_created",
        "live.stream_key_rotated",
        "live.link_revoked",
        "live.schedule_set",
        "live.schedule_cleared",
        "live.simulcast_added",
        "live.simulcast_removed",
    }
)


def fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def emit(name: str, **fields):
    if name not in EVENTS:
        raise ValueError(f"unknown telemetry event {name!r}")
    if not logger.isEnabledFor(logging.INFO):
        return
    record = {"event": name, "at": timezone.now().isoformat(), **fields}
    logger.info(json.dumps(record, default=str, separators=(",", ":")))
