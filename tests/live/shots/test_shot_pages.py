"""Shots on pages: the marshal's tap, the viewer page's Shots view and its poll, a
shot's share page (viewer link rules, or public with Open Graph tags), the embed."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from live.models import Event, Shot
from live.services.shots import record_shot
from live.services.tokens import mint_viewer_token, scope_for
from live.services.viewer_links import mint_viewer_link, revoke_viewer_link
from live.workers.clip_cutter import cut_pending_clips
from tests.live.pages.htmx_client import HtmxClient


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def ready_shot(camera, seconds_ago=20, **fields):
    shot = record_shot(camera, timezone.now() - timedelta(seconds=seconds_ago), source="api",
                       **fields)  # fmt: skip
    assert cut_pending_clips() == 1
    shot.refresh_from_db()
    assert shot.ready_at is not None
    return shot


def test_a_tap_makes_a_marshal_shot_a_second_before_it(staff_user, event, live_mock):
    client = HtmxClient()
    client.force_login(staff_user)
    before = timezone.now()
    answer = client.post(
        f"/events/{event.pk}/live-host/shot",
        {"camera": "main", "player": "Ana", "hole": "4"},
        htmx=True,
    )
    assert answer.status_code == 201, answer.content
    assert "Ana" in answer.content.decode() and "saved" in answer.content.decode()
    shot = Shot.objects.get()
    assert shot.source == "marshal" and (shot.player, shot.hole) == ("Ana", 4)
    second = timedelta(seconds=1)  # LIVE_SHOT_TAP_LAG_SECONDS
    assert before - second <= shot.at <= timezone.now() - second


def test_a_tap_after_the_microphone_heard_the_strike_names_that_shot(staff_user, event, live_mock):
    heard = record_shot(live_mock.camera, timezone.now() - timedelta(seconds=2), source="audio")
    client = HtmxClient()
    client.force_login(staff_user)
    answer = client.post(
        f"/events/{event.pk}/live-host/shot",
        {"camera": "main", "player": "Ana", "hole": "4"},
        htmx=True,
    )
    assert answer.status_code == 201, answer.content
    assert "heard by the microphone" in answer.content.decode()
    (shot,) = Shot.objects.all()
    assert shot.pk == heard.pk and shot.at == heard.at and shot.source == "audio"
    assert (shot.player, shot.hole) == ("Ana", 4)


def test_a_bad_tap_says_why_and_makes_nothing(staff_user, event, live_mock):
    client = HtmxClient()
    client.force_login(staff_user)
    answer = client.post(
        f"/events/{event.pk}/live-host/shot", {"camera": "main", "hole": "0"}, htmx=True
    )
    assert answer.status_code == 400
    assert "error" in answer.content.decode()
    assert not Shot.objects.exists()


def test_the_viewer_page_lists_shots_filters_them_and_its_poll_adds_new_ones(
    event, live_mock, event_token
):
    camera = live_mock.camera
    ready_shot(camera, 40, player="Ana", hole=1)
    ready_shot(camera, 30, player="Ben", hole=2)
    page = Client().get(f"/events/{event.pk}/live-view", {"token": event_token})
    html = page.content.decode()
    assert page.status_code == 200 and 'id="shots"' in html
    listed = html[html.index('id="shot-list"') :]
    assert listed.index("Ben") < listed.index("Ana")  # newest first
    assert html.count('class="shot"') == 2

    filtered = Client().get(
        f"/events/{event.pk}/live-view/shots", {"token": event_token, "player": "ana"}
    )
    assert filtered.status_code == 200 and filtered.content.decode().count('class="shot"') == 1

    after = page.context["shots_view"]["after"]
    poll = {"token": event_token, "after": after}
    assert Client().get(f"/events/{event.pk}/live-view/shots", poll).status_code == 204
    newest = ready_shot(camera, 20, player="Cleo")
    added = Client().get(f"/events/{event.pk}/live-view/shots", poll)
    assert added.status_code == 200
    body = added.content.decode()
    assert f'id="shot-{newest.pk}"' in body and body.count('class="shot"') == 1
    assert 'hx-swap-oob="true"' in body


def test_a_filtered_poll_learns_new_players_and_holes_and_then_is_quiet(
    event, live_mock, event_token
):
    camera = live_mock.camera
    ready_shot(camera, 40, player="Ana", hole=1)
    view = (
        Client()
        .get(f"/events/{event.pk}/live-view", {"token": event_token, "player": "Ana"})
        .context["shots_view"]
    )
    poll = {"token": event_token, "player": "Ana", "after": view["after"]}
    assert Client().get(f"/events/{event.pk}/live-view/shots", poll).status_code == 204

    ready_shot(camera, 20, player="Cleo", hole=7)  # not Ana's: nothing goes on top
    added = Client().get(f"/events/{event.pk}/live-view/shots", poll)
    body = added.content.decode()
    assert added.status_code == 200 and 'class="shot"' not in body
    # The filter's choices, out of band, with Ana still chosen.
    assert '<select id="shots-player" name="player" hx-swap-oob="true">' in body
    assert '<option value="Cleo">Cleo</option>' in body
    assert '<option value="Ana" selected>Ana</option>' in body
    assert '<option value="7">7</option>' in body
    # The marker moved past Cleo's shot: the next poll is quiet again.
    poll["after"] = added.context["view"]["after"]
    assert Client().get(f"/events/{event.pk}/live-view/shots", poll).status_code == 204


def test_a_void_link_sees_no_shots_and_its_poll_stops(event, live_mock):
    ready_shot(live_mock.camera)
    page = Client().get(f"/events/{event.pk}/live-view", {"token": "nope"})
    assert 'id="shots"' not in page.content.decode()
    poll = Client().get(f"/events/{event.pk}/live-view/shots", {"token": "nope", "after": "0"})
    assert poll.status_code == 286


def test_the_share_page_follows_the_links_rules(event, live_mock, staff_user):
    shot = ready_shot(live_mock.camera, player="Ana", hole=9)
    token, _, link = mint_viewer_link(live_mock, 3600, "staff:marshal")
    url = f"/events/{event.pk}/shots/{shot.pk}"

    page = Client().get(url, {"token": token})
    html = page.content.decode()
    assert page.status_code == 200 and "Ana" in html and "clip.mp4" in html
    assert 'property="og:' not in html and page["Referrer-Policy"] == "no-referrer"
    assert Client().get(url, HTTP_ACCEPT="text/html").status_code == 403
    assert Client().get(url).status_code == 401  # no token, no key: the API's answer
    assert Client().get(url, {"token": token[:-2] + "xx"}).status_code == 403
    revoke_viewer_link(link, "staff:marshal")
    assert Client().get(url, {"token": token}).status_code == 403


def test_a_public_shot_page_has_open_graph_tags_and_a_camera_link_sees_its_camera_only(
    event, live_mock
):
    shot = ready_shot(live_mock.camera, player="Ana", hole=9)
    Event.objects.filter(pk=event.pk).update(public_shots=True)
    page = Client().get(f"/events/{event.pk}/shots/{shot.pk}", HTTP_ACCEPT="text/html")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'property="og:title" content="Ana · hole 9' in html
    assert 'property="og:image" content="http://testserver/hls/' in html
    assert 'property="og:video" content="http://testserver/hls/' in html

    other = event.cameras.create(slug="tee-2", name="Tee 2", ingest_name="x-tee-2",
                                 stream_key="k" * 24)  # fmt: skip
    Event.objects.filter(pk=event.pk).update(public_shots=False)
    camera_token = mint_viewer_token(event.pk, live_mock.pk, 600, scope=scope_for(other.pk))[0]
    answer = Client().get(f"/events/{event.pk}/shots/{shot.pk}", {"token": camera_token})
    assert answer.status_code == 404


def test_the_api_and_the_page_share_the_shot_path(client_api, event, live_mock, event_token):
    shot = ready_shot(live_mock.camera)
    url = f"/events/{event.pk}/shots/{shot.pk}"
    assert client_api.get(url).json()["id"] == shot.pk
    page = Client().get(url, {"token": event_token}, HTTP_ACCEPT="text/html")
    assert page["Content-Type"].startswith("text/html")


def test_the_embed_shows_the_events_shots(event, live_mock, event_token):
    ready_shot(live_mock.camera, player="Ana")
    page = Client().get(f"/events/{event.pk}/embed", {"token": event_token, "view": "shots"})
    html = page.content.decode()
    assert page.status_code == 200 and 'id="shots"' in html and "Ana" in html
