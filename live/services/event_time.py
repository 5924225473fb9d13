"""An event's local time: where the event's own time zone comes in.

Until events carry their own zone, every event is in ``settings.TIME_ZONE``; this is the
one function to change when they do.
"""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def event_local_time(event, when):
    """``when`` (an aware datetime) on the event's clock."""
    return timezone.localtime(when, ZoneInfo(settings.TIME_ZONE))
