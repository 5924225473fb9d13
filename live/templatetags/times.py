"""``{% load times %}`` ``{{ value|event_time:camera }}``: a time in the event's own zone.

Every page uses this one filter for the times people read, so host page, viewer
page and embed never show two zones or two formats. ``where``: the event, a
camera (its event), or an IANA name.
"""

from datetime import timezone as dt_timezone

from django import template
from django.utils.html import format_html

from live.services.times import local_text, zone_name_label, zone_of

register = template.Library()


@register.filter
def event_time(value, where):
    """A ``<time>`` element: the text in the event's zone, the exact UTC instant in
    ``datetime`` and the zone's full name on hover."""
    if not value:
        return ""
    utc = value.astimezone(dt_timezone.utc)
    return format_html(
        '<time datetime="{}" title="{} ({})">{}</time>',
        utc.isoformat().replace("+00:00", "Z"),
        value.astimezone(zone_of(where)).strftime("%Y-%m-%d %H:%M:%S"),
        zone_of(where).key,
        local_text(value, where),
    )


@register.filter
def event_time_text(value, where):
    """The same words without markup (attributes, aria-labels)."""
    return local_text(value, where) if value else ""


@register.filter
def time_zone_label(where):
    return zone_name_label(where)
