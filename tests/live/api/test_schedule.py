"""PUT/GET/DELETE /events/<id>/cameras/<camera>/schedule and the scheduler's firing rules."""

from datetime import timedelta

import pytest
from django.utils import timezone

from live.models import Broadcast, Camera, CameraSchedule
from live.services.cameras import create_camera, default_camera
from live.services.lifecycle import start_broadcast, stop_broadcast
from live.services.schedules import set_schedule
from live.workers.scheduler import fire_due

pytestmark = pytest.mark.django_db

URL = "/events/open-2026/cameras/main/schedule"


def iso(delta_seconds):
    return (timezone.now() + timedelta(seconds=delta_seconds)).isoformat()


def test_it_sets_reads_and_clears_a_schedule(admin_api, event):
    body = {"startAt": iso(600), "stopAt": iso(1800), "source": "mock"}
    answer = admin_api.put(URL, body, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["scheduled"] is True and answer.json()["source"] == "mock"
    read = admin_api.get(URL).json()
    assert read["startAt"] and read["stopAt"] and read["startedAt"] is None
    assert admin_api.delete(URL).json()["scheduled"] is False
    assert admin_api.get(URL).json()["scheduled"] is False
    assert not CameraSchedule.objects.exists()


def test_a_schedule_in_the_past_is_a_400_naming_start_at(admin_api, event):
    answer = admin_api.put(URL, {"startAt": iso(-60), "stopAt": iso(600)}, format="json")
    assert answer.status_code == 400
    assert answer.json()["error"] == "validation_error"
    assert list(answer.json()["detail"]) == ["startAt"]


@pytest.mark.parametrize("stop", [0, -10])
def test_a_stop_before_or_at_the_start_is_a_400_naming_stop_at(admin_api, event, stop):
    start = timezone.now() + timedelta(minutes=10)
    body = {"startAt": start.isoformat(), "stopAt": (start + timedelta(seconds=stop)).isoformat()}
    answer = admin_api.put(URL, body, format="json")
    assert answer.status_code == 400
    assert list(answer.json()["detail"]) == ["stopAt"]


def test_an_unknown_camera_is_a_404(admin_api, event):
    body = {"startAt": iso(600), "stopAt": iso(900)}
    answer = admin_api.put("/events/open-2026/cameras/nope/schedule", body, format="json")
    assert answer.status_code == 404 and answer.json()["error"] == "not_found"


def test_a_client_key_may_not_schedule(client_api, event):
    answer = client_api.put(URL, {"startAt": iso(600), "stopAt": iso(900)}, format="json")
    assert answer.status_code == 403


def test_a_due_schedule_fires_its_start_and_its_stop_once_each(event):
    camera = default_camera(event.pk)
    now = timezone.now()
    set_schedule(camera, now + timedelta(seconds=1), now + timedelta(seconds=2), "mock")
    assert fire_due(now) == []
    assert fire_due(now + timedelta(seconds=1)) == [("start", "main")]
    assert fire_due(now + timedelta(seconds=1.5)) == []  # a second scheduler's pass
    broadcast = Broadcast.objects.get()
    assert broadcast.started_by == "schedule:main" and broadcast.stopped_at is None
    assert fire_due(now + timedelta(seconds=2)) == [("stop", "main")]
    assert fire_due(now + timedelta(seconds=3)) == []
    broadcast.refresh_from_db()
    assert broadcast.stopped_by == "schedule:main"


def test_a_refused_start_is_kept_for_the_host_page_and_not_retried(event, settings):
    camera = default_camera(event.pk)
    now = timezone.now()
    # Every SRT port is taken by another camera: the start cannot happen.
    settings.LIVE_SRT_PORTS = "9000-9000"
    create_camera(event, "tee-2", "Tee 2")
    Camera.objects.filter(slug="tee-2").update(srt_port=9000)
    set_schedule(camera, now + timedelta(seconds=1), now + timedelta(seconds=60), "srt")
    assert fire_due(now + timedelta(seconds=1)) == []
    assert "LIVE_SRT_PORTS" in CameraSchedule.objects.get().last_error
    assert fire_due(now + timedelta(seconds=61)) == []  # nothing to stop
    assert not Broadcast.objects.exists()


def test_a_camera_live_by_hand_at_the_start_is_left_alone_and_never_stopped(admin_api, event):
    """The attack: started by hand, then ``PUT schedule {startAt: +4 s, stopAt: +12 s}``
    stopped the manual broadcast at +12 s."""
    manual, _ = start_broadcast(event, "mock", "staff:marshal")
    body = {"startAt": iso(4), "stopAt": iso(12), "source": "mock"}
    assert admin_api.put(URL, body, format="json").status_code == 200
    now = timezone.now()
    assert fire_due(now + timedelta(seconds=5)) == []
    assert fire_due(now + timedelta(seconds=13)) == []
    manual.refresh_from_db()
    assert manual.stopped_at is None and Broadcast.objects.count() == 1
    read = admin_api.get(URL).json()
    assert read["alreadyLive"] is True and read["broadcastId"] is None


def test_a_broadcast_started_by_hand_after_the_scheduled_one_is_not_stopped(admin_api, event):
    camera = default_camera(event.pk)
    now = timezone.now()
    set_schedule(camera, now + timedelta(seconds=1), now + timedelta(seconds=60), "mock")
    assert fire_due(now + timedelta(seconds=1)) == [("start", "main")]
    scheduled = Broadcast.objects.get()
    assert admin_api.get(URL).json()["broadcastId"] == scheduled.pk
    stop_broadcast(camera, "staff:marshal")
    by_hand, _ = start_broadcast(camera, "mock", "staff:marshal")
    assert fire_due(now + timedelta(seconds=61)) == []
    by_hand.refresh_from_db()
    assert by_hand.stopped_at is None


@pytest.mark.parametrize("field", ["startAt", "stopAt"])
def test_a_time_without_a_time_zone_is_a_400_naming_it(admin_api, event, field):
    body = {"startAt": iso(600), "stopAt": iso(1200)}
    body[field] = body[field][:19]  # "2026-…T09:00:00": no Z, no offset
    answer = admin_api.put(URL, body, format="json")
    assert answer.status_code == 400
    assert list(answer.json()["detail"]) == [field]
    assert "time zone" in answer.json()["detail"][field][0]
    assert not CameraSchedule.objects.exists()


@pytest.mark.parametrize("value", ["2026-01-01T00:60:00Z", "2026-02-30T09:00:00", "2026-01-01"])
def test_an_impossible_or_partial_time_is_a_400_naming_it(admin_api, event, value):
    answer = admin_api.put(URL, {"startAt": value, "stopAt": iso(1200)}, format="json")
    assert answer.status_code == 400
    assert list(answer.json()["detail"]) == ["startAt"]
