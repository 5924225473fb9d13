"""Where a broadcast's picture comes from, and what the camera operator needs."""

from django.conf import settings

from live.models import Source


class SourceUnavailable(Exception):
    """The source cannot be used on this server; the message names the fix."""


def offered_sources():
    """(value, label) pairs of the sources this server can start now."""
    return [(value, label) for value, label in Source.choices if source_problem(value) is None]


def source_problem(source):
    if source == Source.LIVEKIT and not settings.LIVEKIT_WHIP_URL:
        return "The livekit source needs the LIVEKIT_WHIP_URL setting, which is not set."
    return None


def require_source(source):
    problem = source_problem(source)
    if problem:
        raise SourceUnavailable(problem)


def ingest_for(broadcast):
    """What the camera operator needs to send the picture, or None for the mock."""
    if broadcast.source == Source.LIVEKIT:
        return {"whipUrl": settings.LIVEKIT_WHIP_URL}
    return None
