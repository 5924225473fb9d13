"""Clips on the host page: the poll redraws a camera's clips list when its mark changes
(a clip is cut, a recording finishes), in the same one request, at a cost that does not
grow with the cameras; "Cut a clip" after Stop clips the end of the last recording."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from live.models import Broadcast, Clip, ClipState, Recording
from live.services.cameras import create_camera
from live.services.clips import clip_marks, content_disposition, download_name
from live.services.lifecycle import start_broadcast, stop_broadcast

STATUS = "/events/open-2026/live-host/status"


@pytest.fixture
def recorded(event):
    """A live mock broadcast whose recording began a minute ago."""
    broadcast, _ = start_broadcast(event, "mock", "test")
    started = timezone.now() - timedelta(seconds=60)
    Broadcast.objects.filter(pk=broadcast.pk).update(started_at=started)
    Recording.objects.filter(broadcast=broadcast).update(started_at=started)
    broadcast.refresh_from_db()
    return broadcast


def shown_clips(html):
    return re.findall(r'name="shown_clips" value="([^"]*)"', html)


def poll(client, broadcast, clips):
    return client.get(
        STATUS,
        {"shown": f"main:live:{broadcast.pk}", "shown_clips": clips, "shown_links": ""},
        htmx=True,
    ).content.decode()


def test_the_poll_redraws_the_clips_only_when_a_clip_changes(staff_htmx, event, recorded):
    page = staff_htmx.get("/events/open-2026/live-host").content.decode()
    [mark] = shown_clips(page)
    assert 'id="clips-main" data-testid="clips" hx-swap-oob' not in poll(
        staff_htmx, recorded, mark
    )

    staff_htmx.post("/events/open-2026/live-host/clip", {"camera": "main", "seconds": 15})
    clip = Clip.objects.get()
    pending = poll(staff_htmx, recorded, mark)
    assert 'id="clips-main" data-testid="clips" hx-swap-oob="true"' in pending
    assert "being cut…" in pending
    [mark] = shown_clips(pending)

    Clip.objects.filter(pk=clip.pk).update(state=ClipState.READY, bytes=1000)
    ready = poll(staff_htmx, recorded, mark)
    assert "Download MP4" in ready
    assert f"?download={download_name(clip)}" in ready
    assert shown_clips(ready) != [mark]


def test_a_poll_costs_the_same_whatever_the_clips_and_cameras(staff_htmx, event, recorded):
    def count(ask):
        with CaptureQueriesContext(connection) as captured:
            ask()
        return len(captured)

    def add_clip(camera, name):
        Clip.objects.create(
            camera=camera, recording=recorded.recording, stream_name=name,
            start=recorded.started_at, duration=5, created_by="test",
        )  # fmt: skip

    [mark] = shown_clips(staff_htmx.get("/events/open-2026/live-host").content.decode())
    steady = count(lambda: poll(staff_htmx, recorded, mark))
    assert count(lambda: clip_marks(event.pk)) == 2
    for number in range(5):
        add_clip(recorded.camera, f"clip-main-{number}")
    [mark] = shown_clips(poll(staff_htmx, recorded, mark))
    assert count(lambda: poll(staff_htmx, recorded, mark)) == steady
    for slug in ("tee-2", "tee-3", "tee-4"):
        add_clip(create_camera(event, slug, slug), f"clip-{slug}")
    assert len(clip_marks(event.pk)) == 4
    assert count(lambda: clip_marks(event.pk)) == 2


def test_after_stop_a_clip_comes_from_the_end_of_the_last_recording(staff_htmx, event, recorded):
    stop_broadcast(event, "test")
    page = staff_htmx.get("/events/open-2026/live-host").content.decode()
    assert "Clip the end of the last recording" in page
    assert "Play<span" in page and "recording.m3u8" in page

    answer = staff_htmx.post(
        "/events/open-2026/live-host/clip", {"camera": "main", "seconds": 30}, htmx=True
    )
    assert answer.status_code == 200
    clip = Clip.objects.get()
    recording = Recording.objects.get()
    assert clip.recording == recording
    assert clip.duration == pytest.approx(30, abs=0.5)


def test_without_a_finished_recording_there_is_nothing_to_clip(staff_htmx, event):
    answer = staff_htmx.post(
        "/events/open-2026/live-host/clip", {"camera": "main", "seconds": 30}, htmx=True
    )
    assert answer.status_code == 400
    assert "no finished recording" in answer.content.decode()
    assert not Clip.objects.exists()


def test_only_a_plain_mp4_name_becomes_an_attachment():
    assert content_disposition("a-b_c.1.mp4") == 'attachment; filename="a-b_c.1.mp4"'
    for bad in (None, "", "a.ts", 'a".mp4', "../a.mp4", "a b.mp4", "a.mp4\r\nX: y"):
        assert content_disposition(bad) is None


@pytest.mark.parametrize("recording", ["999999", "abc", "", "-1", "99999999999999"])
def test_an_mp4_of_no_such_recording_is_refused(staff_htmx, event, recorded, recording):
    stop_broadcast(event, "test")
    answer = staff_htmx.post(
        "/events/open-2026/live-host/recording-mp4",
        {"camera": "main", "recording": recording},
        htmx=True,
    )
    assert answer.status_code == 400
    assert not Clip.objects.exists()


def test_an_mp4_of_a_recording_holds_all_of_it(staff_htmx, event, recorded):
    stop_broadcast(event, "test")
    recording = Recording.objects.get()
    answer = staff_htmx.post(
        "/events/open-2026/live-host/recording-mp4",
        {"camera": "main", "recording": recording.pk},
        htmx=True,
    )
    assert answer.status_code == 200
    clip = Clip.objects.get()
    assert clip.recording == recording and clip.duration > 60  # past the clips' cap
    assert "making the MP4…" in staff_htmx.get("/events/open-2026/live-host").content.decode()
