"""POST /events/<id>/links: a viewer link minted whether or not anything is live (admin)."""

import pytest

from live.models import ViewerLink
from live.services.access import check_viewer_access
from live.services.cameras import create_camera
from live.services.lifecycle import start_broadcast
from live.services.tokens import InvalidToken, read_viewer_token
from tests.live.support import parse_time

pytestmark = pytest.mark.django_db

URL = "/events/open-2026/links"


def test_it_mints_an_event_link_while_nothing_is_live(admin_api, event):
    response = admin_api.post(URL, {"ttl": 86400}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "camera", "token", "expiresAt", "viewerUrl"}
    assert body["camera"] is None
    assert (
        body["viewerUrl"] == f"http://testserver/events/open-2026/live-view?token={body['token']}"
    )
    assert parse_time(body["expiresAt"]).utcoffset().total_seconds() == 0  # answered in UTC
    claims = read_viewer_token(body["token"], event.pk)
    assert claims.broadcast_id == 0 and claims.scope == "e"
    assert ViewerLink.objects.get(pk=body["id"]).camera is None


def test_a_link_minted_while_idle_plays_the_broadcast_that_starts_later(admin_api, event):
    tee = create_camera(event, "tee-1", "1st tee")
    token = admin_api.post(URL, {"camera": "tee-1", "ttl": 600}, format="json").json()["token"]

    assert check_viewer_access(event.pk, token, None, camera_id=tee.pk).can_play is False
    broadcast, _ = start_broadcast(tee, "mock", "test")
    assert check_viewer_access(event.pk, token, broadcast).can_play is True
    main, _ = start_broadcast(event, "mock", "test")
    assert check_viewer_access(event.pk, token, main).problem == "wrong_camera"


def test_while_live_the_link_notes_the_broadcast_it_covers(admin_api, event):
    broadcast, _ = start_broadcast(event, "mock", "test")
    body = admin_api.post(URL, {"camera": "main"}, format="json").json()
    assert read_viewer_token(body["token"], event.pk).broadcast_id == broadcast.pk
    assert body["viewerUrl"].endswith("&camera=main")


def test_the_original_token_routes_still_refuse_while_idle(admin_api, event):
    assert admin_api.post("/events/open-2026/live/token", {}, format="json").status_code == 409
    camera_route = "/events/open-2026/cameras/main/live/token"
    assert admin_api.post(camera_route, {}, format="json").status_code == 409


@pytest.mark.parametrize(
    "body, field",
    [
        ({"ttl": 0}, "ttl"),
        ({"ttl": 86401}, "ttl"),
        ({"ttl": "60"}, "ttl"),
        ({"camera": "No!"}, "camera"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(admin_api, event, body, field):
    response = admin_api.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["detail"]
    assert not ViewerLink.objects.exists()


def test_an_unknown_camera_is_a_404_and_a_client_key_a_403(admin_api, client_api, event):
    assert admin_api.post(URL, {"camera": "tee-9"}, format="json").status_code == 404
    assert client_api.post(URL, {}, format="json").status_code == 403
    assert not ViewerLink.objects.exists()


def test_a_v1_token_cannot_name_broadcast_zero(event):
    with pytest.raises(InvalidToken) as caught:
        read_viewer_token("0.1999999999.AAAAAAAAAAA." + "A" * 43, event.pk)
    assert caught.value.reason == "malformed"


def test_the_schema_documents_the_route(anonymous_api):
    schema = anonymous_api.get("/api/schema/", {"format": "json"}).json()
    post = schema["paths"]["/events/{event_id}/links"]["post"]
    assert set(post["responses"]) >= {"201", "400", "401", "403", "404", "429"}
    created = post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    fields = schema["components"]["schemas"][created.rsplit("/", 1)[1]]["properties"]
    assert set(fields) == {"id", "camera", "token", "expiresAt", "viewerUrl"}
    body = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert set(schema["components"]["schemas"][body.rsplit("/", 1)[1]]["properties"]) == {
        "camera",
        "ttl",
    }
