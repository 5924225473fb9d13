"""POST /events/<id>/live-view/heartbeat and /leave: the page still watches, or is gone."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from live.models import Viewer
from live.services.audience import audience_of, watching_now
from live.services.lifecycle import stop_broadcast
from live.services.viewer_links import mint_viewer_link, revoke_viewer_link
from live.services.viewers import join_viewer

HEARTBEAT = "/events/open-2026/live-view/heartbeat"
LEAVE = "/events/open-2026/live-view/leave"
JOIN = "/events/open-2026/live-view/join"
PAGE = "viewer-one-0001"


def post(url, data):
    return Client(enforce_csrf_checks=True).post(url, data)


def test_a_heartbeat_keeps_a_joined_viewer_watching(event, on_air, viewer_token):
    post(JOIN, {"token": viewer_token, "viewer": PAGE})
    Viewer.objects.update(last_seen_at=timezone.now() - timedelta(seconds=50))

    response = post(HEARTBEAT, {"token": viewer_token, "viewer": PAGE})

    assert response.status_code == 200
    assert response.json() == {"watching": True, "joined": False}
    assert "no-store" in response["Cache-Control"]
    seen = Viewer.objects.get().last_seen_at
    assert timezone.now() - seen < timedelta(seconds=5)


def test_a_heartbeat_from_a_page_whose_join_was_lost_joins_it(event, on_air, viewer_token):
    response = post(HEARTBEAT, {"token": viewer_token, "viewer": PAGE})

    assert response.json() == {"watching": True, "joined": True}
    assert watching_now(on_air) == 1


def test_leaving_drops_the_viewer_at_once_and_keeps_the_row(event, on_air, viewer_token):
    post(JOIN, {"token": viewer_token, "viewer": PAGE})

    response = post(LEAVE, {"token": viewer_token, "viewer": PAGE})

    assert response.status_code == 200
    assert response.json() == {"left": True}
    assert audience_of(on_air)["watchingNow"] == 0
    assert audience_of(on_air)["uniqueViewers"] == 1


def test_a_leave_as_navigator_send_beacon_sends_it_multipart(event, on_air, viewer_token):
    post(JOIN, {"token": viewer_token, "viewer": PAGE})

    # Django's test client posts multipart/form-data, as sendBeacon does with FormData.
    response = Client().post(LEAVE, {"token": viewer_token, "viewer": PAGE, "camera": "main"})

    assert response.status_code == 200
    assert watching_now(on_air) == 0


@pytest.mark.parametrize("url", [HEARTBEAT, LEAVE])
def test_it_checks_what_join_checks(url, event, on_air, viewer_token):
    assert post(url, {"viewer": PAGE}).status_code == 400
    assert post(url, {"token": viewer_token, "viewer": "short"}).status_code == 400
    assert post(url, {"token": "1e.123.abc.def", "viewer": PAGE}).status_code in (400, 403)
    assert post(url, {"token": viewer_token, "viewer": PAGE, "camera": "tee-99"}).status_code == (
        404
    )
    other = url.replace("open-2026", "no-such-event")
    assert post(other, {"token": viewer_token, "viewer": PAGE}).status_code == 404
    assert Client().get(url).status_code == 405
    assert not Viewer.objects.exists()


def test_a_heartbeat_for_a_camera_that_is_not_live_is_409(event, on_air):
    token = mint_viewer_link(on_air, 600, "test")[0]
    stop_broadcast(event, "test")

    response = post(HEARTBEAT, {"token": token, "viewer": PAGE})

    assert response.status_code == 409
    assert response.json()["error"] == "not_live"


def test_a_revoked_link_heartbeat_is_refused(event, on_air):
    token, _, link = mint_viewer_link(on_air, 600, "test")
    join_viewer(on_air, PAGE, link=link)
    revoke_viewer_link(link, "test")

    response = post(HEARTBEAT, {"token": token, "viewer": PAGE})

    assert response.status_code == 403
    assert response.json()["error"] == "revoked"


def test_a_viewer_watching_when_the_link_expires_keeps_sending_heartbeats(
    event, on_air, monkeypatch
):
    token, claims, link = mint_viewer_link(on_air, 60, "test")
    post(JOIN, {"token": token, "viewer": PAGE})
    after = claims.expires + 10
    monkeypatch.setattr("live.services.tokens.time.time", lambda: after)
    monkeypatch.setattr("live.services.access.time.time", lambda: after)

    kept = post(HEARTBEAT, {"token": token, "viewer": PAGE})
    stranger = post(HEARTBEAT, {"token": token, "viewer": "viewer-two-0002"})

    assert kept.status_code == 200
    assert stranger.status_code == 410
    assert Viewer.objects.count() == 1


def test_heartbeats_are_rate_limited_per_page(
    event, on_air, viewer_token, settings, still_rate_clock
):
    settings.LIVE_RATE_LIMITS = {**settings.LIVE_RATE_LIMITS, "heartbeat": (3, 60)}
    answers = [
        post(HEARTBEAT, {"token": viewer_token, "viewer": PAGE}).status_code for _ in range(4)
    ]
    other_page = post(HEARTBEAT, {"token": viewer_token, "viewer": "viewer-two-0002"})

    assert answers == [200, 200, 200, 429]
    assert other_page.status_code == 200


def test_the_viewer_page_loads_the_heartbeat_with_its_interval(
    event, on_air, viewer_token, settings
):
    settings.LIVE_VIEWER_HEARTBEAT_SECONDS = 7

    page = Client().get(f"/events/{event.pk}/live-view?token={viewer_token}").content.decode()

    assert 'src="/static/live/heartbeat.js"' in page
    assert 'data-heartbeat-seconds="7"' in page
    assert f'data-heartbeat-url="{HEARTBEAT}"' in page
    assert f'data-leave-url="{LEAVE}"' in page
