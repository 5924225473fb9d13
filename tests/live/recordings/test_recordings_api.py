"""GET /events/<id>/recordings, DELETE /events/<id>/recordings/<rid>, purgerecordings."""

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from live.models import Recording, RecordingState
from live.services.lifecycle import start_broadcast, stop_broadcast


def test_every_broadcast_is_recorded_and_listed_with_its_numbers(client_api, event, ended_mock):
    answer = client_api.get(f"/events/{event.pk}/recordings")

    assert answer.status_code == 200
    [row] = answer.json()
    assert row["state"] == "ready"
    assert row["broadcastId"] == ended_mock.pk and row["camera"] == "main"
    assert 10 <= row["durationSeconds"] <= 14 and row["bytes"] > 0
    assert set(row) == {
        "id", "camera", "broadcastId", "startedAt", "stoppedAt",
        "durationSeconds", "bytes", "state",
    }  # fmt: skip


def test_a_camera_with_record_off_makes_no_recording(client_api, event):
    event.cameras.update(record=False)
    start_broadcast(event, "mock", "test")
    stop_broadcast(event, "test")

    assert client_api.get(f"/events/{event.pk}/recordings").json() == []


def test_a_live_broadcast_is_listed_as_recording(client_api, event, live_mock):
    [row] = client_api.get(f"/events/{event.pk}/recordings").json()
    assert (row["state"], row["stoppedAt"]) == ("recording", None)


def test_deleting_marks_it_deleted_and_a_client_key_may_not(
    admin_api, client_api, event, ended_mock
):
    rid = ended_mock.recording.pk
    assert client_api.delete(f"/events/{event.pk}/recordings/{rid}").status_code == 403

    answer = admin_api.delete(f"/events/{event.pk}/recordings/{rid}")

    assert answer.status_code == 200 and answer.json()["state"] == "deleted"
    path = f"/hls/{ended_mock.stream_name}/recording.m3u8"
    assert client_api.get("/media/sign", {"path": path}).status_code == 404


def test_a_live_recording_cannot_be_deleted(admin_api, event, live_mock):
    answer = admin_api.delete(f"/events/{event.pk}/recordings/{live_mock.recording.pk}")
    assert answer.status_code == 409 and answer.json()["error"] == "conflict"


def test_unknown_recordings_are_json_404s(admin_api, event):
    for rid in ("999", "abc", "1.5", "99999999999999999999"):
        answer = admin_api.delete(f"/events/{event.pk}/recordings/{rid}")
        assert (answer.status_code, answer["Content-Type"]) == (404, "application/json")


def test_purge_deletes_only_old_finished_recordings(event, ended_mock, live_mock):
    # ended_mock stopped before live_mock started: the camera's two broadcasts.
    Recording.objects.filter(pk=ended_mock.recording.pk).update(
        stopped_at=timezone.now() - timedelta(days=8)
    )

    call_command("purgerecordings", "--older-than", "7")

    assert Recording.objects.get(pk=ended_mock.recording.pk).state == RecordingState.DELETED
    assert Recording.objects.get(pk=live_mock.recording.pk).state == RecordingState.RECORDING
