"""GET /events/<id>/live-view?token=: the public viewer page."""

import re
import time

import pytest
from django.conf import settings
from django.test import Client

from live.models import Source
from live.services.lifecycle import start_broadcast, stop_broadcast
from live.services.media import media_secret
from live.services.tokens import mint_viewer_token

VIEW = "/events/open-2026/live-view"


def open_viewer(token=None):
    return Client().get(VIEW, {"token": token} if token is not None else {})


def html_of(response):
    return response.content.decode()


def test_it_plays_the_live_broadcast_for_a_valid_token(event, on_air, viewer_token):
    response = open_viewer(viewer_token)

    assert response.status_code == 200
    html = html_of(response)
    assert "The Open 2026, 1st tee" in html
    video = re.search(r"<video [^>]*>", html)[0]
    assert re.search(rf'data-hls-src="/hls/[^/"]+/\d+/{on_air.stream_name}/index\.m3u8"', video)
    assert "muted" in video
    assert 'data-unmute="#live-video">Unmute</button>' in html
    assert "<strong>Live</strong>" in html


def test_it_polls_the_state_partial(event, on_air, viewer_token):
    response = open_viewer(viewer_token)

    assert response.status_code == 200
    html = html_of(response)
    assert f'hx-get="/events/open-2026/live-view/state?token={viewer_token}&amp;' in html
    assert "&amp;camera=main&amp;" in html
    assert "&amp;shown=live" in html
    # ...and at once when the player loses its media (it may have moved host).
    assert re.search(r'hx-trigger="every \d+s, teecam:media-lost from:document"', html)


def test_it_hands_the_player_what_it_needs_to_report_a_join(event, on_air, viewer_token):
    response = open_viewer(viewer_token)

    assert response.status_code == 200
    html = html_of(response)
    assert 'data-join-url="/events/open-2026/live-view/join"' in html
    assert f'data-token="{viewer_token}"' in html
    assert re.search(r'data-viewer-id="[0-9a-f]{24}"', html)


def test_it_says_the_link_is_incomplete_without_a_token(event, on_air):
    response = open_viewer()

    assert response.status_code == 400
    html = html_of(response)
    assert "This link is incomplete" in html
    assert "<video" not in html


def test_it_says_the_link_is_incomplete_with_an_empty_token(event, on_air):
    response = open_viewer("")

    assert response.status_code == 400
    assert "This link is incomplete" in html_of(response)


@pytest.mark.parametrize("token", ["nonsense", "1.2.abc", "x" * 200, "1.99999999999.<script>"])
def test_it_says_a_damaged_link_is_not_valid(event, on_air, token):
    response = open_viewer(token)

    assert response.status_code == 400
    html = html_of(response)
    assert "This link is not valid" in html
    assert "The viewer link is damaged." in html
    assert "<video" not in html
    assert "<script>" not in html.split("<body", 1)[1]


def test_it_refuses_a_token_with_a_wrong_signature(event, on_air, viewer_token):
    tampered = viewer_token[:-1] + ("A" if viewer_token[-1] != "A" else "B")

    response = open_viewer(tampered)

    assert response.status_code == 403
    html = html_of(response)
    assert "The viewer link is not valid for this event." in html
    assert "<video" not in html


def test_it_refuses_another_events_token(event, other_event, on_air):
    other_broadcast, _ = start_broadcast(other_event, Source.MOCK, "staff:marshal")
    token = mint_viewer_token(other_event.pk, other_broadcast.pk, 3600)[0]

    response = open_viewer(token)

    assert response.status_code == 403
    assert "<video" not in html_of(response)
    assert Client().get("/events/other-cup/live-view", {"token": token}).status_code == 200


def test_it_says_an_expired_link_has_expired(event, on_air):
    token = mint_viewer_token(event.pk, on_air.pk, 900, now=time.time() - 3600)[0]

    response = open_viewer(token)

    assert response.status_code == 410
    html = html_of(response)
    assert "This link has expired" in html
    assert "Ask the organiser for a new viewer link." in html
    assert "<video" not in html


def test_it_shows_ended_when_the_broadcast_stops(event, on_air, viewer_token):
    stop_broadcast(event, "staff:marshal")

    response = open_viewer(viewer_token)

    assert response.status_code == 410
    html = html_of(response)
    assert "This broadcast has ended" in html
    assert "Thanks for watching." in html
    assert "<video" not in html
    assert "hx-get" not in html  # nothing left to poll for


def test_an_old_link_stays_ended_when_a_new_broadcast_starts(event, on_air, viewer_token):
    stop_broadcast(event, "staff:marshal")
    start_broadcast(event, Source.MOCK, "staff:marshal")

    response = open_viewer(viewer_token)

    assert response.status_code == 410
    assert "This broadcast has ended" in html_of(response)
    assert "<video" not in html_of(response)


def test_it_shows_ended_for_a_valid_token_when_nothing_is_live(event, on_air, viewer_token):
    on_air.delete()

    response = open_viewer(viewer_token)

    assert response.status_code == 410
    assert "This broadcast has ended" in html_of(response)


def test_it_answers_an_unknown_event_with_404(event, on_air, viewer_token):
    response = Client().get("/events/no-such-event/live-view", {"token": viewer_token})

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "Not found" in html_of(response)
    assert "<video" not in html_of(response)


def _expired(event, broadcast):
    return mint_viewer_token(event.pk, broadcast.pk, 900, now=time.time() - 3600)[0]


@pytest.mark.parametrize(
    "make_token, status",
    [
        (lambda event, broadcast: mint_viewer_token(event.pk, broadcast.pk, 3600)[0], 200),
        (lambda event, broadcast: None, 400),
        (lambda event, broadcast: "garbage", 400),
        (lambda event, broadcast: mint_viewer_token("other", broadcast.pk, 3600)[0], 403),
        (_expired, 410),
    ],
    ids=["live", "missing", "malformed", "invalid", "expired"],
)
def test_no_viewer_answer_is_cached_or_leaks_the_token(event, on_air, make_token, status):
    response = open_viewer(make_token(event, on_air))

    assert response.status_code == status
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert '<meta name="referrer" content="no-referrer">' in html_of(response)


def test_the_page_holds_no_server_secret(event, on_air, viewer_token, admin_key):
    response = open_viewer(viewer_token)

    assert response.status_code == 200
    html = html_of(response)
    assert admin_key not in html
    assert settings.LIVE_VIEWER_SIGN_KEY not in html
    assert media_secret() not in html
    assert settings.SECRET_KEY not in html


def test_the_page_needs_no_login_and_offers_no_staff_links(event, on_air, viewer_token):
    response = open_viewer(viewer_token)

    assert response.status_code == 200
    html = html_of(response)
    assert "/admin/" not in html
    assert "live-host" not in html
