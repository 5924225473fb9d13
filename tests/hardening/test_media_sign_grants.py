"""GET /media/sign: the documented flow from status works, and only streams that exist now sign.

Issue 10, items 1 and 12. The original contract: status returns ``hlsPath`` for a
valid token, and clients may sign it again through ``/media/sign``. ``hlsPath`` is
already signed, so the signer unwraps a path whose signature holds (expired too)
and signs its ``/hls/<stream>/<file>`` afresh. It signs only a live broadcast's
stream or a committed fixture: anything else is 404 naming the stream.
"""

import time

import pytest
from rest_framework.test import APIClient

from live.models import Broadcast, Recording
from live.services.apikeys import create_api_key
from live.services.lifecycle import start_broadcast, stop_broadcast
from live.services.media import MediaPath, sign_media_path
from live.services.media_grants import signable_stream
from live.services.viewer_links import find_link, revoke_viewer_link
from tests.live.support import (
    SIGN_URL,
    changed_middle_character,
    mint,
    segment_uris,
    sibling,
    start,
    status_url,
    with_part,
)

pytestmark = pytest.mark.django_db


def body_of(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.fixture
def live(admin_api, event):
    assert start(admin_api, event.pk).status_code == 201
    return Broadcast.objects.get()


@pytest.fixture
def token(admin_api, event, live):
    return mint(admin_api, event.pk).json()["token"]


@pytest.fixture
def hls_path(client_api, event, token):
    return client_api.get(status_url(event.pk), {"token": token}).json()["hlsPath"]


def test_status_hlspath_signed_again_plays_the_playlist_and_a_segment(
    client_api, anonymous_api, event, token
):
    status = client_api.get(status_url(event.pk), {"token": token})
    hls_path = status.json()["hlsPath"]

    signed = client_api.get(SIGN_URL, {"path": hls_path})

    assert signed.status_code == 200, signed.json()
    url = signed.json()["url"]
    assert url != hls_path and url.endswith("/index.m3u8")
    assert url.split("/")[4] == hls_path.split("/")[4]  # the same stream, not the signature
    playlist = anonymous_api.get(url)
    assert playlist.status_code == 200
    uris = segment_uris(body_of(playlist).decode())
    assert uris
    segment = anonymous_api.get(sibling(url, uris[-1]))
    assert segment.status_code == 200
    assert body_of(segment)[0] == 0x47


def test_an_expired_hlspath_is_signed_afresh(client_api, anonymous_api, live):
    expired = sign_media_path(MediaPath(live.stream_name, "index.m3u8"), int(time.time()) - 60)
    assert anonymous_api.get(expired).status_code == 410

    signed = client_api.get(SIGN_URL, {"path": expired})

    assert signed.status_code == 200
    assert anonymous_api.get(signed.json()["url"]).status_code == 200


def test_a_signed_segment_path_is_signed_afresh_too(client_api, live):
    path = sign_media_path(MediaPath(live.stream_name, "seg000.ts"), int(time.time()) + 60)

    signed = client_api.get(SIGN_URL, {"path": path})

    assert signed.status_code == 200
    assert signed.json()["url"].endswith(f"/{live.stream_name}/seg000.ts")


@pytest.mark.parametrize("part", [2, 3, 4], ids=["signature", "expiry", "stream"])
def test_a_tampered_hlspath_is_400_naming_path(client_api, hls_path, part):
    tampered = with_part(hls_path, part, changed_middle_character(hls_path.split("/")[part]))

    response = client_api.get(SIGN_URL, {"path": tampered})

    assert response.status_code in (400, 404), response.json()
    if part != 4:  # a changed stream name still reads as a stream: no such stream
        assert response.status_code == 400
        assert response.json()["error"] == "validation_error"
        assert list(response.json()["detail"]) == ["path"]


def test_another_streams_signature_does_not_carry_over(client_api, hls_path):
    other = sign_media_path(MediaPath("tee", "index.m3u8"), int(time.time()) + 60)
    forged = with_part(hls_path, 2, other.split("/")[2])

    response = client_api.get(SIGN_URL, {"path": forged})

    assert response.status_code == 400
    assert list(response.json()["detail"]) == ["path"]


def test_a_live_broadcast_and_the_fixture_are_signable(client_api, live):
    for path in (f"/hls/{live.stream_name}/index.m3u8", "/hls/tee/index.m3u8"):
        assert client_api.get(SIGN_URL, {"path": path}).status_code == 200, path


@pytest.mark.parametrize(
    "stream", ["made-up", "a" * 80, "samples", "hls", "tee-copy"], ids=lambda s: s[:12]
)
def test_a_stream_that_does_not_exist_is_404_naming_it(client_api, stream):
    response = client_api.get(SIGN_URL, {"path": f"/hls/{stream}/index.m3u8"})

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert stream in response.json()["detail"]


def test_an_ended_unrecorded_broadcast_is_no_longer_signable(client_api, event, live, hls_path):
    Recording.objects.all().delete()  # not recorded
    stop_broadcast(event, "test")

    plain = client_api.get(SIGN_URL, {"path": f"/hls/{live.stream_name}/index.m3u8"})
    from_status = client_api.get(SIGN_URL, {"path": hls_path})

    assert (plain.status_code, from_status.status_code) == (404, 404)
    assert live.stream_name in plain.json()["detail"]


def test_a_revoked_viewers_stream_stops_signing_when_the_broadcast_ends(
    client_api, event, live, token, hls_path
):
    Recording.objects.all().delete()  # a recording stays signable (issue 12)
    revoke_viewer_link(find_link(token), "test")
    after_revoke = client_api.get(status_url(event.pk), {"token": token}).json()
    assert "hlsPath" not in after_revoke

    stop_broadcast(event, "test")
    start_broadcast(event, "mock", "test")  # the camera's next broadcast has a new stream

    assert client_api.get(SIGN_URL, {"path": hls_path}).status_code == 404
    assert not signable_stream(live.stream_name)


def test_an_ended_broadcast_with_a_ready_recording_signs_its_replay(client_api, event, live):
    stop_broadcast(event, "test")

    answer = client_api.get(SIGN_URL, {"path": f"/hls/{live.stream_name}/recording.m3u8"})

    assert answer.status_code == 200
    assert answer.json()["url"].endswith(f"/{live.stream_name}/recording.m3u8")


@pytest.mark.parametrize("name", [None, "", "../tee", "tee/..", "x" * 81, "a\x00b"])
def test_signable_stream_refuses_what_is_not_a_stream_name(name):
    assert signable_stream(name) is False


def test_a_scoped_key_cannot_sign_another_events_hlspath(event, other_event, hls_path):
    scoped = APIClient()
    scoped.credentials(HTTP_X_API_KEY=create_api_key("other-only", events=[other_event.pk])[1])

    response = scoped.get(SIGN_URL, {"path": hls_path})

    assert response.status_code == 403
    assert event.pk in response.json()["detail"]
