"""An event's own time zone: every time a person reads is shown in it, in one format.

Stored times stay in UTC (the database, the API, logs, telemetry); only what the
pages show and what staff type into a schedule form are in the event's zone
(``Event.time_zone``, an IANA name; new events take LIVE_DEFAULT_TIME_ZONE). One
format everywhere: ``14:05 CET``, with the date in front when it is not today in
that zone (``8 Dec 14:05 CET``) and the year when it is not this year.
"""

import zoneinfo
from functools import lru_cache

from django.utils import timezone

from live.time_zones import default_time_zone, is_time_zone


@lru_cache(maxsize=256)
def _zone(name):
    return zoneinfo.ZoneInfo(name)


def zone_of(where):
    """The ZoneInfo of an event, a camera (its event: keep it select_related), or a name."""
    name = where
    if hasattr(where, "time_zone"):
        name = where.time_zone
    elif hasattr(where, "event"):
        name = where.event.time_zone
    return _zone(name if is_time_zone(name) else default_time_zone())


def zone_label(local):
    """``CET``; zones whose abbreviation is only an offset (``+04``) read ``UTC+04``."""
    abbreviation = local.tzname() or ""
    if abbreviation[:1] in ("+", "-"):
        return f"UTC{abbreviation}"
    return abbreviation or "UTC"


def local_text(value, where, now=None):
    """``14:05 CET`` (``8 Dec 14:05 CET`` on another day): the one format pages show."""
    zone = zone_of(where)
    local = value.astimezone(zone)
    today = (now or timezone.now()).astimezone(zone).date()
    text = local.strftime("%H:%M")
    if local.date() != today:
        day = f"{local.day} {local.strftime('%b')}"
        if local.year != today.year:
            day += f" {local.year}"
        text = f"{day} {text}"
    return f"{text} {zone_label(local)}"


def form_value(value, where):
    """A stored time as a ``datetime-local`` input shows it: in the event's zone."""
    return value.astimezone(zone_of(where)).strftime("%Y-%m-%dT%H:%M:%S")


def zone_name_label(where, now=None):
    """``Europe/Paris, CET``: beside a form field that takes a time in the zone."""
    zone = zone_of(where)
    local = (now or timezone.now()).astimezone(zone)
    return f"{zone.key}, {zone_label(local)}" if zone.key != zone_label(local) else zone.key
