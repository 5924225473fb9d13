"""The host page's schedule form (live/views/schedule.py) and the viewer's countdown partial."""

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from live.models import CameraSchedule
from live.services.cameras import default_camera
from live.services.lifecycle import start_broadcast, stop_broadcast
from live.services.viewer_links import mint_viewer_link
from live.services.schedules import set_schedule
from live.workers.scheduler import fire_due

pytestmark = pytest.mark.django_db

URL = "/events/open-2026/live-host/schedule"


def local(delta_seconds):
    return (timezone.now() + timedelta(seconds=delta_seconds)).strftime("%Y-%m-%dT%H:%M:%S")


def test_it_saves_a_schedule_and_answers_the_partial(staff_htmx, event):
    body = {"camera": "main", "start_at": local(600), "stop_at": local(1200), "action": "save"}
    response = staff_htmx.post(URL, body, htmx=True)
    assert response.status_code == 200
    assert 'id="schedule-main"' in response.content.decode()
    assert "Schedule saved." in response.content.decode()
    assert CameraSchedule.objects.get().camera.slug == "main"


def test_a_past_start_is_an_error_next_to_its_field(staff_htmx, event):
    body = {"camera": "main", "start_at": local(-600), "stop_at": local(600), "action": "save"}
    html = staff_htmx.post(URL, body, htmx=True).content.decode()
    assert 'id="schedule-start-main-error">The start is in the past' in html
    assert not CameraSchedule.objects.exists()


def test_without_javascript_a_saved_schedule_goes_back_to_the_host_page(staff_client, event):
    body = {"camera": "main", "start_at": local(600), "stop_at": local(1200), "action": "save"}
    response = staff_client.post(URL, body)
    assert response.status_code == 302
    assert response["Location"] == "/events/open-2026/live-host#schedule-main"


def test_without_javascript_a_refusal_is_a_page_with_the_form(staff_client, event):
    body = {"camera": "main", "start_at": local(600), "stop_at": local(60), "action": "save"}
    response = staff_client.post(URL, body)
    assert response.status_code == 400
    assert "The stop must come after the start." in response.content.decode()


def test_clear_removes_the_schedule(staff_htmx, event):
    camera = default_camera(event.pk)
    now = timezone.now()
    set_schedule(camera, now + timedelta(minutes=5), now + timedelta(minutes=9))
    response = staff_htmx.post(URL, {"camera": "main", "action": "clear"}, htmx=True)
    assert response.status_code == 200 and not CameraSchedule.objects.exists()


def test_an_unknown_camera_is_a_404(staff_client, event):
    body = {"camera": "nope", "start_at": local(600), "stop_at": local(1200)}
    assert staff_client.post(URL, body).status_code == 404


def test_others_may_not_schedule(client, event):
    assert client.post(URL, {"camera": "main"}).status_code == 302  # to the login


def test_the_countdown_partial_says_when_and_how_long(event):
    camera = default_camera(event.pk)
    start = timezone.now() + timedelta(minutes=4, seconds=-5)
    set_schedule(camera, start, start + timedelta(minutes=30))
    html = render_to_string("live/_schedule_countdown.html", {"camera": camera})
    utc = start.isoformat().replace("+00:00", "Z")
    assert f'Starts at <time datetime="{utc}"' in html
    assert f"{start:%H:%M} UTC</time> (in 4 min)" in html


def test_a_schedule_is_typed_and_shown_in_the_event_time_zone(staff_htmx, event):
    event.time_zone = "Asia/Kolkata"  # UTC+05:30 all year: no daylight saving to trip on
    event.save()
    start = timezone.now().replace(microsecond=0) + timedelta(hours=2)
    in_kolkata = start + timedelta(hours=5, minutes=30)
    body = {
        "camera": "main",
        "start_at": in_kolkata.strftime("%Y-%m-%dT%H:%M:%S"),
        "stop_at": (in_kolkata + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"),
        "action": "save",
    }
    html = staff_htmx.post(URL, body, htmx=True).content.decode()

    assert CameraSchedule.objects.get().start_at == start  # stored as the same instant
    assert "Start at (Asia/Kolkata, IST)" in html
    assert f"{in_kolkata:%H:%M} IST</time>" in html
    assert f'value="{in_kolkata:%Y-%m-%dT%H:%M:%S}"' in html  # the form shows it back


def test_no_countdown_without_a_schedule(event):
    html = render_to_string("live/_schedule_countdown.html", {"camera": default_camera(event.pk)})
    assert html.strip() == ""


def test_the_idle_viewer_poll_redraws_when_the_countdown_changes(event, client):
    camera = default_camera(event.pk)
    broadcast, _ = start_broadcast(camera, "mock", "staff:marshal")
    token, _, _ = mint_viewer_link(broadcast, 900, "staff:marshal")
    stop_broadcast(camera, "staff:marshal")
    shown = "ended"
    state = f"/events/{event.pk}/live-view/state"
    assert client.get(state, {"token": token, "shown": shown}).status_code == 204
    now = timezone.now()
    set_schedule(camera, now + timedelta(minutes=4), now + timedelta(minutes=9))
    assert client.get(state, {"token": token, "shown": shown}).status_code == 200


def test_the_host_page_says_when_the_schedule_left_a_live_camera_alone(staff_client, event):
    camera = default_camera(event.pk)
    start_broadcast(camera, "mock", "staff:marshal")
    now = timezone.now()
    set_schedule(camera, now + timedelta(seconds=5), now + timedelta(seconds=60), "mock")
    fire_due(now + timedelta(seconds=6))
    html = staff_client.get("/events/open-2026/live-host").content.decode()
    assert 'data-testid="schedule-already-live"' in html
    assert "already live at the start time: the schedule left that broadcast alone" in html
    assert "Started by the schedule." not in html
