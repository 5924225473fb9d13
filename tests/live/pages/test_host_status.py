"""GET /events/<id>/live-host/status: the polled status card."""

import re
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from live.models import Broadcast, Viewer
from live.services.lifecycle import stop_broadcast
from live.services.viewers import join_viewer

STATUS = "/events/open-2026/live-host/status"


def viewer_count_shown(response):
    return int(re.search(r'data-testid="viewer-count">(\d+)<', response.content.decode())[1])


def test_it_shows_idle_before_the_broadcast(staff_htmx, event):
    response = staff_htmx.get(STATUS, htmx=True)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>Idle</strong>" in html
    assert "<strong>Live</strong>" not in html
    assert "<html" not in html
    assert viewer_count_shown(response) == 0


def test_it_shows_live_with_the_source_label(staff_htmx, event, on_air):
    response = staff_htmx.get(STATUS, htmx=True)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>Live</strong>" in html
    assert "Idle" not in html
    assert "Mock (looped test fixture)" in html
    assert "Playing the test fixture" in html


def test_it_shows_how_long_the_broadcast_has_run(staff_htmx, event, on_air):
    Broadcast.objects.filter(pk=on_air.pk).update(
        started_at=timezone.now() - timedelta(hours=1, minutes=2, seconds=5)
    )

    response = staff_htmx.get(STATUS, htmx=True)

    assert response.status_code == 200
    shown = re.search(r'data-testid="uptime">(\d+):(\d\d):(\d\d)<', response.content.decode())
    hours, minutes, seconds = (int(part) for part in shown.groups())
    assert (hours, minutes) == (1, 2)
    assert 5 <= seconds <= 10


def test_it_counts_the_viewers_of_the_live_broadcast(staff_htmx, event, on_air):
    join_viewer(on_air, "viewer-one-0001", "Firefox")
    join_viewer(on_air, "viewer-two-0002", "Safari")
    join_viewer(on_air, "viewer-two-0002", "Safari")  # the same page view again

    response = staff_htmx.get(STATUS, htmx=True)

    assert response.status_code == 200
    assert viewer_count_shown(response) == 2
    assert Viewer.objects.filter(broadcast=on_air).count() == 2


def test_it_goes_back_to_idle_and_zero_viewers_after_stop(staff_htmx, event, on_air):
    join_viewer(on_air, "viewer-one-0001", "Firefox")
    stop_broadcast(event, "staff:marshal")

    response = staff_htmx.get(STATUS, htmx=True)

    assert response.status_code == 200
    assert "Idle" in response.content.decode()
    assert viewer_count_shown(response) == 0
    assert Viewer.objects.count() == 1  # kept: unique viewers after the stop


def test_the_host_page_polls_the_status_and_listens_for_changes(staff_client, event):
    html = staff_client.get("/events/open-2026/live-host").content.decode()

    assert f'hx-get="{STATUS}"' in html
    assert "live-changed from:body" in html


def test_it_forbids_caching_the_status(staff_htmx, event, on_air):
    response = staff_htmx.get(STATUS, htmx=True)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_it_refuses_the_status_to_fans(fan_client, event, on_air):
    response = fan_client.get(STATUS)

    assert response.status_code == 403
    assert "Mock (looped test fixture)" not in response.content.decode()


def test_it_sends_anonymous_status_requests_to_login(event):
    response = Client().get(STATUS)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_it_answers_the_status_of_an_unknown_event_with_404(staff_client):
    response = staff_client.get("/events/no-such-event/live-host/status")

    assert response.status_code == 404
