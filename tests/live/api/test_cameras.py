"""Cameras over the API: the list, and start/stop/token/status per camera."""

import pytest

from live.models import Broadcast, Camera
from live.services.cameras import create_camera
from tests.live.support import mint, start, status_url

pytestmark = pytest.mark.django_db


def camera_url(event_id, camera, action):
    return f"/events/{event_id}/cameras/{camera}/live/{action}"


@pytest.fixture
def tee(event):
    return create_camera(event, "tee-10", "10th tee")


def test_every_event_has_its_main_camera(event):
    assert list(Camera.objects.filter(event=event).values_list("slug", "name")) == [
        ("main", "Main camera")
    ]


def test_the_list_gives_every_camera_in_display_order_with_its_state(client_api, event, tee):
    create_camera(event, "tee-1", "1st tee", source="rtmp")
    Camera.objects.filter(slug="tee-10").update(position=9)
    body = client_api.get(f"/events/{event.pk}/cameras").json()

    assert [camera["id"] for camera in body] == ["main", "tee-1", "tee-10"]
    assert body[1] == {
        "id": "tee-1",
        "name": "1st tee",
        "running": False,
        "startedAt": None,
        "source": "rtmp",
        "health": None,
    }


def test_the_list_shows_what_is_live(admin_api, client_api, event, tee):
    assert admin_api.post(camera_url(event.pk, "tee-10", "start"), {"source": "mock"},
                          format="json").status_code == 201  # fmt: skip

    body = {
        camera["id"]: camera for camera in client_api.get(f"/events/{event.pk}/cameras").json()
    }

    assert body["tee-10"]["running"] is True and body["tee-10"]["health"] == "receiving"
    assert body["main"]["running"] is False


def test_the_list_of_an_unknown_event_is_404(client_api, db):
    response = client_api.get("/events/no-such-event/cameras")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_the_list_needs_a_key(anonymous_api, event):
    assert anonymous_api.get(f"/events/{event.pk}/cameras").status_code == 401


@pytest.mark.parametrize("action", ["start", "stop", "token"])
def test_an_unknown_camera_is_a_404_that_names_it(admin_api, event, action):
    response = admin_api.post(camera_url(event.pk, "tee-99", action), {"source": "mock"},
                              format="json")  # fmt: skip
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert "tee-99" in response.json()["detail"]


def test_an_unknown_camera_status_is_404_and_an_unknown_event_says_event(client_api, event):
    assert "tee-99" in client_api.get(camera_url(event.pk, "tee-99", "status")).json()["detail"]
    response = client_api.get(camera_url("no-such-event", "main", "status"))
    assert response.status_code == 404 and "event" in response.json()["detail"]


def test_two_cameras_of_one_event_are_live_at_once(admin_api, client_api, event, tee):
    assert start(admin_api, event.pk).status_code == 201
    second = admin_api.post(camera_url(event.pk, "tee-10", "start"), {"source": "mock"},
                            format="json")  # fmt: skip
    assert second.status_code == 201

    main = client_api.get(status_url(event.pk)).json()
    ten = client_api.get(camera_url(event.pk, "tee-10", "status")).json()

    assert main["running"] and ten["running"]
    assert main["broadcastId"] != ten["broadcastId"]
    assert Broadcast.objects.filter(stopped_at=None).count() == 2


def test_stopping_one_camera_leaves_the_other_live(admin_api, client_api, event, tee):
    start(admin_api, event.pk)
    admin_api.post(camera_url(event.pk, "tee-10", "start"), {"source": "mock"}, format="json")

    stopped = admin_api.post(camera_url(event.pk, "tee-10", "stop")).json()
    assert stopped["running"] is False and stopped["stoppedAt"]
    assert client_api.get(camera_url(event.pk, "tee-10", "status")).json()["running"] is False
    assert client_api.get(status_url(event.pk)).json()["running"] is True


def test_a_camera_link_plays_its_camera_only(admin_api, client_api, event, tee):
    start(admin_api, event.pk)
    admin_api.post(camera_url(event.pk, "tee-10", "start"), {"source": "mock"}, format="json")
    minted = admin_api.post(camera_url(event.pk, "tee-10", "token"), {"ttl": 600}, format="json")
    assert minted.status_code == 200
    token = minted.json()["token"]
    assert minted.json()["viewerUrl"].endswith("&camera=tee-10")

    on_ten = client_api.get(camera_url(event.pk, "tee-10", "status"), {"token": token}).json()
    on_main = client_api.get(status_url(event.pk), {"token": token}).json()

    assert "hlsPath" in on_ten
    assert "hlsPath" not in on_main and on_main["running"] is True


def test_an_event_link_plays_every_camera(admin_api, client_api, event, tee):
    start(admin_api, event.pk)
    admin_api.post(camera_url(event.pk, "tee-10", "start"), {"source": "mock"}, format="json")
    token = mint(admin_api, event.pk).json()["token"]

    on_ten = client_api.get(camera_url(event.pk, "tee-10", "status"), {"token": token}).json()
    on_main = client_api.get(status_url(event.pk), {"token": token}).json()

    ten, main = Broadcast.objects.get(camera__slug="tee-10"), Broadcast.objects.get(
        camera__slug="main"
    )
    assert on_ten["hlsPath"].endswith(f"/{ten.stream_name}/index.m3u8")
    assert on_main["hlsPath"].endswith(f"/{main.stream_name}/index.m3u8")


def test_minting_a_camera_link_needs_that_camera_live(admin_api, event, tee):
    start(admin_api, event.pk)
    response = admin_api.post(camera_url(event.pk, "tee-10", "token"), {"ttl": 600}, format="json")
    assert response.status_code == 409
    assert "10th tee" in response.json()["detail"]


def test_each_broadcast_gets_a_new_media_path_but_the_camera_keeps_its_key(admin_api, event):
    first = admin_api.post(f"/events/{event.pk}/live/start", {"source": "rtmp"}, format="json")
    admin_api.post(f"/events/{event.pk}/live/stop")
    second = admin_api.post(f"/events/{event.pk}/live/start", {"source": "rtmp"}, format="json")

    assert first.json()["ingest"] == second.json()["ingest"]
    first_stream, second_stream = Broadcast.objects.order_by("pk").values_list(
        "stream_name", flat=True
    )
    assert first_stream != second_stream
    assert first_stream not in first.json()["ingest"]["streamKey"]
