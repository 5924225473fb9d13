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


def poll(client, *shown, links=""):
    """The host page's poll, as htmx sends it: what each card shows now."""
    return client.get(STATUS, {"shown": list(shown), "shown_links": links}, htmx=True)


def test_it_sends_only_the_numbers_while_nothing_changed(staff_htmx, event):
    response = poll(staff_htmx, "main:idle:0")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<div id="camera-main-status" class="camera-status" hx-swap-oob="true">' in html
    assert "Not broadcasting" in html
    assert 'id="camera-main"' not in html  # the card itself stays as it is
    assert 'hx-swap-oob="innerHTML:#host-announce"' not in html  # nothing to announce
    assert "<html" not in html
    assert viewer_count_shown(response) == 0


def test_it_shows_live_with_the_source_label(staff_htmx, event, on_air):
    response = poll(staff_htmx, f"main:live:{on_air.pk}")

    html = response.content.decode()
    assert "Mock (looped test fixture)" in html
    assert "Playing the test fixture" in html


def test_it_shows_how_long_the_broadcast_has_run(staff_htmx, event, on_air):
    Broadcast.objects.filter(pk=on_air.pk).update(
        started_at=timezone.now() - timedelta(hours=1, minutes=2, seconds=5)
    )

    response = poll(staff_htmx, f"main:live:{on_air.pk}")

    shown = re.search(r'data-testid="uptime">(\d+):(\d\d):(\d\d)<', response.content.decode())
    hours, minutes, seconds = (int(part) for part in shown.groups())
    assert (hours, minutes) == (1, 2)
    assert 5 <= seconds <= 10


def test_it_counts_the_viewers_of_the_live_broadcast(staff_htmx, event, on_air):
    join_viewer(on_air, "viewer-one-0001", "Firefox")
    join_viewer(on_air, "viewer-two-0002", "Safari")
    join_viewer(on_air, "viewer-two-0002", "Safari")  # the same page view again

    response = poll(staff_htmx, f"main:live:{on_air.pk}")

    assert viewer_count_shown(response) == 2
    assert Viewer.objects.filter(broadcast=on_air).count() == 2


def test_a_stop_elsewhere_redraws_the_whole_card_and_is_announced(staff_htmx, event, on_air):
    join_viewer(on_air, "viewer-one-0001", "Firefox")
    stop_broadcast(event, "packager:camera-lost")  # the automatic stop

    response = poll(staff_htmx, f"main:live:{on_air.pk}")

    html = response.content.decode()
    card = html[html.index('id="camera-main"') :]
    assert 'hx-swap-oob="true"' in html[: html.index('id="camera-main"') + 200]
    assert "Ended" in card and "did not come back" in card
    assert "Stop Main camera" not in card and "Start Main camera" in card
    assert 'hx-swap-oob="innerHTML:#host-announce">Main camera: Ended.' in html
    assert viewer_count_shown(response) == 0
    assert Viewer.objects.count() == 1  # kept: unique viewers after the stop


def test_a_start_elsewhere_shows_waiting_not_live_for_a_camera(staff_htmx, event):
    from live.services.lifecycle import start_broadcast

    broadcast, _ = start_broadcast(event, "rtmp", "key:ops")

    html = poll(staff_htmx, "main:idle:0").content.decode()

    assert "Waiting for the camera" in html
    assert 'data-testid="state"><span class="dot" aria-hidden="true"></span> Live' not in html
    assert "Stop Main camera" in html


def test_a_camera_added_elsewhere_redraws_the_console(staff_htmx, event):
    from live.services.cameras import create_camera

    create_camera(event, "tee-2", "2nd tee")

    response = poll(staff_htmx, "main:idle:0")

    assert response["HX-Retarget"] == "#host-console"
    assert 'id="camera-tee-2"' in response.content.decode()


def test_the_links_table_is_sent_only_when_it_changed(staff_htmx, event, on_air):
    first = poll(staff_htmx, f"main:live:{on_air.pk}").content.decode()
    signature = re.search(r'name="shown_links" value="([0-9a-f]+)"', first)[1]

    again = poll(staff_htmx, f"main:live:{on_air.pk}", links=signature).content.decode()

    assert 'id="host-links"' in first and 'id="host-links"' not in again


def test_the_host_page_polls_once_with_what_it_shows(staff_client, event):
    html = staff_client.get("/events/open-2026/live-host").content.decode()

    assert f'hx-get="{STATUS}"' in html
    assert 'hx-include="#host-console [data-shown]"' in html
    assert 'name="shown" value="main:idle:0" data-shown' in html


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


def test_the_card_draws_watching_now_bitrate_and_frame_rate_over_the_broadcast(
    staff_htmx, event, on_air
):
    from live.models import BroadcastSample

    now = timezone.now()
    for step, (watching, bitrate) in enumerate([(0, 300), (2, 310), (5, 290)]):
        BroadcastSample.objects.create(
            broadcast=on_air, at=now + timedelta(seconds=10 * step), watching=watching,
            bitrate_kbps=bitrate, fps=30,
        )  # fmt: skip
    join_viewer(on_air, "viewer-one-0001", "Firefox")

    html = poll(staff_htmx, f"main:live:{on_air.pk}").content.decode()

    assert html.count("<svg") == 3 and html.count('role="img"') == 3
    assert "Watching now" in html and "Ingest bitrate (kb/s)" in html
    assert 'data-testid="audience">1 unique, peak 1 at once' in html
