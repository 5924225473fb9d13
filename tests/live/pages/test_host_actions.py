"""The host console's POSTs: start, stop and mint a viewer link.

Each action works as a plain form post (JavaScript off: the whole page comes
back) and as an HTMX post (only the console partial, plus a live-changed event).
"""

import re
from html import unescape

from django.test import Client

from live.models import Broadcast, ViewerLink
from live.services.lifecycle import live_broadcast
from live.services.tokens import read_viewer_token

START = "/events/open-2026/live-host/start"
STOP = "/events/open-2026/live-host/stop"
LINK = "/events/open-2026/live-host/link"


def text(response):
    return unescape(response.content.decode())


def assert_htmx_partial(response):
    html = response.content.decode()
    assert "<html" not in html
    assert "<body" not in html
    assert "live-changed" in response["HX-Trigger"]


# Start


def test_it_starts_the_broadcast_from_a_plain_form(staff_client, event):
    response = staff_client.post(START, {"source": "mock"})

    assert response.status_code == 200
    html = text(response)
    assert "<html" in html
    assert "Main camera is live." in html
    assert "Stop Main camera" in html
    broadcast = Broadcast.objects.get(event=event)
    assert broadcast.is_live
    assert broadcast.source == "mock"
    assert broadcast.started_by == "staff:marshal"


def test_it_starts_the_broadcast_from_htmx_with_only_the_console(staff_htmx, event):
    response = staff_htmx.post(START, {"source": "mock"}, htmx=True)

    assert response.status_code == 200
    assert_htmx_partial(response)
    assert "Main camera is live." in text(response)
    assert Broadcast.objects.get(event=event).started_by == "staff:marshal"


def test_it_answers_a_plain_post_without_the_htmx_trigger(staff_client, event):
    response = staff_client.post(START, {"source": "mock"})

    assert response.status_code == 200
    assert "HX-Trigger" not in response
    assert live_broadcast(event.pk) is not None


def test_it_refuses_an_unknown_source(staff_client, event):
    response = staff_client.post(START, {"source": "webcam"})

    assert response.status_code == 400
    html = text(response)
    assert 'role="alert"' in html
    assert "Select a valid choice. webcam is not one of the available choices." in html
    assert not Broadcast.objects.exists()


def test_it_refuses_a_missing_source(staff_htmx, event):
    response = staff_htmx.post(START, {}, htmx=True)

    assert response.status_code == 400
    assert_htmx_partial(response)
    assert "This field is required." in text(response)
    assert not Broadcast.objects.exists()


def test_it_starts_livekit_on_the_builtin_whip_ingest_without_a_whip_url(
    staff_client, event, settings
):
    settings.LIVEKIT_WHIP_URL = ""

    response = staff_client.post(START, {"source": "livekit"})

    assert response.status_code == 200
    broadcast = Broadcast.objects.get()
    assert broadcast.source == "livekit" and broadcast.stopped_at is None
    html = text(response)
    assert "WebRTC (WHIP)" in html
    assert f"/whip/{broadcast.camera.ingest_name}" in html
    # The bearer token (the stream key) is a masked field, never in the URL.
    raw = response.content.decode()
    token_field = raw[raw.index('id="ingest-main-bearerToken"') :].split(">", 1)[0]
    assert 'type="password"' in token_field
    assert f'value="{broadcast.camera.stream_key}"' in token_field


def test_it_refuses_another_source_while_live(staff_client, event, on_air, settings):
    settings.LIVEKIT_WHIP_URL = "https://livekit.example.test/whip"

    response = staff_client.post(START, {"source": "livekit"})

    assert response.status_code == 409
    html = text(response)
    assert "The camera is already live with the 'mock' source" in html
    assert "stop it before starting another source" in html
    assert Broadcast.objects.filter(event=event).count() == 1
    assert live_broadcast(event.pk).source == "mock"


def test_it_treats_a_second_start_with_the_same_source_as_done(staff_client, event, on_air):
    response = staff_client.post(START, {"source": "mock"})

    assert response.status_code == 200
    assert "Main camera is live." in text(response)
    assert Broadcast.objects.filter(event=event).count() == 1


# Stop


def test_it_keeps_the_broadcast_live_without_the_confirm_box(staff_client, event, on_air):
    response = staff_client.post(STOP, {})

    assert response.status_code == 400
    html = text(response)
    assert "Tick the box to confirm that the broadcast should end." in html
    on_air.refresh_from_db()
    assert on_air.is_live


def test_it_asks_for_the_confirm_box_over_htmx_too(staff_htmx, event, on_air):
    response = staff_htmx.post(STOP, {}, htmx=True)

    assert response.status_code == 400
    assert_htmx_partial(response)
    assert "Tick the box to confirm" in text(response)
    on_air.refresh_from_db()
    assert on_air.is_live


def test_it_stops_the_broadcast_when_confirmed(staff_client, event, on_air):
    response = staff_client.post(STOP, {"confirm": "on"})

    assert response.status_code == 200
    html = text(response)
    assert "<html" in html
    assert "Main camera: the broadcast has ended." in html
    assert "Start Main camera" in html
    on_air.refresh_from_db()
    assert not on_air.is_live
    assert on_air.stopped_by == "staff:marshal"


def test_it_stops_the_broadcast_from_htmx(staff_htmx, event, on_air):
    response = staff_htmx.post(STOP, {"confirm": "on"}, htmx=True)

    assert response.status_code == 200
    assert_htmx_partial(response)
    assert "Main camera: the broadcast has ended." in text(response)
    assert live_broadcast(event.pk) is None


def test_it_says_so_when_stopping_an_idle_event(staff_client, event):
    response = staff_client.post(STOP, {"confirm": "on"})

    assert response.status_code == 200
    assert "Main camera: the broadcast was not live." in text(response)
    assert not Broadcast.objects.exists()


# Viewer link


def test_it_mints_a_viewer_link_while_idle_to_send_ahead(staff_client, event):
    response = staff_client.post(LINK, {"ttl": "3600"})

    assert response.status_code == 200
    html = text(response)
    assert 'id="viewer-link"' in html
    assert ViewerLink.objects.filter(event=event).count() == 1
    assert not Broadcast.objects.exists()  # minting starts nothing


def test_it_mints_a_camera_link_while_idle_over_htmx(staff_htmx, event):
    response = staff_htmx.post(LINK, {"ttl": "900", "scope": "main"}, htmx=True)

    assert response.status_code == 200
    assert_htmx_partial(response)
    assert "Viewer link for Main camera" in text(response)
    assert ViewerLink.objects.get(event=event).camera.slug == "main"


def test_it_shows_a_copyable_absolute_viewer_link(staff_client, event, on_air):
    response = staff_client.post(LINK, {"ttl": "3600"})

    assert response.status_code == 200
    html = text(response)
    match = re.search(
        r'<input id="viewer-link" type="text" readonly '
        r'value="(http://testserver/events/open-2026/live-view\?token=([^"]+))" data-focus>',
        html,
    )
    assert match, html
    assert "Copy link" in html
    assert 'data-copy-target="#viewer-link"' in html
    claims = read_viewer_token(match[2], event.pk)
    assert claims.broadcast_id == on_air.pk
    assert f"{claims.expires_at:%H:%M} UTC</time>)" in html  # the event's zone (UTC here)
    assert on_air.is_live


def test_it_mints_a_link_that_lives_as_long_as_chosen(staff_htmx, event, on_air):
    response = staff_htmx.post(LINK, {"ttl": "3600"}, htmx=True)

    assert response.status_code == 200
    assert_htmx_partial(response)
    token = re.search(r"live-view\?token=([^\"]+)\"", text(response))[1]
    claims = read_viewer_token(token, event.pk)
    lifetime = claims.expires - Broadcast.objects.get().started_at.timestamp()
    assert 3590 <= lifetime <= 3610


def test_the_link_opens_the_viewer_page(staff_client, event, on_air):
    response = staff_client.post(LINK, {"ttl": "900"})
    link = re.search(r'id="viewer-link" type="text" readonly value="([^"]+)"', text(response))[1]

    page = Client().get(link)

    assert page.status_code == 200
    assert "<video" in page.content.decode()


def test_it_refuses_a_lifetime_not_on_the_list(staff_client, event, on_air):
    response = staff_client.post(LINK, {"ttl": "5"})

    assert response.status_code == 400
    html = text(response)
    assert "Select a valid choice. 5 is not one of the available choices." in html
    assert 'id="viewer-link"' not in html


def test_it_refuses_a_lifetime_that_is_not_a_number(staff_htmx, event, on_air):
    response = staff_htmx.post(LINK, {"ttl": "abc"}, htmx=True)

    assert response.status_code == 400
    assert_htmx_partial(response)
    assert "abc is not one of the available choices" in text(response)
    assert 'id="viewer-link"' not in text(response)


# Who may post


def test_it_refuses_a_post_without_the_csrf_token(staff_user, event):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)

    response = client.post(START, {"source": "mock"})

    assert response.status_code == 403
    assert "CSRF" in response.content.decode()
    assert not Broadcast.objects.exists()


def test_it_accepts_a_post_with_the_csrf_token_from_the_page(staff_user, event):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    page = client.get("/events/open-2026/live-host").content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]

    response = client.post(START, {"source": "mock", "csrfmiddlewaretoken": csrf})

    assert response.status_code == 200
    assert live_broadcast(event.pk) is not None


def test_it_refuses_a_fan_who_posts_a_start(fan_client, event):
    response = fan_client.post(START, {"source": "mock"})

    assert response.status_code == 403
    assert "The host page is for staff only." in text(response)
    assert not Broadcast.objects.exists()


def test_it_refuses_a_fan_who_posts_a_stop(fan_client, event, on_air):
    response = fan_client.post(STOP, {"confirm": "on"})

    assert response.status_code == 403
    on_air.refresh_from_db()
    assert on_air.is_live


def test_it_refuses_a_fan_who_asks_for_a_viewer_link(fan_client, event, on_air):
    response = fan_client.post(LINK, {"ttl": "3600"})

    assert response.status_code == 403
    assert "live-view?token=" not in text(response)


def test_it_sends_an_anonymous_post_to_the_login_page(event):
    response = Client().post(START, {"source": "mock"})

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={START}"
    assert not Broadcast.objects.exists()


def test_it_answers_a_start_for_an_unknown_event_with_404(staff_client, event):
    response = staff_client.post("/events/no-such-event/live-host/start", {"source": "mock"})

    assert response.status_code == 404
    assert not Broadcast.objects.exists()


def test_the_actions_refuse_get(staff_client, event):
    for url in (START, STOP, LINK):
        assert staff_client.get(url).status_code == 405
    assert not Broadcast.objects.exists()
