"""The shots API: POST /events/<id>/cameras/<camera>/shots, GET /events/<id>/shots[/<shot>],
PATCH and DELETE; record_shot's rules; the clip cutter waiting for the end of a shot."""

from datetime import timedelta

import pytest
from django.utils import timezone

from live.models import ClipState, Shot, WebhookDelivery
from live.services.shots import ShotError, record_shot
from live.workers.clip_cutter import cut_pending_clips


def shots_url(event, camera="main"):
    return f"/events/{event.pk}/cameras/{camera}/shots"


def post(api, event, body, camera="main"):
    return api.post(shots_url(event, camera), body, format="json")


def test_a_shot_defaults_to_now_and_waits_for_its_end_to_be_recorded(admin_api, event, live_mock):
    before = timezone.now()
    answer = post(admin_api, event, {"player": "  Rory   McIlroy ", "hole": 7})

    assert answer.status_code == 202, answer.content
    shot = answer.json()
    assert shot["source"] == "api" and shot["state"] == "pending" and shot["url"] is None
    assert shot["player"] == "Rory McIlroy" and shot["hole"] == 7
    row = Shot.objects.get(pk=shot["id"])
    assert before <= row.at <= timezone.now()
    assert row.clip.start == row.at - timedelta(seconds=4)
    assert row.clip.duration == pytest.approx(12)
    # Its end (at + 8 s) is not recorded yet: the cutter leaves it pending.
    assert cut_pending_clips() == 0
    row.clip.refresh_from_db()
    assert row.clip.state == ClipState.PENDING


def test_a_shot_in_the_recording_is_cut_with_a_thumbnail_and_reported_ready(
    admin_api, client_api, event, live_mock, data_dir, shot_hook
):
    at = timezone.now() - timedelta(seconds=20)
    answer = post(admin_api, event, {"at": at.isoformat(), "note": "into the wind"})
    assert answer.status_code == 202, answer.content

    assert cut_pending_clips() == 1

    ready = client_api.get(f"/events/{event.pk}/shots/{answer.json()['id']}").json()
    assert ready["state"] == "ready" and ready["readyAt"]
    assert ready["url"].endswith("/clip.mp4") and ready["thumbnailUrl"].endswith("/thumb.jpg")
    stream = ready["url"].split("/")[4]
    assert (data_dir / "hls" / stream / "thumb.jpg").read_bytes()[:2] == b"\xff\xd8"
    thumb = client_api.get(ready["thumbnailUrl"])
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    (delivery,) = WebhookDelivery.objects.filter(type="shot.ready")
    data = delivery.payload["data"]
    assert data["shotId"] == ready["id"] and data["camera"] == "main"
    assert data["note"] == "into the wind" and data["source"] == "api"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"at": "yesterday"}, "at"),
        ({"hole": 0}, "hole"),
        ({"hole": 100}, "hole"),
        ({"hole": "seven"}, "hole"),
        ({"player": "x" * 101}, "player"),
        ({"note": "x" * 301}, "note"),
        ({"player": "a\x00b"}, "player"),
        ({"at": "2020-01-01T00:00:00Z"}, "at"),  # before any recording
    ],
)
def test_bad_input_is_a_400_naming_the_field(admin_api, event, live_mock, body, field):
    answer = post(admin_api, event, body)
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"] == "validation_error"
    assert list(answer.json()["detail"]) == [field]
    assert not Shot.objects.exists()


def test_a_shot_in_the_future_or_on_a_camera_not_recording_names_at(admin_api, event):
    answer = post(admin_api, event, {})
    assert answer.status_code == 400 and list(answer.json()["detail"]) == ["at"]


def test_only_admins_make_change_or_hide_shots_and_unknown_ones_are_404(
    admin_api, client_api, event, live_mock
):
    assert post(client_api, event, {}).status_code == 403
    assert post(admin_api, event, {}, camera="nope").status_code == 404
    shot = post(admin_api, event, {}).json()
    url = f"/events/{event.pk}/shots/{shot['id']}"
    assert client_api.patch(url, {"player": "x"}, format="json").status_code == 403
    assert client_api.delete(url).status_code == 403
    for missing in ("999999", "x", "-1", "1" * 20):
        answer = client_api.get(f"/events/{event.pk}/shots/{missing}")
        assert (answer.status_code, answer["Content-Type"]) == (404, "application/json")


def test_the_list_is_newest_first_and_filters_patch_names_and_delete_hides(
    admin_api, client_api, event, live_mock
):
    now = timezone.now()
    camera = live_mock.camera
    for seconds, player, hole in [(30, "Ana", 1), (20, "Ben", 1), (10, "Ana", 2)]:
        record_shot(
            camera, now - timedelta(seconds=seconds), source="api", player=player, hole=hole
        )

    def listed(**query):
        answer = client_api.get(f"/events/{event.pk}/shots", query)
        assert answer.status_code == 200, answer.content
        return [(shot["player"], shot["hole"]) for shot in answer.json()]

    assert listed() == [("Ana", 2), ("Ben", 1), ("Ana", 1)]
    assert listed(player="ana") == [("Ana", 2), ("Ana", 1)]
    assert listed(hole=1, camera="main") == [("Ben", 1), ("Ana", 1)]
    assert listed(since=(now - timedelta(seconds=15)).isoformat()) == [("Ana", 2)]
    assert listed(camera="other") == []
    bad = client_api.get(f"/events/{event.pk}/shots", {"hole": "x", "since": "soon"})
    assert bad.status_code == 400 and set(bad.json()["detail"]) == {"hole", "since"}

    newest = Shot.objects.order_by("-at").first()
    url = f"/events/{event.pk}/shots/{newest.pk}"
    named = admin_api.patch(url, {"player": "Cleo", "hole": 3}, format="json")
    assert named.status_code == 200 and (named.json()["player"], named.json()["hole"]) == (
        "Cleo",
        3,
    )
    assert admin_api.patch(url, {"hole": 100}, format="json").status_code == 400
    assert admin_api.delete(url).status_code == 200
    assert listed() == [("Ben", 1), ("Ana", 1)]
    assert client_api.get(url).status_code == 404


def test_record_shot_refuses_an_unknown_source(event, live_mock):
    with pytest.raises(ShotError) as refused:
        record_shot(live_mock.camera, timezone.now(), source="drone")
    assert refused.value.field == "source"
