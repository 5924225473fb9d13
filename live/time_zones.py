"""IANA time zone names: which are valid and which an event gets by default.

Beside the models (``Event.time_zone`` validates with it) and below the services
(``live/services/times.py`` formats times in a zone).
"""

import zoneinfo
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError

MAX_NAME_LENGTH = 64
# Files of the tz directory that are no place (Debian's "localtime" is the machine's zone).
NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@lru_cache(maxsize=1)
def zone_names():
    # The tz database's own list: a name not in it (a path, "localtime", a typo) is
    # refused instead of being looked up on disk.
    return frozenset(zoneinfo.available_timezones()) - NOT_ZONES


def is_time_zone(name):
    return isinstance(name, str) and 0 < len(name) <= MAX_NAME_LENGTH and name in zone_names()


def validate_time_zone(name):
    """The model field's validator (admin, ``createevent --time-zone``)."""
    if not is_time_zone(name):
        raise ValidationError(
            "Give an IANA time zone name, e.g. Europe/London or America/New_York.",
            code="invalid_time_zone",
        )


def default_time_zone():
    """LIVE_DEFAULT_TIME_ZONE: the zone of events created without one."""
    return settings.LIVE_DEFAULT_TIME_ZONE


def time_zone_choices():
    return [(name, name) for name in sorted(zone_names())]
