"""GET /events/<id>/live-view/state: the partial the viewer page polls."""

import time

from django.test import Client

from live.models import Source
from live.services.lifecycle import start_broadcast, stop_broadcast
from live.services.tokens import mint_viewer_token
from tests.live.pages.htmx_client import HtmxClient

STATE = "/events/open-2026/live-view/state"
STOP_POLLING = 286


def poll(token, shown="live"):
    return HtmxClient().get(STATE, {"token": token, "shown": shown}, htmx=True)


def poll_event(event_id, token):
    return Client().get(f"/events/{event_id}/live-view/state", {"token": token, "shown": "live"})


def test_it_answers_204_while_still_live(event, on_air, viewer_token):
    response = poll(viewer_token, shown="live")

    assert response.status_code == 204
    assert response.content == b""
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_it_sends_the_player_when_the_page_showed_something_else(event, on_air, viewer_token):
    response = poll(viewer_token, shown="expired")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="viewer-state"' in html
    assert '<video id="live-video" data-hls-src="/hls/' in html
    assert "Unmute" in html
    assert "shown=live" in html  # the new partial keeps polling


def test_it_sends_the_player_when_nothing_was_shown_yet(event, on_air, viewer_token):
    response = HtmxClient().get(STATE, {"token": viewer_token}, htmx=True)

    assert response.status_code == 200
    assert "<video" in response.content.decode()


def test_it_stops_polling_with_ended_after_stop(event, on_air, viewer_token):
    stop_broadcast(event, "staff:marshal")

    response = poll(viewer_token)

    assert response.status_code == STOP_POLLING
    html = response.content.decode()
    assert "This broadcast has ended" in html
    assert "<video" not in html
    assert "hx-get" not in html
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_it_stops_polling_with_ended_when_a_new_broadcast_replaced_it(event, on_air, viewer_token):
    stop_broadcast(event, "staff:marshal")
    start_broadcast(event, Source.MOCK, "staff:marshal")

    response = poll(viewer_token)

    assert response.status_code == STOP_POLLING
    assert "This broadcast has ended" in response.content.decode()
    assert "<video" not in response.content.decode()


def test_it_stops_polling_with_expired_when_the_link_runs_out(event, on_air):
    token = mint_viewer_token(event.pk, on_air.pk, 60, now=time.time() - 120)[0]

    response = poll(token)

    assert response.status_code == STOP_POLLING
    html = response.content.decode()
    assert "This link has expired" in html
    assert "<video" not in html


def test_it_stops_polling_for_a_forged_token(event, on_air, viewer_token):
    response = poll(viewer_token[:-2] + "zz")

    assert response.status_code == STOP_POLLING
    assert "This link is not valid" in response.content.decode()
    assert "<video" not in response.content.decode()


def test_it_works_without_htmx_headers_too(event, on_air, viewer_token):
    response = Client().get(STATE, {"token": viewer_token, "shown": "live"})

    assert response.status_code == 204


def test_it_answers_an_unknown_event_with_404(event, on_air, viewer_token):
    response = poll_event("no-such-event", viewer_token)

    assert response.status_code == 404
