"""The control room (the host page's ``?view=room``) and the host poll's cost with 18 cameras."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from live.models import Broadcast, BroadcastSample, Camera, Shot, Source
from live.services.cameras import create_camera, note_refused_publish
from live.services.lifecycle import start_broadcast, stop_broadcast
from live.services.viewers import join_viewer

pytestmark = pytest.mark.django_db

HOST = "/events/open-2026/live-host"


def add_tees(event, count, first=2):
    """Tees first..first+count-1 beside the main camera: live mocks (watched, charted),
    waiting RTMP, ended, idle."""
    for number in range(first, first + count):
        camera = create_camera(event, f"tee-{number}", f"Tee {number}")
        kind = number % 4
        if kind == 0:
            broadcast, _ = start_broadcast(camera, Source.MOCK, "test")
            join_viewer(broadcast, f"viewer-{number:04d}-abcd", "Firefox")
            BroadcastSample.objects.create(broadcast=broadcast, at=timezone.now(), watching=1)
        elif kind == 1:
            start_broadcast(camera, Source.RTMP, "test")
        elif kind == 2:
            start_broadcast(camera, Source.MOCK, "test")
            stop_broadcast(camera, "test")


def shown_inputs(html):
    """The values the page's poll sends (hx-include="#host-console [data-shown]")."""
    return re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)" data-shown>', html)


def poll_queries(client, view):
    page = client.get(HOST, {"view": view}).content.decode()
    params = {}
    for name, value in shown_inputs(page):
        params.setdefault(name, []).append(value)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{HOST}/status", params, htmx=True)
    assert response.status_code == 200
    assert "HX-Retarget" not in response  # the poll recognised every camera the page shows
    return len(queries), response.content.decode()


@pytest.mark.parametrize("view", ["cards", "room"])
def test_a_poll_costs_the_same_with_4_and_18_cameras(staff_htmx, event, view):
    add_tees(event, 3)  # live, ended, idle and never started
    few, _ = poll_queries(staff_htmx, view)
    add_tees(event, 14, first=5)
    assert Camera.objects.filter(event=event).count() == 18
    many, html = poll_queries(staff_htmx, view)

    print(f"poll queries ({view}): {few} with 4 cameras, {many} with 18")
    assert many == few, (few, many)
    # session, user, the overview's six, the links, the clips lists' marks (two)
    assert many <= 14


def test_the_room_shows_every_camera_as_a_tile_and_opens_one_card(staff_htmx, event):
    add_tees(event, 5)
    html = staff_htmx.get(HOST, {"view": "room"}).content.decode()
    assert html.count('data-testid="tile"') == 6
    assert 'class="card camera-card' not in html  # no card until one is opened

    opened = staff_htmx.get(HOST, {"view": "room", "camera": "tee-3"}, htmx=True)
    html = opened.content.decode()
    assert html.count('class="card camera-card') == 1
    assert 'id="camera-tee-3"' in html
    assert 'id="camera-tee-3-name" tabindex="-1" data-focus' in html


def test_cameras_in_trouble_stand_out_and_sort_first_when_asked(staff_htmx, event, settings):
    settings.LIVE_WAITING_ALERT_SECONDS = 60
    add_tees(event, 4)  # tee-5: waiting (RTMP)
    Broadcast.objects.filter(camera__slug="tee-5").update(
        started_at=timezone.now() - timedelta(minutes=3)
    )
    tee3 = Camera.objects.get(slug="tee-3")
    note_refused_publish(tee3.ingest_name, "203.0.113.7", "wrong stream key")

    html = staff_htmx.get(HOST, {"view": "room"}).content.decode()
    order = re.findall(r'\sid="tile-([\w-]+)"', html)
    assert order == ["main", "tee-2", "tee-3", "tee-4", "tee-5"]
    assert "2 need attention" in html
    assert "No picture for 3 min" in html
    assert "Encoder refused" in html

    html = staff_htmx.get(HOST, {"view": "room", "sort": "trouble"}).content.decode()
    order = re.findall(r'\sid="tile-([\w-]+)"', html)
    assert order[:2] == ["tee-3", "tee-5"]


def test_a_refused_encoder_is_said_in_the_status_line_with_what_to_do(staff_htmx, event):
    camera = Camera.objects.get(slug="main")
    note_refused_publish(
        camera.ingest_name, "203.0.113.7", "the camera was not started on the host page"
    )
    html = staff_htmx.get(HOST).content.decode()
    line = re.search(r'<p class="refused" data-testid="refusal">(.*?)</p>', html, re.S)[1]
    assert "from 203.0.113.7: the camera was not started on the host page." in line
    assert "Start the camera" in line

    note_refused_publish(camera.ingest_name, "203.0.113.7", "wrong stream key")
    html = staff_htmx.get(HOST).content.decode()
    assert "Check the stream key in the encoder" in html


def test_an_on_air_tile_has_its_own_shot_button_and_a_tap_makes_a_shot(staff_htmx, event):
    live = create_camera(event, "tee-2", "Tee 2")
    broadcast, _ = start_broadcast(live, Source.MOCK, "test")
    # Recorded for a minute already: the tap's moment (a second ago) is in the recording.
    broadcast.recording.started_at = timezone.now() - timedelta(seconds=60)
    broadcast.recording.save()
    create_camera(event, "tee-3", "Tee 3")  # off air: nothing to clip
    html = staff_htmx.get(HOST, {"view": "room"}).content.decode()
    tiles = {slug: part for slug, part in re.findall(r'id="tile-([\w-]+)"(.*?)</li>', html, re.S)}

    assert 'data-camera="tee-2"' in tiles["tee-2"] and "Shot<span" in tiles["tee-2"]
    assert 'action="/events/open-2026/live-host/shot"' in tiles["tee-2"]
    assert "data-shot-form" not in tiles["tee-3"]
    tapped = staff_htmx.post(f"{HOST}/shot", {"camera": "tee-2"}, htmx=True)
    assert tapped.status_code == 201, tapped.content
    assert Shot.objects.get().camera_id == live.pk
