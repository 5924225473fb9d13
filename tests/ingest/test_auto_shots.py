"""Automatic shots on a live SRT camera: the real packager hears the strikes in the
recorded audio and makes shots with source ``audio`` at the strikes (± 0.5 s).

The camera (tests/ingest/strikes.py) strikes every 8 s from 6 s; its progress reports
give the wall-clock time of each strike. Two strikes heard, and nothing else, is the
proof; the clip of a shot is proven by test_shots.py (same ``record_shot``).
"""

import time

import pytest

from live.models import Camera, Shot
from tests.ingest.support import start_strike_camera
from tests.processes import wait_for

pytestmark = [pytest.mark.ingest, pytest.mark.django_db(transaction=True)]

FIRST_STRIKE, EVERY = 6.0, 8.0


def test_the_packager_makes_an_audio_shot_at_each_strike_it_hears(
    api, event, start_packager, procs
):
    Camera.objects.filter(event=event, slug="main").update(auto_shots=True)
    start_packager()
    clock, origin = start_strike_camera(api, event, procs, EVERY, FIRST_STRIKE)
    shots = Shot.objects.filter(event=event, source="audio")
    wait_for(lambda: shots.count() >= 2, FIRST_STRIKE + EVERY + 40, "two audio shots")
    clock.stop()
    strikes = [origin + FIRST_STRIKE + k * EVERY for k in range(10)]
    heard = sorted(shot.at.timestamp() for shot in shots)
    # Every shot is at a strike, each strike once; the first two strikes are both heard.
    nearest = [min(strikes, key=lambda strike: abs(strike - at)) for at in heard]
    assert all(abs(at - strike) <= 0.5 for at, strike in zip(heard, nearest)), [
        round(at - strike, 2) for at, strike in zip(heard, nearest)
    ]
    assert len(set(nearest)) == len(nearest)
    assert nearest[:2] == strikes[:2]
    assert time.time() >= heard[1]  # heard after the fact, never ahead of it
