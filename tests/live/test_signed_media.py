"""The /hls/<sig>/<exp>/<stream>/<file> view: Django's stand-in for nginx's secure_link."""

import time
from urllib.parse import quote

import pytest

from live.models import Broadcast, Recording
from live.services.media import MediaPath, sign_media_path
from tests.live.support import (
    SIGN_URL,
    changed_middle_character,
    mint,
    segment_uris,
    sibling,
    start,
    status_url,
    stop_url,
    with_part,
)

pytestmark = pytest.mark.django_db

MPEG_TS_SYNC = 0x47


@pytest.fixture
def live(admin_api, event):
    assert start(admin_api, event.pk).status_code == 201
    return Broadcast.objects.get()


@pytest.fixture
def hls_path(admin_api, client_api, event, live):
    """The playlist path a viewer's player gets from the status endpoint."""
    token = mint(admin_api, event.pk).json()["token"]
    return client_api.get(status_url(event.pk), {"token": token}).json()["hlsPath"]


def body_of(response):
    # Reading the whole stream also closes the file (the test client's wrapper does).
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def test_a_viewer_plays_the_live_playlist_and_its_segments(anonymous_api, hls_path):
    playlist = anonymous_api.get(hls_path)

    assert playlist.status_code == 200
    assert playlist["Content-Type"] == "application/vnd.apple.mpegurl"
    assert playlist["Cache-Control"] == "no-cache"
    text = body_of(playlist).decode()
    assert text.startswith("#EXTM3U")
    assert "#EXT-X-MEDIA-SEQUENCE:" in text
    assert "#EXT-X-ENDLIST" not in text
    uris = segment_uris(text)
    assert uris

    segment = anonymous_api.get(sibling(hls_path, uris[-1]))

    assert segment.status_code == 200
    assert segment["Content-Type"] == "video/mp2t"
    content = body_of(segment)
    assert len(content) > 188
    assert content[0] == MPEG_TS_SYNC
    assert content[188] == MPEG_TS_SYNC


def test_a_signed_playlist_may_be_fetched_without_any_credentials(hls_path, client):
    # The plain Django test client: no API key, no session.
    assert client.get(hls_path).status_code == 200


def test_a_tampered_signature_is_403(anonymous_api, hls_path):
    signature = hls_path.split("/")[2]

    response = anonymous_api.get(with_part(hls_path, 2, changed_middle_character(signature)))

    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


def test_the_signature_of_one_stream_does_not_open_another(anonymous_api, hls_path, live):
    for stream in ("tee", "other-stream", live.stream_name + "x"):
        assert anonymous_api.get(with_part(hls_path, 4, stream)).status_code == 403


def test_a_changed_expiry_is_403(anonymous_api, hls_path):
    expires = int(hls_path.split("/")[3])

    response = anonymous_api.get(with_part(hls_path, 3, str(expires + 1)))

    assert response.status_code == 403


def test_an_expired_url_is_410(anonymous_api, live):
    path = sign_media_path(MediaPath(live.stream_name, "index.m3u8"), int(time.time()) - 10)

    response = anonymous_api.get(path)

    assert response.status_code == 410
    assert response.json()["error"] == "expired"


def test_an_expired_url_with_a_wrong_signature_is_403_not_410(anonymous_api, live):
    path = sign_media_path(MediaPath(live.stream_name, "index.m3u8"), int(time.time()) - 10)

    response = anonymous_api.get(with_part(path, 2, changed_middle_character(path.split("/")[2])))

    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/hls/tee/index.m3u8", "/hls/tee/seg000.ts"])
def test_an_unsigned_fixture_path_is_not_found(anonymous_api, path):
    response = anonymous_api.get(path)

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_an_unsigned_path_to_the_live_stream_is_refused(anonymous_api, live):
    response = anonymous_api.get(f"/hls/{live.stream_name}/index.m3u8")

    assert response.status_code in (403, 404)


@pytest.mark.parametrize(
    "tail",
    [
        "tee/../../etc/passwd",
        "tee/../../../../../../etc/passwd",
        "../etc/passwd",
        "tee/%2e%2e/%2e%2e/etc/passwd",
        "tee/%252e%252e/%252e%252e/etc/passwd",
        "tee/..%2f..%2fetc%2fpasswd",
        "tee/%2e%2e%2f%2e%2e%2fsettings.py",
        "tee/..\\..\\etc\\passwd",
        "tee/index.m3u8%00.ts",
        "tee/./index.m3u8",
    ],
)
def test_path_traversal_in_a_signed_url_is_never_served(anonymous_api, tail):
    # A genuine signature for "tee", so the only thing wrong is the path itself.
    signed = sign_media_path(MediaPath("tee", "index.m3u8"), int(time.time()) + 600)
    prefix = signed.rsplit("/", 2)[0]

    response = anonymous_api.get(f"{prefix}/{tail}")

    assert response.status_code in (403, 404), response.status_code
    assert b"root:" not in body_of(response)


def test_path_traversal_below_a_live_stream_is_never_served(anonymous_api, live):
    signed = sign_media_path(MediaPath(live.stream_name, "index.m3u8"), int(time.time()) + 600)
    prefix = signed.rsplit("/", 1)[0]

    for tail in ("../tee/seg000.ts", "..%2ftee%2fseg000.ts", quote("../../teecam/settings.py")):
        assert anonymous_api.get(f"{prefix}/{tail}").status_code in (403, 404)


def test_the_fixture_stream_signed_by_the_api_plays_as_a_vod_playlist(client_api, anonymous_api):
    url = client_api.get(SIGN_URL, {"path": "/hls/tee/index.m3u8"}).json()["url"]

    playlist = anonymous_api.get(url)

    assert playlist.status_code == 200
    assert playlist["Content-Type"] == "application/vnd.apple.mpegurl"
    text = body_of(playlist).decode()
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in text
    assert text.rstrip().endswith("#EXT-X-ENDLIST")
    segment = anonymous_api.get(sibling(url, segment_uris(text)[0]))
    assert segment.status_code == 200
    assert segment["Cache-Control"] == "public, max-age=86400, immutable"
    assert body_of(segment)[0] == MPEG_TS_SYNC


def test_a_file_the_fixture_does_not_list_is_404(anonymous_api, hls_path):
    for name in ("seg999.ts", "make_fixture.sh", "index.m3u8.bak", "notes.txt"):
        assert anonymous_api.get(sibling(hls_path, name)).status_code == 404


def test_a_stopped_unrecorded_mock_keeps_its_last_playlist_but_no_segments(
    admin_api, anonymous_api, event, hls_path
):
    Recording.objects.all().delete()  # not recorded
    assert anonymous_api.get(hls_path).status_code == 200
    admin_api.post(stop_url(event.pk))

    # The live playlist stays as it was at Stop, as the packager leaves its own (players
    # stall on it and ask the page); its segments are gone.
    frozen = anonymous_api.get(hls_path)
    assert frozen.status_code == 200
    assert frozen.content.decode() == anonymous_api.get(hls_path).content.decode()
    assert anonymous_api.get(sibling(hls_path, "seg000.ts")).status_code == 404


def test_a_stopped_recorded_mock_broadcast_keeps_its_replay(
    admin_api, anonymous_api, event, hls_path
):
    # Recorded (issue 12): the live playlist no longer grows, the recording and its
    # segments stay.
    admin_api.post(stop_url(event.pk))

    assert "#EXT-X-ENDLIST" not in anonymous_api.get(hls_path).content.decode()
    assert anonymous_api.get(sibling(hls_path, "recording.m3u8")).status_code == 200
    assert anonymous_api.get(sibling(hls_path, "seg000.ts")).status_code == 200


def test_the_live_output_of_a_packaged_stream_is_served_from_the_data_dir(
    admin_api, anonymous_api, event, data_dir, settings
):
    settings.LIVEKIT_WHIP_URL = "https://livekit.example.test/whip"
    start(admin_api, event.pk, "livekit")
    stream = Broadcast.objects.get().stream_name
    folder = data_dir / "hls" / stream
    folder.mkdir(parents=True)
    (folder / "index.m3u8").write_text(
        "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\nlive0.ts\n"
    )
    (folder / "live0.ts").write_bytes(bytes([MPEG_TS_SYNC]) + bytes(187))
    expires = int(time.time()) + 600

    playlist = anonymous_api.get(sign_media_path(MediaPath(stream, "index.m3u8"), expires))
    segment = anonymous_api.get(sign_media_path(MediaPath(stream, "live0.ts"), expires))
    missing = anonymous_api.get(sign_media_path(MediaPath(stream, "live1.ts"), expires))

    assert playlist.status_code == 200
    assert playlist["Cache-Control"] == "no-cache"
    assert body_of(playlist).decode().endswith("live0.ts\n")
    assert segment.status_code == 200
    assert segment["Cache-Control"] == "public, max-age=60"
    assert body_of(segment)[0] == MPEG_TS_SYNC
    assert missing.status_code == 404


def test_a_file_type_that_is_not_media_is_never_served(anonymous_api, data_dir):
    folder = data_dir / "hls" / "some-stream"
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("not media")

    path = sign_media_path(MediaPath("some-stream", "notes.txt"), int(time.time()) + 600)

    assert anonymous_api.get(path).status_code == 404


def test_a_symlink_out_of_the_live_output_is_not_followed(anonymous_api, data_dir, tmp_path):
    secret = tmp_path / "outside.ts"
    secret.write_bytes(b"secret bytes")
    folder = data_dir / "hls" / "some-stream"
    folder.mkdir(parents=True)
    (folder / "escape.ts").symlink_to(secret)

    path = sign_media_path(MediaPath("some-stream", "escape.ts"), int(time.time()) + 600)

    assert anonymous_api.get(path).status_code == 404
