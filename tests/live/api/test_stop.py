"""POST /events/<id>/live/stop: ends the broadcast, its viewers and its links."""

import pytest
from django.utils import timezone

from live.models import Broadcast, Viewer
from live.services.audience import audience_of
from tests.live.support import key_actor, mint, parse_time, start, status_url, stop_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(admin_api, event):
    assert start(admin_api, event.pk).status_code == 201
    return Broadcast.objects.get()


def test_stopping_ends_the_broadcast_and_records_when_and_who(admin_api, admin_key, event, live):
    before = timezone.now()

    response = admin_api.post(stop_url(event.pk))

    assert response.status_code == 200
    body = response.json()
    live.refresh_from_db()
    assert body["running"] is False
    assert body["broadcastId"] == live.pk
    assert body["source"] == "mock"
    assert parse_time(body["stoppedAt"]) == live.stopped_at
    assert before <= live.stopped_at <= timezone.now()
    assert live.stopped_by == key_actor("ops", admin_key)
    assert not Broadcast.objects.filter(stopped_at__isnull=True).exists()


def test_stopping_keeps_the_viewers_but_nobody_watches_an_ended_broadcast(
    admin_api, event, other_event, live
):
    # Issue 11: unique viewers and the peak are kept after the stop.
    now = timezone.now()
    Viewer.objects.create(broadcast=live, viewer_id="viewer-aaaa1111", last_seen_at=now)
    Viewer.objects.create(broadcast=live, viewer_id="viewer-bbbb2222", last_seen_at=now)
    start(admin_api, other_event.pk)
    elsewhere = Broadcast.objects.get(event=other_event)
    Viewer.objects.create(broadcast=elsewhere, viewer_id="viewer-cccc3333", last_seen_at=now)

    admin_api.post(stop_url(event.pk))

    live.refresh_from_db()
    assert Viewer.objects.filter(broadcast=live).count() == 2
    assert audience_of(live)["watchingNow"] == 0
    assert audience_of(live)["uniqueViewers"] == 2
    assert audience_of(elsewhere)["watchingNow"] == 1


def test_tokens_minted_before_the_stop_no_longer_unlock_the_stream(admin_api, event, live):
    token = mint(admin_api, event.pk).json()["token"]
    assert "hlsPath" in admin_api.get(status_url(event.pk), {"token": token}).json()

    admin_api.post(stop_url(event.pk))

    body = admin_api.get(status_url(event.pk), {"token": token}).json()
    assert body["running"] is False
    assert "hlsPath" not in body


# Changed by the cameras issue (#9): "a link works across stop and start until it
# expires or is revoked". Until then a token minted before a stop stayed void.
def test_tokens_minted_before_the_stop_play_again_after_a_restart(admin_api, event, live):
    token = mint(admin_api, event.pk).json()["token"]
    admin_api.post(stop_url(event.pk))

    assert start(admin_api, event.pk).status_code == 201

    body = admin_api.get(status_url(event.pk), {"token": token}).json()
    assert body["running"] is True
    assert body["hlsPath"].endswith(
        f"/{Broadcast.objects.get(stopped_at=None).stream_name}/index.m3u8"
    )


def test_stopping_an_idle_event_is_a_harmless_200(admin_api, event):
    response = admin_api.post(stop_url(event.pk))

    assert response.status_code == 200
    idle = {
        "running": False,
        "startedAt": None,
        "source": None,
        "broadcastId": None,
        "stoppedAt": None,
    }
    assert response.json().items() >= idle.items()
    assert not Broadcast.objects.exists()


def test_stopping_twice_changes_nothing_the_second_time(admin_api, event, live):
    admin_api.post(stop_url(event.pk))
    live.refresh_from_db()
    stopped_at = live.stopped_at

    again = admin_api.post(stop_url(event.pk))

    assert again.status_code == 200
    assert again.json()["running"] is False
    assert again.json()["broadcastId"] is None
    live.refresh_from_db()
    assert live.stopped_at == stopped_at
    assert Broadcast.objects.count() == 1


def test_a_client_key_may_not_stop_the_broadcast(client_api, event, live):
    response = client_api.post(stop_url(event.pk))

    assert response.status_code == 403
    live.refresh_from_db()
    assert live.is_live


def test_no_key_may_not_stop_the_broadcast(anonymous_api, event, live):
    response = anonymous_api.post(stop_url(event.pk))

    assert response.status_code == 401
    live.refresh_from_db()
    assert live.is_live


def test_stopping_an_unknown_event_is_404(admin_api, live):
    response = admin_api.post(stop_url("no-such-event"))

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    live.refresh_from_db()
    assert live.is_live
