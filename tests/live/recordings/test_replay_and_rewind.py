"""Status's replayPath and dvrPath, the viewer page's replay, the mock's playlists."""

from django.template import Context, Template

from live.services.lifecycle import stop_broadcast
from live.services.overview import overview_of
from live.services.recording_playlists import parse_playlist
from live.services.viewer_links import mint_viewer_link
from live.views.console import camera_status
from tests.live.support import status_url


def test_status_gives_a_valid_token_the_rewind_playlist_while_live(
    client_api, event, live_mock, settings
):
    settings.LIVE_DVR_SECONDS = 20
    token, _, _ = mint_viewer_link(live_mock, 900, "test")

    answer = client_api.get(status_url(event.pk), {"token": token}).json()

    assert answer["dvrPath"].endswith(f"/{live_mock.stream_name}/dvr.m3u8")
    assert answer["dvrPath"].split("/")[2:4] == answer["hlsPath"].split("/")[2:4]
    dvr = parse_playlist(client_api.get(answer["dvrPath"]).content.decode())
    live = parse_playlist(client_api.get(answer["hlsPath"]).content.decode())
    assert sum(entry.duration for entry in dvr.entries) == 20
    assert len(live.entries) == 5  # the edge playlist does not grow with the window
    assert dvr.entries[-1].uri == live.entries[-1].uri
    assert "replayPath" not in answer
    assert "dvrPath" not in client_api.get(status_url(event.pk)).json()


def test_status_gives_a_valid_token_the_replay_after_the_stop(client_api, event, live_mock):
    token, _, _ = mint_viewer_link(live_mock, 900, "test")
    stop_broadcast(event, "test")
    answer = client_api.get(status_url(event.pk), {"token": token}).json()

    assert answer["running"] is False
    assert answer["replayPath"].endswith(f"/{live_mock.stream_name}/recording.m3u8")
    replay = client_api.get(answer["replayPath"])
    assert replay.status_code == 200 and "immutable" in replay["Cache-Control"]
    playlist = parse_playlist(replay.content.decode())
    assert playlist.ended and 30 <= sum(e.duration for e in playlist.entries) <= 34
    resigned = client_api.get("/media/sign", {"path": answer["replayPath"]})
    assert resigned.status_code == 200
    assert "replayPath" not in client_api.get(status_url(event.pk), {"token": "x"}).json()


def test_the_viewer_page_of_an_ended_broadcast_offers_the_replay(client, event, live_mock):
    token, _, _ = mint_viewer_link(live_mock, 900, "test")
    stop_broadcast(event, "test")
    html = Template("{% load recordings %}{% replay_player event_id camera token %}").render(
        Context({"event_id": event.pk, "camera": live_mock.camera, "token": token})
    )

    assert "Watch the replay" in html and "controls" in html
    assert f"/{live_mock.stream_name}/recording.m3u8" in html
    refused = Template("{% load recordings %}{% replay_player event_id camera token %}").render(
        Context({"event_id": event.pk, "camera": live_mock.camera, "token": "bad"})
    )
    assert "replay" not in refused


def test_the_clips_partial_lists_clips_and_why_recording_stopped(event, live_mock, settings):
    settings.LIVE_MIN_FREE_BYTES = 2**62  # more than any disk has free
    card = camera_status(live_mock.camera, live_mock, overview_of(event.pk))
    html = Template("{% load recordings %}{% camera_clips card %}").render(Context({"card": card}))
    assert "LIVE_MIN_FREE_BYTES" in html


def test_an_ended_unrecorded_broadcast_has_no_replay(client_api, event, live_mock):
    token, _, _ = mint_viewer_link(live_mock, 900, "test")
    live_mock.recording.delete()
    stop_broadcast(event, "test")
    assert "replayPath" not in client_api.get(status_url(event.pk), {"token": token}).json()
