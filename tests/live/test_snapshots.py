"""The polls' per-process snapshots (live/services/snapshots.py): what they spare and
how stale they may be. A revoked link still stops: at once through this process,
within LIVE_STATE_CACHE_SECONDS through another, and its media within
LIVE_VIEWER_MEDIA_TTL either way; an expired link as before (its token says so)."""

import pytest
from django.test import Client

from live.models import Source, ViewerLink
from live.services import snapshots
from live.services.cameras import create_camera
from live.services.lifecycle import start_broadcast
from live.services.viewer_links import mint_viewer_link, revoke_viewer_link
from tests.live.pages.htmx_client import HtmxClient

pytestmark = pytest.mark.django_db
STOP_POLLING = 286


@pytest.fixture
def clock(monkeypatch):
    """The snapshots' clock, moved on by the test instead of waiting."""
    now = [1000.0]
    monkeypatch.setattr(snapshots, "_clock", lambda: now[0])
    return now


@pytest.fixture
def four_cameras(event):
    """4 cameras, 2 live (main and tee-1), and an event link: the benches' event."""
    for number in range(1, 4):
        create_camera(event, f"tee-{number}", f"Tee {number}")
    live = [start_broadcast(camera, Source.MOCK, "staff:marshal")[0] for camera in
            event.cameras.filter(slug__in=["main", "tee-1"])]  # fmt: skip
    token, _, link = mint_viewer_link(live, 3600, "staff:marshal")
    return token, link


def poll_url(token, shown):
    return f"/events/open-2026/live-view/state?token={token}&camera=main&shown={shown}"


def shown_of(token):
    """The poll the partial itself names (what the page sends next)."""
    html = HtmxClient().get(poll_url(token, "new"), htmx=True).content.decode()
    return html.split("shown=", 1)[1].split('"', 1)[0]


def test_the_viewer_poll_asks_no_query_once_the_snapshot_is_made(
    four_cameras, django_assert_num_queries
):
    token, _ = four_cameras
    shown = shown_of(token)

    with django_assert_num_queries(0):
        response = HtmxClient().get(poll_url(token, shown), htmx=True)
    assert response.status_code == 204


def test_status_asks_only_for_its_api_key(four_cameras, client_key, django_assert_num_queries):
    token, _ = four_cameras
    api = Client(HTTP_X_API_KEY=client_key)
    assert api.get(f"/events/open-2026/live/status?token={token}").status_code == 200

    with django_assert_num_queries(1):  # the key: revocation is seen on the next request
        answer = api.get(f"/events/open-2026/live/status?token={token}").json()
    assert answer["running"] and answer["hlsPath"]


def test_a_link_revoked_here_stops_the_next_poll(four_cameras):
    token, link = four_cameras
    shown = shown_of(token)
    assert HtmxClient().get(poll_url(token, shown), htmx=True).status_code == 204

    revoke_viewer_link(link, "staff:marshal")

    response = HtmxClient().get(poll_url(token, shown), htmx=True)
    assert response.status_code == STOP_POLLING
    assert "This link has been revoked" in response.content.decode()


def test_a_link_revoked_by_another_process_stops_once_the_snapshot_is_older_than_its_seconds(
    four_cameras, clock, settings
):
    token, link = four_cameras
    shown = shown_of(token)
    assert HtmxClient().get(poll_url(token, shown), htmx=True).status_code == 204
    # As another process revokes it: the row changes, this process is not told.
    ViewerLink.objects.filter(pk=link.pk).update(revoked_at=link.created_at)

    clock[0] += settings.LIVE_STATE_CACHE_SECONDS / 2
    assert HtmxClient().get(poll_url(token, shown), htmx=True).status_code == 204
    clock[0] += settings.LIVE_STATE_CACHE_SECONDS

    assert HtmxClient().get(poll_url(token, shown), htmx=True).status_code == STOP_POLLING


def test_a_revoked_links_status_has_no_media_and_its_last_media_lasts_the_media_ttl(
    four_cameras, client_key, settings
):
    token, link = four_cameras
    api = Client(HTTP_X_API_KEY=client_key)
    before = api.get(f"/events/open-2026/live/status?token={token}").json()

    revoke_viewer_link(link, "staff:marshal")

    after = api.get(f"/events/open-2026/live/status?token={token}").json()
    assert "hlsPath" not in after and after["running"]
    # What was handed out before stays valid no longer than the documented time.
    granted = int(before["hlsPath"].split("/")[3])
    assert granted - int(link.created_at.timestamp()) <= settings.LIVE_VIEWER_MEDIA_TTL + 30 + 5


def test_the_snapshot_is_off_with_zero_seconds(four_cameras, settings):
    settings.LIVE_STATE_CACHE_SECONDS = 0
    token, link = four_cameras
    shown = shown_of(token)
    ViewerLink.objects.filter(pk=link.pk).update(revoked_at=link.created_at)

    assert HtmxClient().get(poll_url(token, shown), htmx=True).status_code == STOP_POLLING
