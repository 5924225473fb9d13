"""The viewer page with cameras: links that outlive a break, camera links, the switcher,
and a viewer who keeps watching past the link's expiry."""

import time

import pytest
from django.test import Client

from live.models import Source
from live.services.cameras import create_camera
from live.services.lifecycle import start_broadcast, stop_broadcast
from live.services.viewer_links import mint_viewer_link, revoke_viewer_link
from live.services.viewers import join_viewer
from tests.live.pages.htmx_client import HtmxClient

pytestmark = pytest.mark.django_db

PAGE = "/events/open-2026/live-view"
STATE = "/events/open-2026/live-view/state"
VIEWER = "0123456789abcdef01234567"


@pytest.fixture
def tee(event):
    return create_camera(event, "tee-10", "10th tee")


def test_a_link_minted_in_one_broadcast_plays_the_next_after_a_break(event, on_air):
    token, _, _ = mint_viewer_link(on_air, 900, "staff:marshal")
    stop_broadcast(event, "staff:marshal")

    paused = Client().get(PAGE, {"token": token})
    assert paused.status_code == 200
    assert "This broadcast has ended" in paused.content.decode()
    assert "starts playing by itself" in paused.content.decode()

    second, _ = start_broadcast(event, Source.MOCK, "staff:marshal")
    resumed = HtmxClient().get(STATE, {"token": token, "shown": "idle"}, htmx=True)

    assert resumed.status_code == 200
    assert f"/{second.stream_name}/index.m3u8" in resumed.content.decode()


def test_a_camera_link_is_refused_on_another_camera_with_403(event, on_air, tee):
    start_broadcast(tee, Source.MOCK, "staff:marshal")
    token, _, _ = mint_viewer_link(on_air, 900, "staff:marshal", camera=on_air.camera)

    own = Client().get(PAGE, {"token": token})
    other = Client().get(PAGE, {"token": token, "camera": "tee-10"})

    assert own.status_code == 200 and "<video" in own.content.decode()
    assert other.status_code == 403
    assert "This link is for another camera" in other.content.decode()
    assert "<video" not in other.content.decode()


def test_an_event_link_offers_a_switcher_with_each_cameras_state(event, on_air, tee):
    token, _, _ = mint_viewer_link(on_air, 900, "staff:marshal")

    html = Client().get(PAGE, {"token": token}).content.decode()

    assert 'aria-label="Cameras"' in html
    assert 'data-camera="main"' in html and 'data-camera="tee-10"' in html
    assert 'Main camera <span class="badge-live">live</span>' in html
    assert '10th tee <span class="badge-idle">idle</span>' in html
    # Switching is an HTMX swap of the state partial, with the choice in the URL.
    assert "camera=tee-10" in html and 'hx-push-url="?token=' in html


def test_one_poll_costs_three_queries_whatever_the_number_of_cameras(
    event, on_air, tee, django_assert_max_num_queries
):
    for number in range(2, 5):
        create_camera(event, f"tee-{number}", f"Tee {number}")
    token, _, _ = mint_viewer_link(on_air, 900, "staff:marshal")
    shown = "live.main.10000"  # main live, the other four idle, as the page shows them

    with django_assert_max_num_queries(3):
        response = HtmxClient().get(
            STATE, {"token": token, "camera": "main", "shown": shown}, htmx=True
        )

    assert response.status_code == 204


def test_a_camera_that_is_not_there_is_a_404(event, on_air):
    token, _, _ = mint_viewer_link(on_air, 900, "staff:marshal")
    response = Client().get(PAGE, {"token": token, "camera": "nope"})
    assert response.status_code == 404
    assert "No such camera" in response.content.decode()


def short_link(on_air, seconds=1):
    token, claims, link = mint_viewer_link(on_air, seconds, "staff:marshal")
    return token, claims, link


def wait_until_expired(claims):
    time.sleep(max(0.0, claims.expires - time.time()) + 0.05)


def test_a_viewer_playing_when_the_link_expires_keeps_watching(event, on_air):
    token, claims, link = short_link(on_air)
    assert join_viewer(on_air, VIEWER, link=link)  # the page reported "playing"
    wait_until_expired(claims)

    kept = HtmxClient().get(STATE, {"token": token, "viewer": VIEWER, "shown": "live"}, htmx=True)
    fresh = Client().get(PAGE, {"token": token})
    stranger = HtmxClient().get(
        STATE, {"token": token, "viewer": "ffffffffffffffffffffffff", "shown": "live"}, htmx=True
    )

    assert kept.status_code == 204 and "teecam:hls-path" in kept["HX-Trigger"]
    assert fresh.status_code == 410 and "This link has expired" in fresh.content.decode()
    assert stranger.status_code == 286 and "This link has expired" in stranger.content.decode()


def test_the_api_status_keeps_its_meaning_for_an_expired_token(event, on_air, client_api):
    token, claims, link = short_link(on_air)
    join_viewer(on_air, VIEWER, link=link)
    wait_until_expired(claims)

    body = client_api.get(f"/events/{event.pk}/live/status", {"token": token}).json()

    assert body["running"] is True and "hlsPath" not in body


def test_the_watching_session_ends_with_the_broadcast_or_a_revocation(event, on_air):
    token, claims, link = short_link(on_air)
    join_viewer(on_air, VIEWER, link=link)
    wait_until_expired(claims)
    revoke_viewer_link(link, "staff:marshal")

    revoked = HtmxClient().get(
        STATE, {"token": token, "viewer": VIEWER, "shown": "live"}, htmx=True
    )

    assert revoked.status_code == 286
    assert "revoked" in revoked.content.decode()


def test_the_watching_session_has_a_maximum(event, on_air, settings):
    settings.LIVE_VIEWER_SESSION_MAX_SECONDS = 0
    token, claims, link = short_link(on_air)
    join_viewer(on_air, VIEWER, link=link)
    wait_until_expired(claims)

    response = HtmxClient().get(
        STATE, {"token": token, "viewer": VIEWER, "shown": "live"}, htmx=True
    )

    assert response.status_code == 286 and "This link has expired" in response.content.decode()
