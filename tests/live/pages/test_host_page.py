"""GET /events/<id>/live-host: the staff console."""

import re

from django.test import Client

from live.services.lifecycle import start_broadcast, stop_broadcast
from live.services.viewer_links import mint_viewer_link
from live.services.viewers import join_viewer

HOST = "/events/open-2026/live-host"


def test_it_sends_anonymous_visitors_to_the_login_page(event):
    response = Client().get(HOST)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={HOST}"


def test_it_refuses_a_logged_in_fan_with_a_readable_page(fan_client, event):
    response = fan_client.get(HOST)

    assert response.status_code == 403
    html = response.content.decode()
    assert "Not allowed" in html
    assert "The host page is for staff only." in html
    assert "Traceback" not in html


def test_it_shows_the_idle_console_to_staff(staff_client, event):
    response = staff_client.get(HOST)

    assert response.status_code == 200
    html = response.content.decode()
    assert "The Open 2026, 1st tee" in html
    assert "Idle" in html
    assert 'action="/events/open-2026/live-host/start"' in html
    assert "Start Main camera" in html
    assert 'name="confirm"' not in html  # no Stop form while idle


def test_it_offers_the_builtin_whip_ingest_without_livekit(staff_client, event, settings):
    settings.LIVEKIT_WHIP_URL = ""

    response = staff_client.get(HOST)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<select name="source"' in html
    assert '<option value="mock">Mock (looped test fixture)</option>' in html
    assert '<option value="livekit">WebRTC (WHIP)</option>' in html


def test_it_offers_livekit_when_the_whip_url_is_set(staff_client, event, settings):
    settings.LIVEKIT_WHIP_URL = "https://livekit.example.test/whip"

    response = staff_client.get(HOST)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<option value="mock">' in html
    assert '<option value="livekit">LiveKit (WHIP ingest)</option>' in html


def test_it_shows_the_stop_form_and_a_preview_while_live(staff_client, event, on_air):
    response = staff_client.get(HOST)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Live" in html
    assert 'name="confirm"' in html
    assert "Stop Main camera" in html
    assert "Start Main camera" not in html
    assert re.search(r'<video class="preview" data-hls-src="/hls/[^"]+/index\.m3u8"', html)


def test_it_answers_an_unknown_event_with_a_404_page(staff_client):
    response = staff_client.get("/events/no-such-event/live-host")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Not found" in html
    assert "<html" in html


def test_it_forbids_caching_and_cross_origin_referrers(staff_client, event):
    response = staff_client.get(HOST)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    # Not no-referrer: that makes Chromium post "Origin: null", which fails CSRF
    # (see live.views.token_in_url). same-origin still keeps the signed preview
    # URL away from other sites.
    assert response["Referrer-Policy"] == "same-origin"


def test_it_refuses_a_post_to_the_page_itself(staff_client, event):
    response = staff_client.post(HOST)

    assert response.status_code == 405


def test_a_card_names_the_media_host_serving_its_camera(staff_client, event, on_air):
    from datetime import timedelta

    from django.utils import timezone

    from live.models import PackagerLease

    url = f"/events/{event.pk}/live-host"
    assert "Media host" not in staff_client.get(url).content.decode()  # one box: no row

    now = timezone.now()
    PackagerLease.objects.create(
        broadcast=on_air, owner="b", media_host="/media/b", renewed_at=now,
        expires_at=now + timedelta(seconds=10),
    )  # fmt: skip
    html = staff_client.get(url).content.decode()
    assert '<dt>Media host</dt><dd data-testid="media-host">/media/b</dd>' in html
    assert 'src="/media/b/hls/' in html or 'data-hls-src="/media/b/hls/' in html  # the preview


def test_the_links_table_counts_a_links_viewers_after_the_broadcast(staff_client, event):
    """Two pages watched through a link; after Stop nobody watches, and the table still
    says the link was used and by how many (not "Not used yet")."""
    broadcast, _ = start_broadcast(event, "mock", "test")
    _, _, link = mint_viewer_link(broadcast, 600, "test")
    _, _, unused = mint_viewer_link(broadcast, 600, "test")
    join_viewer(broadcast, "page-a", link=link)
    join_viewer(broadcast, "page-b", link=link)

    def row(html, pk):
        cells = re.search(rf'data-testid="link-{pk}">(.*?)</tr>', html, re.S)[1]
        return {
            "watching": re.search(r'data-testid="watching-now">(\d+)<', cells)[1],
            "so_far": re.search(r'data-testid="viewers-so-far">(\d+)<', cells)[1],
            "state": "Used" if ">Used<" in cells else "other",
            "unused": "Not used yet" in cells,
        }

    live_row = row(staff_client.get(HOST).content.decode(), link.pk)
    assert (live_row["watching"], live_row["so_far"]) == ("2", "2")

    stop_broadcast(event, "test")
    html = staff_client.get(HOST).content.decode()
    assert "1 so far" not in html and "2</span> so far" in html
    ended = row(html, link.pk)
    assert (ended["watching"], ended["so_far"], ended["state"]) == ("0", "2", "Used")
    assert not ended["unused"]
    assert row(html, unused.pk)["unused"]
