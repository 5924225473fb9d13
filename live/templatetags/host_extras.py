"""Small filters for the host page: actors in words people read."""

from django import template

from live.services.sources import source_label
from live.services.states import actor_label

register = template.Library()


@register.filter(name="actor")
def actor(value):
    return actor_label(value)


@register.filter(name="source_label")
def source_label_filter(value):
    """The livekit source reads "WebRTC (WHIP)" when teecam's own WHIP ingest serves it."""
    return source_label(value) if value else ""
