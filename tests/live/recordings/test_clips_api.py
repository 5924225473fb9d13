"""POST /events/<id>/cameras/<camera>/clips and GET /events/<id>/clips/<clip>."""

import json
import subprocess
from datetime import timedelta

import pytest

from live.workers.clip_cutter import cut_pending_clips


def clips_url(event, camera="main"):
    return f"/events/{event.pk}/cameras/{camera}/clips"


def ask(api, event, start, duration):
    body = {"start": start.isoformat(), "duration": duration}
    return api.post(clips_url(event), body, format="json")


@pytest.mark.parametrize(
    "offset, duration, field",
    [
        (1, -5, "duration"),
        (1, 0, "duration"),
        (1, 121, "duration"),
        (60, 5, "start"),  # after the recording
        (-3600, 5, "start"),  # before it
        (8, 10, "start"),  # runs past its end
    ],
)
def test_a_bad_range_is_a_400_naming_the_field(
    admin_api, event, ended_mock, offset, duration, field
):
    start = ended_mock.started_at + timedelta(seconds=offset)

    answer = ask(admin_api, event, start, duration)

    assert answer.status_code == 400
    assert answer.json()["error"] == "validation_error"
    assert list(answer.json()["detail"]) == [field]


def test_a_bad_body_names_its_fields(admin_api, event, ended_mock):
    answer = admin_api.post(clips_url(event), {"start": "yesterday"}, format="json")
    assert answer.status_code == 400
    assert set(answer.json()["detail"]) == {"start", "duration"}


def test_a_client_key_may_not_cut_and_an_unknown_camera_is_404(client_api, admin_api, event):
    start = "2026-01-01T00:00:00Z"
    body = {"start": start, "duration": 5}
    assert client_api.post(clips_url(event), body, format="json").status_code == 403
    assert admin_api.post(clips_url(event, "nope"), body, format="json").status_code == 404


def test_a_clip_is_cut_as_an_mp4_of_its_duration_and_signed_once_ready(
    admin_api, client_api, event, ended_mock, data_dir
):
    start = ended_mock.started_at + timedelta(seconds=1)
    answer = ask(admin_api, event, start, 8)
    assert answer.status_code == 202, answer.content
    clip = answer.json()
    assert clip["state"] == "pending" and clip["url"] is None

    assert cut_pending_clips() == 1

    ready = client_api.get(f"/events/{event.pk}/clips/{clip['id']}").json()
    assert ready["state"] == "ready" and ready["bytes"] > 0
    assert ready["url"].endswith("/clip.mp4")
    stream = ready["url"].split("/")[4]
    mp4 = data_dir / "hls" / stream / "clip.mp4"
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration:format=format_name",
         "-of", "json", str(mp4)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = json.loads(probe.stdout)["format"]
    assert "mp4" in found["format_name"]
    assert abs(float(found["duration"]) - 8) <= 1
    served = client_api.get(ready["url"])
    assert served.status_code == 200 and served["Content-Type"] == "video/mp4"
    assert "immutable" in served["Cache-Control"]
    assert client_api.get("/media/sign", {"path": f"/hls/{stream}/clip.mp4"}).status_code == 200


def test_a_clip_of_a_live_broadcast_comes_from_its_rewind_window(admin_api, event, live_mock):
    start = live_mock.started_at + timedelta(seconds=5)
    assert ask(admin_api, event, start, 10).status_code == 202
    assert cut_pending_clips() == 1


def test_unknown_clips_are_json_404s(client_api, event):
    for clip_id in ("12345", "x", "-1"):
        answer = client_api.get(f"/events/{event.pk}/clips/{clip_id}")
        assert (answer.status_code, answer["Content-Type"]) == (404, "application/json")
