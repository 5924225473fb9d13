"""Media routing: viewers' media URLs start with the base of the host holding the lease.

With one box there is no base and every URL is exactly what it was. With several
media hosts (docs/scaling.md) each packager records its LIVE_MEDIA_HOST_URL in
the leases it holds; status (``hlsUrl``), ``/media/sign``, the viewer page and
its poll point there, and follow the lease when another packager takes it over.
"""

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from live.models import Broadcast, PackagerLease
from live.services.paths import output_dir_for
from live.workers.leases import CLAIM_DELAY_PER_HELD_SECONDS
from live.workers.packager import Packager
from tests.live.support import mint, start, status_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(admin_api, event):
    assert start(admin_api, event.pk, source="srt").status_code == 201
    return Broadcast.objects.get()


def lease(broadcast, base, owner="packager-a", seconds=10):
    now = timezone.now()
    return PackagerLease.objects.update_or_create(
        broadcast=broadcast,
        defaults={
            "owner": owner,
            "media_host": base,
            "renewed_at": now,
            "expires_at": now + timedelta(seconds=seconds),
        },
    )[0]


def status_with_token(admin_api, event):
    token = mint(admin_api, event.pk).json()["token"]
    return admin_api.get(status_url(event.pk), {"token": token}).json(), token


def test_one_box_hls_url_is_the_hls_path(admin_api, event, live):
    body, _ = status_with_token(admin_api, event)

    assert body["hlsUrl"] == body["hlsPath"]
    assert body["hlsPath"].startswith("/hls/")


def test_hls_url_follows_the_lease_holders_media_host(admin_api, event, live):
    lease(live, "/media/a")
    body, token = status_with_token(admin_api, event)
    assert body["hlsUrl"] == "/media/a" + body["hlsPath"]

    # Another host takes the lease over: the next poll points there.
    lease(live, "https://media-b.example.com", owner="packager-b")
    body = admin_api.get(status_url(event.pk), {"token": token}).json()
    assert body["hlsUrl"] == "https://media-b.example.com" + body["hlsPath"]


def test_media_sign_answers_on_the_media_host(admin_api, event, live):
    lease(live, "/media/b")
    body, _ = status_with_token(admin_api, event)

    signed = admin_api.get("/media/sign", {"path": body["hlsPath"]}).json()
    assert signed["url"].startswith("/media/b/hls/")
    assert signed["url"].endswith(f"/{live.stream_name}/index.m3u8")
    # A fixture has no lease: the page's own host, as before.
    fixture = admin_api.get("/media/sign", {"path": "/hls/tee/index.m3u8"}).json()
    assert fixture["url"].startswith("/hls/")


def test_viewer_page_and_poll_carry_the_base(admin_api, client, event):
    # The mock is live at once (an SRT camera waits for its feed, with no player).
    assert start(admin_api, event.pk).status_code == 201
    lease(Broadcast.objects.get(), "/media/a")
    token = mint(admin_api, event.pk).json()["token"]

    page = client.get(f"/events/{event.pk}/live-view", {"token": token})
    assert 'data-hls-src="/media/a/hls/' in page.content.decode()

    poll = client.get(
        f"/events/{event.pk}/live-view/state",
        {"token": token, "viewer": "v" * 16, "shown": "live"},
    )
    if poll.status_code == 204:  # unchanged state: fresh paths ride in HX-Trigger
        assert '"path": "/media/a/hls/' in poll["HX-Trigger"]
    else:
        assert 'data-hls-src="/media/a/hls/' in poll.content.decode()


def test_the_packager_records_its_media_host(event, live, settings):
    settings.LIVE_MEDIA_HOST_URL = "/media/a"
    Packager(owner="a").hold_lease(live, timezone.now())
    assert PackagerLease.objects.get(broadcast=live).media_host == "/media/a"

    # Host a dies; its lease lapses and b takes it over, with b's base.
    PackagerLease.objects.filter(broadcast=live).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    settings.LIVE_MEDIA_HOST_URL = "/media/b"
    assert Packager(owner="b").hold_lease(live, timezone.now())
    assert PackagerLease.objects.get(broadcast=live).media_host == "/media/b"


def test_a_loaded_packager_leaves_a_new_broadcast_to_an_idle_one(admin_api, event, live):
    busy, idle = Packager(owner="busy"), Packager(owner="idle")
    assert busy.hold_lease(live, timezone.now())
    camera = event.cameras.create(slug="tee-2", name="Tee 2")
    response = admin_api.post(
        f"/events/{event.pk}/cameras/{camera.slug}/live/start", {"source": "srt"}, format="json"
    )
    assert response.status_code == 201, response.content
    second = Broadcast.objects.get(camera=camera)

    assert not busy.hold_lease(second, timezone.now())  # holds one: waits its turn
    assert idle.hold_lease(second, timezone.now())  # holds none: claims at once
    assert PackagerLease.objects.get(broadcast=second).owner == "idle"


def test_a_loaded_packager_claims_after_its_delay(admin_api, event, live, monkeypatch):
    busy = Packager(owner="busy")
    assert busy.hold_lease(live, timezone.now())
    camera = event.cameras.create(slug="tee-2", name="Tee 2")
    admin_api.post(
        f"/events/{event.pk}/cameras/{camera.slug}/live/start", {"source": "srt"}, format="json"
    )
    second = Broadcast.objects.get(camera=camera)

    assert not busy.hold_lease(second, timezone.now())
    clock = time.monotonic() + CLAIM_DELAY_PER_HELD_SECONDS + 0.1
    monkeypatch.setattr("live.workers.leases.time.monotonic", lambda: clock)
    assert busy.hold_lease(second, timezone.now())  # nobody else came: it takes it


@pytest.mark.parametrize("value", ["/media/a?x=1", "media/a", "javascript:alert(1)", "/a b"])
def test_a_bad_media_host_url_stops_start_up(value):
    env = {**os.environ, "LIVE_MEDIA_HOST_URL": value}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "LIVE_MEDIA_HOST_URL must be empty, a path such as /media/a" in result.stderr


@pytest.mark.parametrize("value", ["", "/media/a", "https://media-1.example.com:8443/tee"])
def test_good_media_host_urls_are_kept(value, monkeypatch):
    from teecam.env import env_media_host_url

    monkeypatch.setenv("LIVE_MEDIA_HOST_URL", value + "/")
    assert env_media_host_url("LIVE_MEDIA_HOST_URL") == value


def test_with_media_hosts_an_rtmp_lease_is_held_where_the_feed_arrives(admin_api, event, settings):
    assert start(admin_api, event.pk, source="rtmp").status_code == 201
    broadcast = Broadcast.objects.get()
    settings.LIVE_MEDIA_HOST_URL = "/media/a"
    packager = Packager(owner="a")

    packager.reconcile()  # nginx-rtmp on this host has no folder for it: another host has
    assert not PackagerLease.objects.filter(broadcast=broadcast).exists()

    output_dir_for(broadcast).mkdir(parents=True)  # the camera publishes here
    packager.reconcile()
    assert PackagerLease.objects.get(broadcast=broadcast).media_host == "/media/a"


def test_a_thumbnail_on_another_media_host_is_signed_under_its_base(event, live):
    from live.services.thumbnails import thumbnail_path

    assert thumbnail_path(live, 2_000_000_000) is None  # one box: none on disk yet
    lease(live, "/media/b")
    live = Broadcast.objects.get(pk=live.pk)
    path = thumbnail_path(live, 2_000_000_000)
    assert path.startswith("/media/b/hls/") and path.endswith(f"/{live.stream_name}/thumb.jpg")


def test_a_broadcast_taken_over_from_a_dead_host_is_reconnecting_not_waiting(event, live):
    from live.models import Health
    from live.workers.ingest_health import write_health

    now = timezone.now()
    # Host a wrote segments until 20 s ago; host b's folder for it is still empty.
    Broadcast.objects.filter(pk=live.pk).update(
        health=Health.RECEIVING, last_segment_at=now - timedelta(seconds=20)
    )
    write_health(Broadcast.objects.get(pk=live.pk), now)

    broadcast = Broadcast.objects.get(pk=live.pk)
    assert broadcast.health == Health.STALLED
    assert broadcast.stalled_since is not None and broadcast.stopped_at is None
