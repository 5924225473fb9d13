"""GET /events/<id>/cameras/<camera>/audience (any key)."""

import pytest
from rest_framework.test import APIClient

from live.services.apikeys import create_api_key
from live.services.cameras import create_camera
from live.services.lifecycle import start_broadcast, stop_broadcast
from live.services.viewers import join_viewer, leave

pytestmark = pytest.mark.django_db


def audience_url(event_id, camera="main"):
    return f"/events/{event_id}/cameras/{camera}/audience"


@pytest.fixture
def on_air(event):
    return start_broadcast(event, "mock", "test")[0]


def test_a_camera_that_never_broadcast_has_no_audience(client_api, event):
    response = client_api.get(audience_url(event.pk))

    assert response.status_code == 200
    assert response.json() == {
        "broadcastId": None,
        "running": False,
        "watchingNow": 0,
        "uniqueViewers": 0,
        "peakWatching": 0,
    }


def test_it_counts_the_live_broadcast_s_audience(client_api, event, on_air):
    for viewer in ("viewer-one-0001", "viewer-two-0002", "viewer-three-003"):
        join_viewer(on_air, viewer)
    leave(on_air, "viewer-three-003")

    assert client_api.get(audience_url(event.pk)).json() == {
        "broadcastId": on_air.pk,
        "running": True,
        "watchingNow": 2,
        "uniqueViewers": 3,
        "peakWatching": 3,
    }


def test_after_the_stop_it_keeps_the_latest_broadcast_s_unique_viewers_and_peak(
    client_api, event, on_air
):
    join_viewer(on_air, "viewer-one-0001")
    join_viewer(on_air, "viewer-two-0002")
    stop_broadcast(event, "test")

    assert client_api.get(audience_url(event.pk)).json() == {
        "broadcastId": on_air.pk,
        "running": False,
        "watchingNow": 0,
        "uniqueViewers": 2,
        "peakWatching": 2,
    }


def test_a_new_broadcast_starts_from_zero(client_api, event, on_air):
    join_viewer(on_air, "viewer-one-0001")
    stop_broadcast(event, "test")
    again = start_broadcast(event, "mock", "test")[0]

    body = client_api.get(audience_url(event.pk)).json()

    assert body["broadcastId"] == again.pk
    assert (body["watchingNow"], body["uniqueViewers"], body["peakWatching"]) == (0, 0, 0)


def test_each_camera_has_its_own_audience(client_api, event, on_air):
    tee = create_camera(event, "tee-1", "1st tee")
    join_viewer(start_broadcast(tee, "mock", "test")[0], "viewer-one-0001")

    assert client_api.get(audience_url(event.pk, "tee-1")).json()["watchingNow"] == 1
    assert client_api.get(audience_url(event.pk, "main")).json()["watchingNow"] == 0


def test_an_unknown_camera_is_a_404_naming_it(client_api, event):
    response = client_api.get(audience_url(event.pk, "tee-99"))

    assert response.status_code == 404
    assert "tee-99" in response.json()["detail"]


def test_an_unknown_event_is_a_404_naming_it(client_api, db):
    response = client_api.get(audience_url("no-such-event"))

    assert response.status_code == 404
    assert "no-such-event" in response.json()["detail"]


def test_it_needs_a_key_within_the_event(anonymous_api, event, other_event):
    assert anonymous_api.get(audience_url(event.pk)).status_code == 401
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=create_api_key("scoped", False, [other_event.pk])[1])
    assert api.get(audience_url(event.pk)).status_code == 403
    assert api.get(audience_url(other_event.pk)).status_code == 200


def test_a_staff_session_may_read_it(event, staff_user):
    api = APIClient()
    api.force_login(staff_user)

    assert api.get(audience_url(event.pk)).status_code == 200
