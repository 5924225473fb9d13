"""The host page with cameras: set them up, rename and reorder them, rotate keys, mint links."""

import pytest
from django.core.management import call_command

from live.models import Broadcast, Camera, Source
from live.services.cameras import create_camera
from live.services.lifecycle import start_broadcast
from live.services.tokens import read_viewer_token

pytestmark = pytest.mark.django_db

HOST = "/events/open-2026/live-host"


def text(response):
    return response.content.decode()


def test_the_stream_key_is_shown_before_the_first_start(staff_client, event):
    camera = event.cameras.get()
    camera.source = Source.RTMP
    camera.save()

    html = text(staff_client.get(HOST))

    assert not Broadcast.objects.exists()
    assert f"{camera.ingest_name}?key={camera.stream_key}" in html
    assert "Encoder setup" in html and "(set it up once)" in html


def test_staff_add_a_camera_and_it_gets_its_own_card(staff_htmx, event):
    response = staff_htmx.post(
        f"{HOST}/cameras", {"slug": "tee-1", "name": "1st tee", "source": "rtmp"}, htmx=True
    )

    assert response.status_code == 200
    assert "Added the camera 1st tee." in text(response)
    assert 'id="camera-tee-1"' in text(response)
    camera = Camera.objects.get(event=event, slug="tee-1")
    assert (camera.name, camera.source, camera.position) == ("1st tee", "rtmp", 1)


@pytest.mark.parametrize(
    "form, message",
    [
        ({"slug": "Tee 1", "name": "x", "source": "mock"}, "lower-case letters"),
        ({"slug": "main", "name": "again", "source": "mock"}, "already has a camera"),
        ({"slug": "tee-2", "name": "", "source": "mock"}, "Give it a name"),
        ({"slug": "tee-2", "name": "x", "source": "webcam"}, "Select a valid choice"),
    ],
)
def test_a_bad_camera_is_refused_next_to_its_field(staff_htmx, event, form, message):
    response = staff_htmx.post(f"{HOST}/cameras", form, htmx=True)

    assert response.status_code == 400
    assert message in text(response)
    assert Camera.objects.filter(event=event).count() == 1


def test_staff_rename_a_camera_and_set_its_default_source(staff_htmx, event):
    response = staff_htmx.post(
        f"{HOST}/cameras/edit",
        {"camera": "main", "name": "18th green", "source": "srt"},
        htmx=True,
    )

    assert response.status_code == 200
    camera = event.cameras.get()
    assert (camera.name, camera.source) == ("18th green", "srt")
    assert camera.srt_port  # an SRT camera gets its port once, kept from broadcast to broadcast
    assert f"srt://127.0.0.1:{camera.srt_port}" in text(response)


def test_staff_reorder_cameras(staff_htmx, event):
    create_camera(event, "tee-1", "1st tee")
    create_camera(event, "tee-2", "2nd tee")

    staff_htmx.post(f"{HOST}/cameras/move", {"camera": "tee-2", "step": "-1"}, htmx=True)

    assert list(event.cameras.values_list("slug", flat=True)) == ["main", "tee-2", "tee-1"]


def test_rotating_the_key_needs_a_confirmation_and_then_changes_it(staff_htmx, event):
    old = event.cameras.get().stream_key

    refused = staff_htmx.post(f"{HOST}/rotate-key", {"camera": "main"}, htmx=True)
    assert refused.status_code == 400 and event.cameras.get().stream_key == old

    done = staff_htmx.post(f"{HOST}/rotate-key", {"camera": "main", "confirm": "on"}, htmx=True)

    assert done.status_code == 200
    assert "The old one is refused from now on" in text(done)
    assert event.cameras.get().stream_key != old


def test_each_camera_starts_and_stops_on_its_own(staff_htmx, event):
    create_camera(event, "tee-1", "1st tee")

    staff_htmx.post(f"{HOST}/start", {"camera": "tee-1", "source": "mock"}, htmx=True)
    assert list(
        Broadcast.objects.filter(stopped_at=None).values_list("camera__slug", flat=True)
    ) == ["tee-1"]

    staff_htmx.post(f"{HOST}/start", {"camera": "main", "source": "mock"}, htmx=True)
    staff_htmx.post(f"{HOST}/stop", {"camera": "tee-1", "confirm": "on"}, htmx=True)
    assert list(
        Broadcast.objects.filter(stopped_at=None).values_list("camera__slug", flat=True)
    ) == ["main"]


def test_an_unknown_camera_in_a_form_is_a_404_with_a_message(staff_htmx, event):
    response = staff_htmx.post(f"{HOST}/start", {"camera": "tee-9", "source": "mock"}, htmx=True)

    assert response.status_code == 404
    assert "No camera &#x27;tee-9&#x27;" in text(response)


def test_staff_mint_an_event_link_or_a_camera_link(staff_htmx, event):
    tee = create_camera(event, "tee-1", "1st tee")
    start_broadcast(tee, Source.MOCK, "staff:marshal")

    for_camera = staff_htmx.post(f"{HOST}/link", {"scope": "tee-1", "ttl": "900"}, htmx=True)
    for_event = staff_htmx.post(f"{HOST}/link", {"scope": "", "ttl": "900"}, htmx=True)

    assert "Viewer link for 1st tee (can be opened until" in text(for_camera)
    assert "Viewer link for every camera (can be opened until" in text(for_event)
    assert event.viewer_links.filter(camera=tee).count() == 1
    assert event.viewer_links.filter(camera=None).count() == 1


def test_a_camera_link_for_an_idle_camera_is_minted_to_send_ahead(staff_htmx, event, on_air):
    tee = create_camera(event, "tee-1", "1st tee")

    response = staff_htmx.post(f"{HOST}/link", {"scope": "tee-1", "ttl": "900"}, htmx=True)

    assert response.status_code == 200
    assert "Viewer link for 1st tee (can be opened until" in text(response)
    assert event.viewer_links.filter(camera=tee).count() == 1


def test_the_commands_create_a_camera_and_rotate_its_key(event, capsys):
    call_command("createcamera", event.pk, "tee-3", "--name", "3rd tee", "--source", "rtmp")
    camera = Camera.objects.get(slug="tee-3")
    assert f"streamKey: {camera.ingest_name}?key={camera.stream_key}" in capsys.readouterr().out

    call_command("rotatestreamkey", event.pk, "tee-3")

    rotated = Camera.objects.get(slug="tee-3")
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert rotated.stream_key != camera.stream_key
    assert last_line == f"{rotated.ingest_name}?key={rotated.stream_key}"


@pytest.mark.parametrize(
    "args, message",
    [
        (["no-such-event", "tee-1", "--name", "x"], "No event"),
        (["open-2026", "Bad Slug", "--name", "x"], "lower-case"),
        (["open-2026", "main", "--name", "x"], "already has a camera"),
    ],
)
def test_createcamera_refuses_bad_input_clearly(event, args, message):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=message):
        call_command("createcamera", *args)


def test_a_link_names_its_camera_in_the_token(staff_htmx, event, on_air):
    response = staff_htmx.post(f"{HOST}/link", {"scope": "main", "ttl": "900"}, htmx=True)
    token = text(response).split("token=")[1].split("&")[0].split('"')[0]

    assert read_viewer_token(token, event.pk).camera_id == on_air.camera_id


def test_the_card_lists_the_cameras_recordings_with_length_and_size(staff_client, event):
    from live.models import Recording, RecordingState
    from live.services.lifecycle import stop_broadcast

    broadcast, _ = start_broadcast(event, Source.MOCK, "staff:marshal")
    stop_broadcast(event, "staff:marshal")
    Recording.objects.filter(broadcast=broadcast).update(
        state=RecordingState.READY, duration_seconds=42, bytes=3 * 1024 * 1024
    )

    html = text(staff_client.get(HOST))

    assert 'data-testid="recordings"' in html
    assert "42 s, 3.0\xa0MB" in html


def test_staff_cut_a_clip_of_the_last_30_seconds(staff_htmx, event):
    from datetime import timedelta

    from django.utils import timezone

    from live.models import Broadcast, Clip, Recording
    from live.workers.clip_cutter import cut_pending_clips

    broadcast, _ = start_broadcast(event, Source.MOCK, "staff:marshal")
    earlier = timezone.now() - timedelta(seconds=90)  # 90 s of the mock recorded so far
    Broadcast.objects.filter(pk=broadcast.pk).update(started_at=earlier)
    Recording.objects.filter(broadcast=broadcast).update(started_at=earlier)

    response = staff_htmx.post(f"{HOST}/clip", {"camera": "main", "seconds": "30"}, htmx=True)

    assert response.status_code == 200, text(response)
    assert "cutting a clip of the last 30 s" in text(response)
    clip = Clip.objects.get()
    assert clip.duration == 30
    cut_pending_clips()
    clip.refresh_from_db()
    assert clip.state == "ready"


def test_a_clip_length_not_on_the_list_is_refused(staff_htmx, event, on_air):
    response = staff_htmx.post(f"{HOST}/clip", {"camera": "main", "seconds": "999"}, htmx=True)

    assert response.status_code == 400
    assert "Select a valid choice" in text(response)


@pytest.mark.parametrize(
    "camera, message",
    [("Bad Slug!", "No such camera."), ("tee\x00", "Null characters are not allowed.")],
)
@pytest.mark.parametrize(
    "path", ["start", "stop", "rotate-key", "cameras/edit", "cameras/move", "clip"]
)
def test_a_malformed_camera_in_any_form_is_a_400_with_a_visible_message(
    staff_htmx, event, path, camera, message
):
    # No card matches a camera id that is not even well formed: the message goes on top.
    response = staff_htmx.post(
        f"{HOST}/{path}",
        {"camera": camera, "source": "mock", "confirm": "on", "name": "x", "step": "1",
         "seconds": "30"},
        htmx=True,
    )  # fmt: skip

    assert response.status_code == 400
    assert text(response).startswith(f'<p class="error" role="alert" tabindex="-1">{message}</p>')
