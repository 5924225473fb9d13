"""``manage.py runscheduler``: a schedule starts and stops its camera on time, and two
schedulers running side by side fire it once."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from live.models import AuditEntry, Broadcast
from live.services.cameras import default_camera
from live.services.schedules import set_schedule
from tests.processes import PYTHON, app_env, wait_for

pytestmark = [pytest.mark.ingest, pytest.mark.django_db(transaction=True)]


def test_a_schedule_starts_and_stops_on_time_and_two_schedulers_fire_it_once(
    event, procs, data_dir
):
    env = app_env(data_dir)
    schedulers = [
        procs.start(f"scheduler-{n}", [PYTHON, "manage.py", "runscheduler"], env=env)
        for n in (1, 2)
    ]
    time.sleep(2)  # both running (Django loaded) before the schedule comes due
    assert all(process.poll() is None for process in schedulers)
    start_at = timezone.now() + timedelta(seconds=3)
    stop_at = start_at + timedelta(seconds=3)
    set_schedule(default_camera(event.pk), start_at, stop_at, "mock", actor="staff:marshal")

    wait_for(lambda: Broadcast.objects.exists(), 6, "the scheduled start")
    broadcast = Broadcast.objects.get()
    assert broadcast.started_by == "schedule:main"
    # Never early, and within its window (how late depends on the box, not the rule).
    assert start_at <= broadcast.started_at < stop_at

    wait_for(lambda: Broadcast.objects.filter(stopped_at__isnull=False).exists(), 6, "the stop")
    broadcast.refresh_from_db()
    assert broadcast.stopped_by == "schedule:main"
    assert stop_at <= broadcast.stopped_at

    time.sleep(1.5)  # several more passes of both schedulers: nothing fires again
    assert Broadcast.objects.count() == 1
    actions = [
        (entry.record.get("action"), entry.record.get("actor"))
        for entry in AuditEntry.objects.order_by("id")
    ]
    assert actions == [("start", "schedule:main"), ("stop", "schedule:main")], actions
