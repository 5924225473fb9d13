"""Clip requests that once cost a 500 or the data disk: far-off starts, coerced
durations, floods of cuts, the same range cut again, a full disk."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from live.models import Clip
from live.services.apikeys import create_api_key
from live.workers.clip_cutter import cut_pending_clips
from tests.live.recordings.test_clips_api import ask, clips_url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "start", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00"]
)
def test_a_start_outside_every_recording_is_a_400_naming_start(admin_api, event, live_mock, start):
    answer = admin_api.post(clips_url(event), {"start": start, "duration": 5}, format="json")
    assert answer.status_code == 400, answer.content
    assert list(answer.json()["detail"]) == ["start"]
    assert not Clip.objects.exists()


@pytest.mark.parametrize("duration", [True, False, "５", "5", None, [5], {"s": 5}])
def test_duration_is_a_json_number_only(admin_api, event, live_mock, duration):
    start = (live_mock.started_at + timedelta(seconds=5)).isoformat()
    answer = admin_api.post(
        clips_url(event), {"start": start, "duration": duration}, format="json"
    )
    assert answer.status_code == 400, answer.content
    assert list(answer.json()["detail"]) == ["duration"]
    assert not Clip.objects.exists()


def test_a_fractional_duration_is_still_a_number(admin_api, event, live_mock):
    assert (
        ask(admin_api, event, live_mock.started_at + timedelta(seconds=5), 4.5).status_code == 202
    )


@pytest.fixture
def tight_limits(settings, still_rate_clock):
    settings.LIVE_RATE_LIMITS = {
        **settings.LIVE_RATE_LIMITS,
        "clip-key": (2, 60),
        "clip-camera": (3, 60),
    }


def test_clip_requests_are_limited_per_key_then_per_camera(
    admin_api, event, live_mock, tight_limits
):
    start = live_mock.started_at + timedelta(seconds=5)
    assert [
        ask(admin_api, event, start + timedelta(seconds=n), 5).status_code for n in (0, 1)
    ] == [
        202,
        202,
    ]
    refused = ask(admin_api, event, start + timedelta(seconds=2), 5)
    assert refused.status_code == 429 and refused.json()["error"] == "throttled"
    assert int(refused["Retry-After"]) >= 1

    # Another key has budget left, the camera one more clip only.
    other = APIClient()
    other.credentials(HTTP_X_API_KEY=create_api_key("studio", is_admin=True)[1])
    assert ask(other, event, start + timedelta(seconds=3), 5).status_code == 202
    by_camera = ask(other, event, start + timedelta(seconds=4), 5)
    assert by_camera.status_code == 429 and int(by_camera["Retry-After"]) >= 1
    assert Clip.objects.count() == 3


def test_the_same_range_again_is_the_ready_clip_not_a_new_cut(admin_api, event, ended_mock):
    start = ended_mock.started_at + timedelta(seconds=1)
    first = ask(admin_api, event, start, 4)
    assert first.status_code == 202
    assert ask(admin_api, event, start, 4).json()["id"] == first.json()["id"]  # still pending
    assert cut_pending_clips() == 1
    again = ask(admin_api, event, start, 4)
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert again.json()["state"] == "ready" and again.json()["url"]
    assert Clip.objects.count() == 1 and cut_pending_clips() == 0
    # Another range is another clip.
    assert ask(admin_api, event, start, 5).json()["id"] != first.json()["id"]


def test_no_new_clip_when_the_data_disk_is_under_the_minimum(
    admin_api, event, ended_mock, settings
):
    start = ended_mock.started_at + timedelta(seconds=1)
    settings.LIVE_MIN_FREE_BYTES = 2**62  # more than any disk here has free
    answer = ask(admin_api, event, start, 4)
    assert answer.status_code == 507
    assert answer.json()["error"] == "insufficient_storage"
    assert "LIVE_MIN_FREE_BYTES" in answer.json()["detail"]
    assert not Clip.objects.exists()
