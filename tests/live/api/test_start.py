"""POST /events/<id>/live/start: admin keys and staff sessions start a broadcast."""

import pytest
from django.conf import settings as django_settings
from django.middleware.csrf import get_token
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from live.models import ApiKey, Broadcast
from live.services.apikeys import create_api_key
from tests.live.support import key_actor, parse_time, start, start_url

pytestmark = pytest.mark.django_db

WHIP_URL = "https://livekit.example.test/whip"


@pytest.fixture(autouse=True)
def no_whip_url(settings):
    """The environment must not decide whether the livekit source is offered."""
    settings.LIVEKIT_WHIP_URL = ""


def test_it_refuses_a_request_without_a_key_with_401_and_names_the_header(anonymous_api, event):
    response = start(anonymous_api, event.pk)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "X-API-Key"
    assert response.json()["error"] == "not_authenticated"
    assert not Broadcast.objects.exists()


@pytest.mark.parametrize(
    "raw_key",
    [
        "nope",
        "tc_000000000000_" + "a" * 43,
        "tc_ABCDEF012345_" + "a" * 43,
    ],
)
def test_it_refuses_an_unknown_key_with_401(event, raw_key):
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=raw_key)

    response = start(api, event.pk)

    assert response.status_code == 401
    assert response.json() == {
        "error": "authentication_failed",
        "detail": "Unknown or inactive API key.",
    }
    assert not Broadcast.objects.exists()


def test_it_refuses_a_known_key_with_a_wrong_secret_with_401(event, admin_key):
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=admin_key[:-4] + "AAAA")

    assert start(api, event.pk).status_code == 401
    assert not Broadcast.objects.exists()


def test_it_refuses_an_inactive_key_with_401(event):
    key, raw = create_api_key("retired", is_admin=True)
    ApiKey.objects.filter(pk=key.pk).update(is_active=False)
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=raw)

    response = start(api, event.pk)

    assert response.status_code == 401
    assert not Broadcast.objects.exists()


def test_it_forbids_a_client_key_with_403(client_api, event):
    response = start(client_api, event.pk)

    assert response.status_code == 403
    assert response.json() == {
        "error": "permission_denied",
        "detail": "This action needs an admin API key or a staff login.",
    }
    assert not Broadcast.objects.exists()


def test_it_answers_404_with_the_error_shape_for_an_unknown_event(admin_api, db):
    response = start(admin_api, "no-such-event")

    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"error", "detail"}
    assert body["error"] == "not_found"
    assert "no-such-event" in body["detail"]
    assert not Broadcast.objects.exists()


def test_it_starts_the_mock_source_with_201_and_describes_the_broadcast(
    admin_api, admin_key, event
):
    before = timezone.now()

    response = start(admin_api, event.pk)

    assert response.status_code == 201
    body = response.json()
    broadcast = Broadcast.objects.get()
    assert body["running"] is True
    assert body["source"] == "mock"
    assert body["broadcastId"] == broadcast.pk
    assert body["startedBy"] == key_actor("ops", admin_key)
    assert "ingest" not in body
    assert parse_time(body["startedAt"]) == broadcast.started_at
    assert before <= broadcast.started_at <= timezone.now()
    assert broadcast.event_id == event.pk
    assert broadcast.is_live
    assert broadcast.started_by == key_actor("ops", admin_key)


def test_starting_the_same_source_again_answers_200_with_the_same_broadcast(admin_api, event):
    first = start(admin_api, event.pk)

    again = start(admin_api, event.pk)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["broadcastId"] == first.json()["broadcastId"]
    assert again.json()["startedAt"] == first.json()["startedAt"]
    assert Broadcast.objects.count() == 1


def test_starting_another_source_while_live_is_a_409_conflict(admin_api, event, settings):
    settings.LIVEKIT_WHIP_URL = WHIP_URL
    start(admin_api, event.pk, "mock")

    response = start(admin_api, event.pk, "livekit")

    assert response.status_code == 409
    assert response.json()["error"] == "conflict"
    assert "mock" in response.json()["detail"]
    assert list(Broadcast.objects.values_list("source", "stopped_at")) == [("mock", None)]


def test_a_start_on_one_event_does_not_touch_another(admin_api, event, other_event):
    start(admin_api, event.pk)

    response = start(admin_api, other_event.pk)

    assert response.status_code == 201
    assert Broadcast.objects.filter(stopped_at__isnull=True).count() == 2


@pytest.mark.parametrize("source", ["webcam", "", "MOCK", "mock ", 1, None])
def test_it_rejects_an_unknown_source_with_400_naming_source(admin_api, event, source):
    response = admin_api.post(start_url(event.pk), {"source": source}, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"
    assert list(response.json()["detail"]) == ["source"]
    assert not Broadcast.objects.exists()


def test_it_rejects_a_missing_body_with_400_naming_source(admin_api, event):
    response = admin_api.post(start_url(event.pk))

    assert response.status_code == 400
    assert list(response.json()["detail"]) == ["source"]
    assert not Broadcast.objects.exists()


def test_it_rejects_a_form_encoded_body_with_415(admin_api, event):
    response = admin_api.post(
        start_url(event.pk), "source=mock", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"
    assert not Broadcast.objects.exists()


def test_it_rejects_malformed_json_with_400_parse_error(admin_api, event):
    response = admin_api.post(
        start_url(event.pk), '{"source": "mock"', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"] == "parse_error"
    assert not Broadcast.objects.exists()


def test_livekit_without_a_whip_url_answers_teecams_own_whip_url_and_token(
    admin_api, event, settings
):
    settings.LIVE_PUBLIC_URL = "https://tee.example.test"
    settings.LIVE_WHIP_PUBLIC_URL = ""

    response = start(admin_api, event.pk, "livekit")

    assert response.status_code == 201
    camera = Broadcast.objects.get().camera
    assert response.json()["ingest"] == {
        "whipUrl": f"https://tee.example.test/whip/{camera.ingest_name}",
        "bearerToken": camera.stream_key,
    }
    assert camera.stream_key not in response.json()["ingest"]["whipUrl"]
    assert Broadcast.objects.get().health == "waiting"  # watched like RTMP


def test_livekit_with_a_whip_url_answers_the_ingest_url(admin_api, event, settings):
    settings.LIVEKIT_WHIP_URL = WHIP_URL

    response = start(admin_api, event.pk, "livekit")

    assert response.status_code == 201
    assert response.json()["ingest"] == {"whipUrl": WHIP_URL}
    assert Broadcast.objects.get().source == "livekit"


# Staff sessions: the browser's way in, which must carry Django's CSRF token.


def csrf_pair():
    """A CSRF cookie value and a matching (masked) token for the X-CSRFToken header."""
    request = RequestFactory().get("/")
    token = get_token(request)
    return request.META["CSRF_COOKIE"], token


@pytest.fixture
def staff_session(staff_user):
    api = APIClient(enforce_csrf_checks=True)
    assert api.login(username="marshal", password="pw-marshal-123")
    return api


def test_a_staff_session_without_the_csrf_token_is_refused_with_403(staff_session, event):
    response = start(staff_session, event.pk)

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Broadcast.objects.exists()


def test_a_staff_session_with_the_csrf_token_starts_the_broadcast(staff_session, event):
    cookie, token = csrf_pair()
    staff_session.cookies[django_settings.CSRF_COOKIE_NAME] = cookie

    response = staff_session.post(
        start_url(event.pk), {"source": "mock"}, format="json", HTTP_X_CSRFTOKEN=token
    )

    assert response.status_code == 201
    assert response.json()["startedBy"] == "staff:marshal"
    assert Broadcast.objects.get().started_by == "staff:marshal"


def test_a_non_staff_session_is_forbidden_even_with_the_csrf_token(plain_user, event):
    api = APIClient(enforce_csrf_checks=True)
    assert api.login(username="fan", password="pw-fan-123456")
    cookie, token = csrf_pair()
    api.cookies[django_settings.CSRF_COOKIE_NAME] = cookie

    response = api.post(
        start_url(event.pk), {"source": "mock"}, format="json", HTTP_X_CSRFTOKEN=token
    )

    assert response.status_code == 403
    assert "admin API key or a staff login" in response.json()["detail"]
    assert not Broadcast.objects.exists()


def test_an_anonymous_session_is_told_to_authenticate(event):
    api = APIClient(enforce_csrf_checks=True)

    response = start(api, event.pk)

    assert response.status_code == 401
    assert not Broadcast.objects.exists()


@pytest.mark.parametrize("body", ["null", "[]", '"mock"', "1", "true"])
def test_a_json_body_that_is_not_an_object_is_400(admin_api, event, body):
    response = admin_api.post(start_url(event.pk), body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"
    assert not Broadcast.objects.exists()
