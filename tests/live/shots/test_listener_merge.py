"""One shot per strike: the listener does not add an audio shot for a strike a marshal
or the API already told (within the detector's merge window), but does for the next."""

from datetime import timedelta

import pytest
from django.utils import timezone

from live.models import Shot
from live.services.shots import hide_shot, record_shot
from live.workers.shot_listener import Heard, Listener, ShotListeners
from live.workers.strikes import StrikeDetector

pytestmark = pytest.mark.django_db


def hear(broadcast, at):
    """The listener hearing a strike at ``at`` (0.4 s into a stretch of audio)."""
    listener = Listener(broadcast.pk, 12.0, StrikeDetector())
    listener.heard = [Heard(0.0, 1.0, at - timedelta(seconds=0.4))]
    ShotListeners()._shoot(listener, broadcast, 0.4)


def test_a_strike_the_marshal_told_is_not_shot_again_by_ear(event, live_mock):
    told = record_shot(live_mock.camera, timezone.now() - timedelta(seconds=20), source="marshal")

    hear(live_mock, told.at + timedelta(seconds=0.3))  # the same strike, heard late
    assert list(Shot.objects.values_list("source", flat=True)) == ["marshal"]

    hear(live_mock, told.at + timedelta(seconds=12))  # the next one, told by nobody
    assert sorted(Shot.objects.values_list("source", flat=True)) == ["audio", "marshal"]


def test_a_hidden_shot_keeps_its_strike_out(event, live_mock):
    told = record_shot(live_mock.camera, timezone.now() - timedelta(seconds=20), source="api")
    hide_shot(told, "staff:marshal")

    hear(live_mock, told.at)
    assert Shot.objects.count() == 1
