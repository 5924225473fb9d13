"""record_shot's rules, and the clip cutter waiting for a shot's end and making its
thumbnail (the mock's recording: computed, no packager)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from live.models import ClipState, Shot, WebhookDelivery
from live.services.shots import ShotError, hide_shot, record_shot
from live.workers.clip_cutter import cut_pending_clips


def test_a_shot_waits_until_its_end_is_recorded(event, live_mock):
    shot = record_shot(live_mock.camera, timezone.now(), source="api", player=" Ana  Lopez ")
    assert shot.player == "Ana Lopez" and shot.clip.duration == pytest.approx(12)
    assert shot.clip.start == shot.at - timedelta(seconds=4)

    assert cut_pending_clips() == 0  # its end, 8 s from now, is not recorded yet
    shot.clip.refresh_from_db()
    assert shot.clip.state == ClipState.PENDING and shot.ready_at is None


def test_a_recorded_shot_is_cut_with_a_thumbnail_and_reported(
    event, live_mock, data_dir, shot_hook
):
    shot = record_shot(live_mock.camera, timezone.now() - timedelta(seconds=20), source="api",
                       hole=7)  # fmt: skip

    assert cut_pending_clips() == 1

    shot.refresh_from_db()
    assert shot.clip.state == ClipState.READY and shot.ready_at is not None
    folder = data_dir / "hls" / shot.clip.stream_name
    assert (folder / "thumb.jpg").read_bytes()[:2] == b"\xff\xd8"
    (delivery,) = WebhookDelivery.objects.filter(type="shot.ready")
    assert delivery.payload["data"]["shotId"] == shot.pk
    assert delivery.payload["data"]["hole"] == 7


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"source": "drone"}, "source"),
        ({"source": "api", "hole": 0}, "hole"),
        ({"source": "api", "hole": "x"}, "hole"),
        ({"source": "api", "player": "x" * 101}, "player"),
        ({"source": "api", "note": "a\x00b"}, "note"),
    ],
)
def test_bad_input_names_its_field(event, live_mock, fields, field):
    with pytest.raises(ShotError) as refused:
        record_shot(live_mock.camera, timezone.now(), **fields)
    assert refused.value.field == field


def test_a_moment_outside_any_recording_names_at(event, live_mock):
    for at in (timezone.now() - timedelta(hours=2), timezone.now() + timedelta(seconds=30)):
        with pytest.raises(ShotError) as refused:
            record_shot(live_mock.camera, at, source="api")
        assert refused.value.field == "at"


def test_a_told_shot_near_an_audio_shot_names_it_and_leaves_what_it_was_not_told(event, live_mock):
    now = timezone.now()
    heard = record_shot(live_mock.camera, now - timedelta(seconds=10), source="audio")
    record_shot(live_mock.camera, now - timedelta(seconds=9), source="api", player="Ana", hole=3)
    told = record_shot(
        live_mock.camera, now - timedelta(seconds=12), source="marshal", note="Fade"
    )
    assert told.pk == heard.pk and told.at == heard.at
    heard.refresh_from_db()
    assert (heard.player, heard.hole, heard.note) == ("Ana", 3, "Fade")
    assert Shot.objects.count() == 1

    # Outside the window, or beside a shot staff hid, a told shot is a shot of its own.
    far = record_shot(live_mock.camera, now - timedelta(seconds=5), source="marshal")
    assert far.pk != heard.pk and far.source == "marshal"
    hide_shot(heard, "staff:test")
    again = record_shot(live_mock.camera, now - timedelta(seconds=10), source="api")
    assert again.pk not in (heard.pk, far.pk) and Shot.objects.count() == 3


def test_two_told_shots_of_one_moment_stay_two(event, live_mock):
    at = timezone.now() - timedelta(seconds=10)
    first = record_shot(live_mock.camera, at, source="marshal")
    second = record_shot(live_mock.camera, at, source="api")
    assert first.pk != second.pk  # only the microphone's guesses are merged into
