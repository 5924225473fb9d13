"""POST /events/<id>/live/token: a viewer link for the live broadcast (admin)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from live.models import Broadcast
from live.services.tokens import read_viewer_token
from tests.live.support import mint, parse_time, start, stop_url, token_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(admin_api, event):
    assert start(admin_api, event.pk).status_code == 201
    return Broadcast.objects.get()


def assert_expires_in(body, seconds):
    expected = timezone.now() + timedelta(seconds=seconds)
    assert abs(parse_time(body["expiresAt"]) - expected) <= timedelta(seconds=3)


def test_the_default_lifetime_is_900_seconds(admin_api, event, live):
    response = mint(admin_api, event.pk)

    assert response.status_code == 200
    assert_expires_in(response.json(), 900)


def test_an_empty_request_body_also_gets_the_default_lifetime(admin_api, event, live):
    response = admin_api.post(token_url(event.pk))

    assert response.status_code == 200
    assert_expires_in(response.json(), 900)


@pytest.mark.parametrize("ttl", [1, 60, 86400])
def test_a_lifetime_within_1_to_86400_seconds_is_honoured(admin_api, event, live, ttl):
    response = mint(admin_api, event.pk, ttl=ttl)

    assert response.status_code == 200
    assert_expires_in(response.json(), ttl)


def test_the_token_names_the_live_broadcast_and_its_expiry(admin_api, event, live):
    body = mint(admin_api, event.pk, ttl=600).json()

    claims = read_viewer_token(body["token"], event.pk)
    assert claims.broadcast_id == live.pk
    assert claims.expires_at == parse_time(body["expiresAt"])


def test_the_viewer_url_is_the_viewer_page_with_the_token(admin_api, event, live):
    body = mint(admin_api, event.pk).json()

    assert body["viewerUrl"] == f"/events/{event.pk}/live-view?token={body['token']}"


def test_the_camera_route_s_viewer_url_is_absolute_on_the_request_s_host(
    admin_api, event, live, settings
):
    settings.LIVE_PUBLIC_URL = ""
    body = admin_api.post(f"/events/{event.pk}/cameras/main/live/token", format="json").json()

    assert body["viewerUrl"] == (
        f"http://testserver/events/{event.pk}/live-view?token={body['token']}&camera=main"
    )


def test_the_camera_route_s_viewer_url_is_on_the_public_url_when_set(
    admin_api, event, live, settings
):
    settings.LIVE_PUBLIC_URL = "https://tee.example.com"
    body = admin_api.post(f"/events/{event.pk}/cameras/main/live/token", format="json").json()
    relative = mint(admin_api, event.pk).json()

    assert body["viewerUrl"] == (
        f"https://tee.example.com/events/{event.pk}/live-view?token={body['token']}&camera=main"
    )
    assert relative["viewerUrl"].startswith(f"/events/{event.pk}/live-view?token=")


@pytest.mark.parametrize(
    "ttl",
    [0, -1, 86401, 10**20, "abc", "900", 12.5, True, None, [], {}],
    ids=repr,
)
def test_it_rejects_a_lifetime_that_is_not_a_whole_number_of_seconds_in_range(
    admin_api, event, live, ttl
):
    response = mint(admin_api, event.pk, ttl=ttl)

    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"
    assert list(response.json()["detail"]) == ["ttl"]


def test_it_refuses_to_mint_while_the_event_is_idle_with_409(admin_api, event):
    response = mint(admin_api, event.pk)

    assert response.status_code == 409
    assert response.json()["error"] == "conflict"
    assert "not live" in response.json()["detail"]


def test_it_refuses_to_mint_after_the_broadcast_stopped_with_409(admin_api, event, live):
    admin_api.post(stop_url(event.pk))

    assert mint(admin_api, event.pk).status_code == 409


def test_a_client_key_may_not_mint_viewer_links(client_api, event, live):
    response = mint(client_api, event.pk)

    assert response.status_code == 403
    assert "token" not in response.json()


def test_minting_for_an_unknown_event_is_404(admin_api, live):
    assert mint(admin_api, "no-such-event").status_code == 404


@pytest.mark.parametrize("body", ["null", "[]", '"900"', "900", "true"])
def test_a_json_body_that_is_not_an_object_is_400(admin_api, event, live, body):
    response = admin_api.post(token_url(event.pk), body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"
    assert "token" not in response.json()
