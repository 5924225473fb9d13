"""The Django admin for staff superusers: changelists, stream actions, API keys."""

import hashlib
import re
from html import unescape

import pytest

from live.models import ApiKey, AuditEntry, Broadcast, Viewer
from live.services.lifecycle import live_broadcast
from live.services.viewers import join_viewer


@pytest.mark.parametrize("model", ["event", "broadcast", "viewer", "apikey", "auditentry"])
def test_a_superuser_can_open_every_changelist(admin_client, event, on_air, admin_key, model):
    join_viewer(on_air, "viewer-one-0001", "Firefox")

    response = admin_client.get(f"/admin/live/{model}/")

    assert response.status_code == 200
    assert "Select" in response.content.decode()
    assert Viewer.objects.count() == 1
    assert AuditEntry.objects.count() == 1


def test_the_broadcast_page_lists_its_viewers(admin_client, event, on_air):
    join_viewer(on_air, "viewer-one-0001", "Firefox")

    response = admin_client.get(f"/admin/live/broadcast/{on_air.pk}/change/")

    assert response.status_code == 200
    assert "viewer-one-0001" in response.content.decode()


def test_the_event_changelist_links_to_each_host_page(admin_client, event, other_event):
    response = admin_client.get("/admin/live/event/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<a href="/events/open-2026/live-host">Open host page</a>' in html
    assert '<a href="/events/other-cup/live-host">Open host page</a>' in html


def test_the_event_changelist_shows_which_stream_is_live(admin_client, event, other_event, on_air):
    response = admin_client.get("/admin/live/event/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "live (mock)" in html
    assert "idle" in html


def run_action(admin_client, action, *events):
    return admin_client.post(
        "/admin/live/event/",
        {"action": action, "_selected_action": [e.pk for e in events]},
        follow=True,
    )


def test_the_start_action_starts_a_mock_stream(admin_client, admin_user, event, other_event):
    response = run_action(admin_client, "start_mock_stream", event, other_event)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Open-2026: started." in html
    assert "Other-cup: started." in html
    broadcast = live_broadcast(event.pk)
    assert broadcast.source == "mock"
    assert broadcast.started_by == f"staff:{admin_user.username}"
    assert live_broadcast(other_event.pk) is not None


def test_the_start_action_leaves_a_live_stream_alone(admin_client, event, on_air):
    response = run_action(admin_client, "start_mock_stream", event)

    assert response.status_code == 200
    assert "Open-2026: was already live." in response.content.decode()
    assert Broadcast.objects.filter(event=event).count() == 1


def test_the_start_action_reports_a_source_conflict(admin_client, event, settings):
    from live.services.lifecycle import start_broadcast

    settings.LIVEKIT_WHIP_URL = "https://livekit.example.test/whip"
    start_broadcast(event, "livekit", "staff:marshal")

    response = run_action(admin_client, "start_mock_stream", event)

    assert response.status_code == 200
    assert "Open-2026: The camera is already live" in unescape(response.content.decode())
    assert live_broadcast(event.pk).source == "livekit"


def test_the_stop_action_stops_the_stream(admin_client, admin_user, event, on_air):
    response = run_action(admin_client, "stop_stream", event)

    assert response.status_code == 200
    assert "Open-2026: stopped." in response.content.decode()
    on_air.refresh_from_db()
    assert not on_air.is_live
    assert on_air.stopped_by == f"staff:{admin_user.username}"


def test_the_stop_action_says_when_nothing_was_live(admin_client, event):
    response = run_action(admin_client, "stop_stream", event)

    assert response.status_code == 200
    assert "Open-2026: was not live." in response.content.decode()
    assert not Broadcast.objects.exists()


def test_adding_an_api_key_shows_the_raw_key_once_and_stores_its_hash(admin_client):
    response = admin_client.post(
        "/admin/live/apikey/add/",
        {"name": "scoreboard", "is_admin": "on", "is_active": "on"},
        follow=True,
    )

    assert response.status_code == 200
    html = unescape(response.content.decode())
    shown = re.search(r"Copy it now, it will not be shown again: (tc_[a-z0-9]{12}_[\w-]+)", html)
    assert shown, html
    raw = shown[1]
    key = ApiKey.objects.get()
    assert key.name == "scoreboard"
    assert key.is_admin and key.is_active
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(f"tc_{key.prefix}_")
    assert raw not in {key.name, key.prefix, key.key_hash}

    again = admin_client.get("/admin/live/apikey/")
    assert again.status_code == 200
    assert raw not in again.content.decode()


def test_the_added_api_key_works_on_the_api(admin_client, event):
    from rest_framework.test import APIClient

    response = admin_client.post(
        "/admin/live/apikey/add/",
        {"name": "ops", "is_admin": "on", "is_active": "on"},
        follow=True,
    )
    raw = re.search(r"shown again: (tc_[a-z0-9]{12}_[\w-]+)", unescape(response.content.decode()))[
        1
    ]
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=raw)

    status = api.get("/events/open-2026/live/status")

    assert status.status_code == 200


def test_adding_an_inactive_api_key_keeps_it_inactive(admin_client):
    response = admin_client.post("/admin/live/apikey/add/", {"name": "spare"}, follow=True)

    assert response.status_code == 200
    key = ApiKey.objects.get()
    assert not key.is_active
    assert not key.is_admin


def test_the_api_key_form_never_asks_for_the_hash(admin_client):
    response = admin_client.get("/admin/live/apikey/add/")

    assert response.status_code == 200
    assert 'name="key_hash"' not in response.content.decode()
    assert not ApiKey.objects.exists()


def test_staff_without_permissions_cannot_run_the_actions(staff_client, event):
    response = staff_client.post(
        "/admin/live/event/", {"action": "start_mock_stream", "_selected_action": [event.pk]}
    )

    assert response.status_code == 403
    assert not Broadcast.objects.exists()


def test_editing_an_api_key_keeps_its_hash(admin_client, admin_key):
    key = ApiKey.objects.get()
    old_hash, old_prefix = key.key_hash, key.prefix

    response = admin_client.post(
        f"/admin/live/apikey/{key.pk}/change/", {"name": "ops renamed", "is_admin": "on"}
    )

    assert response.status_code == 302
    key.refresh_from_db()
    assert key.name == "ops renamed"
    assert not key.is_active
    assert (key.key_hash, key.prefix) == (old_hash, old_prefix)
    assert ApiKey.objects.count() == 1
