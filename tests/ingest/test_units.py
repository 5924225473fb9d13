"""The ingest pieces one at a time: the RTMP hook, camera URLs, the packager's ffmpeg."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from live.models import Broadcast, Camera, Source
from live.workers import packager
from live.services.cameras import rotate_stream_key, update_camera
from live.services.ingest_hook import hook_query, relay_name, relay_secret
from live.services.lifecycle import start_broadcast, stop_broadcast
from live.services.nginx_config import NginxOptions, render_nginx_config, write_nginx_config
from live.services.sources import (
    InvalidCameraUrl,
    redact_camera_url,
    rtmp_stream_key,
    validate_camera_url,
)
from tests.processes import NGINX, database_url, wait_for
from tests.ingest.support import playlist_entries

pytestmark = pytest.mark.ingest

HOOK = "/ingest/rtmp/publish"
DONE = "/ingest/rtmp/publish-done"


# The RTMP on_publish / on_update hook ------------------------------------------------------


@pytest.fixture
def rtmp_broadcast(event):
    broadcast, _ = start_broadcast(event, Source.RTMP, "test")
    return broadcast


def _hook(form, address="127.0.0.1", path=HOOK):
    # As nginx-rtmp calls it: with the hook secret the rendered config carries.
    return Client(REMOTE_ADDR=address).post(path + hook_query(), form)


def _publish(broadcast, **change):
    """What nginx-rtmp posts when the camera's encoder connects with its stream key."""
    camera = broadcast.camera
    return {"app": "live", "call": "publish", "name": camera.ingest_name,
            "key": camera.stream_key, **change}  # fmt: skip


def test_the_hook_admits_the_cameras_key_under_the_broadcasts_own_name(rtmp_broadcast):
    answer = _hook(_publish(rtmp_broadcast))
    # nginx-rtmp renames the stream: the relay writes HLS under the broadcast's name.
    assert answer.status_code == 302
    name, _, secret = answer["Location"].partition("?relay=")
    assert name == rtmp_broadcast.stream_name and secret == relay_secret(name)
    assert _hook(_publish(rtmp_broadcast, call="update_publish")).status_code == 204
    assert _hook(_publish(rtmp_broadcast), address="::1").status_code == 302


def test_the_relay_may_publish_only_a_live_rtmp_broadcasts_name_with_its_secret(
    event, rtmp_broadcast, other_event
):
    # As nginx-rtmp posts it: the relay's "name?relay=…" split into name and argument.
    name = rtmp_broadcast.stream_name
    relay = {"app": "hls", "call": "publish", "name": name, "relay": relay_secret(name)}
    assert _hook(relay).status_code == 204
    assert _hook({**relay, "name": "made-up-name"}).status_code == 403
    # From loopback, knowing the live broadcast's media name, is not enough.
    assert _hook({"app": "hls", "call": "publish", "name": name}).status_code == 403
    secret = relay_secret(name)
    wrong = secret[:-1] + ("1" if secret.endswith("0") else "0")  # one hex digit off
    assert _hook({**relay, "relay": wrong}).status_code == 403
    other, _ = start_broadcast(other_event, Source.RTMP, "test")
    assert _hook({**relay, "relay": relay_secret(other.stream_name)}).status_code == 403
    assert _hook({"call": "update_play", "name": rtmp_broadcast.stream_name}).status_code == 204
    stop_broadcast(event, "test")
    assert _hook(relay).status_code == 403


@pytest.mark.parametrize(
    "change",
    [
        {"key": "wrong"},
        {"key": ""},
        {"name": ""},
        {"name": "other-stream"},
        "no key",
        "no name",
        "secret as name",
        "stream name as name",
    ],
)
def test_the_hook_refuses_a_wrong_or_missing_name_or_key(rtmp_broadcast, change):
    form = _publish(rtmp_broadcast)
    if change == "no key":
        del form["key"]
    elif change == "no name":
        del form["name"]
    elif change == "secret as name":
        form = {"name": rtmp_broadcast.ingest_secret}
    elif change == "stream name as name":
        form["name"] = rtmp_broadcast.stream_name
    else:
        form.update(change)
    answer = _hook(form)
    assert answer.status_code == 403
    assert rtmp_broadcast.ingest_secret not in answer.content.decode()


def test_the_hook_answers_only_the_ingest_servers_address(rtmp_broadcast):
    form = _publish(rtmp_broadcast)
    assert _hook(form, address="10.1.2.3").status_code == 403
    assert _hook(form, address="10.1.2.3", path=DONE).status_code == 403
    assert _hook(form, path=DONE).status_code == 204


def test_the_hook_refuses_a_stopped_broadcast_and_other_sources(event, rtmp_broadcast):
    form = _publish(rtmp_broadcast)
    stop_broadcast(event, "test")
    assert _hook({**form, "call": "update_publish"}).status_code == 403
    assert _hook(form).status_code == 403
    start_broadcast(event, Source.SRT, "test")
    assert _hook(form).status_code == 403


def test_the_same_key_opens_the_next_broadcast_and_drops_a_feed_of_the_last(event, rtmp_broadcast):
    form = _publish(rtmp_broadcast)
    stop_broadcast(event, "test")
    second, _ = start_broadcast(event, Source.RTMP, "test")
    assert second.stream_name != rtmp_broadcast.stream_name
    assert _hook(form)["Location"] == relay_name(second.stream_name)
    # A feed that began before the second broadcast still pushes into the first: drop it.
    assert _hook({**form, "call": "update_publish", "time": "3600"}).status_code == 403
    assert _hook({**form, "call": "update_publish", "time": "0"}).status_code == 204


def test_after_a_rotation_the_old_key_is_refused_and_the_new_one_admitted(rtmp_broadcast):
    old = _publish(rtmp_broadcast)
    rotate_stream_key(rtmp_broadcast.camera, "test")
    assert _hook(old).status_code == 403
    assert _hook({**old, "call": "update_publish"}).status_code == 403
    new = {**old, "key": Camera.objects.get(pk=rtmp_broadcast.camera_id).stream_key}
    assert _hook(new).status_code == 302


def test_a_refused_publish_is_kept_for_the_host_page(event, rtmp_broadcast):
    _hook(_publish(rtmp_broadcast, key="wrong", addr="203.0.113.9"))

    camera = Camera.objects.get(pk=rtmp_broadcast.camera_id)
    assert camera.last_refused_at is not None
    assert (camera.last_refused_from, camera.last_refused_reason) == (
        "203.0.113.9",
        "wrong stream key",
    )


def test_an_opted_in_camera_goes_live_when_it_connects(event):
    camera = event.cameras.get()
    update_camera(camera, source=Source.RTMP)
    form = {"app": "live", "call": "publish", "name": camera.ingest_name, "key": camera.stream_key}
    assert _hook(form).status_code == 403  # not started, not opted in: refused
    assert not Broadcast.objects.exists()

    update_camera(camera, auto_start=True)
    answer = _hook(form)

    live = Broadcast.objects.get(stopped_at=None)
    assert (answer.status_code, answer["Location"]) == (302, relay_name(live.stream_name))
    assert (live.source, live.started_by) == (Source.RTMP, "camera:main")


def test_the_hook_takes_posts_only(rtmp_broadcast):
    assert Client(REMOTE_ADDR="127.0.0.1").get(HOOK).status_code == 405


def test_the_stream_key_keeps_the_secret_out_of_the_stream_name(rtmp_broadcast):
    camera = rtmp_broadcast.camera
    key = rtmp_stream_key(camera)
    name, _, query = key.partition("?")
    assert name == camera.ingest_name
    assert camera.stream_key not in name
    assert rtmp_broadcast.stream_name not in key  # viewers' paths are not the camera's name
    assert query == f"key={camera.stream_key}"


# Camera URLs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "rtsp://camera.local/stream",
        "rtsps://camera.local:322/live/1",
        "rtsp://user:p%40ss@10.0.0.7:554/Streaming/Channels/101",
        "rtsp://[fe80::1]:8554/tee",
        "RTSP://camera.local/stream".lower(),
    ],
)
def test_validate_camera_url_accepts_rtsp_urls(url):
    assert validate_camera_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "",
        None,
        42,
        "http://camera.local/stream",
        "rtmp://camera.local/live",
        "camera.local/stream",
        "rtsp://",
        "rtsp:///stream",
        "rtsp://user:pass@/stream",
        "rtsp://camera local/stream",
        "rtsp://camera.local/my stream",
        " rtsp://camera.local/stream",
        "rtsp://camera.local/stream\n",
        "rtsp://camera.local/\x00",
        "rtsp://camera.local:99999/stream",
        "rtsp://camera.local:port/stream",
        "rtsp://[::1/stream",
        "rtsp://camera.local/" + "a" * 500,
    ],
)
def test_validate_camera_url_refuses_anything_else(url):
    with pytest.raises(InvalidCameraUrl):
        validate_camera_url(url)


@pytest.mark.parametrize(
    "url, shown",
    [
        (
            "rtsp://user:secret@cam.local:554/live?token=abc",
            "rtsp://***@cam.local:554/live?token=***",
        ),
        ("rtsp://user@cam.local/live", "rtsp://***@cam.local/live"),
        ("rtsp://:secret@cam.local/live", "rtsp://***@cam.local/live"),
        ("rtsps://cam.local/live", "rtsps://cam.local/live"),
        ("rtsp://cam.local/live#frag", "rtsp://cam.local/live"),
        ("rtsp://[::1/x", "(invalid URL)"),
    ],
)
def test_redact_camera_url_drops_credentials_query_and_fragment(url, shown):
    assert redact_camera_url(url) == shown


@pytest.mark.django_db
@pytest.mark.parametrize(
    "camera_url",
    [
        "http://camera.local/stream",
        "rtsp://",
        "rtsp:///no-host",
        "rtsp://camera.local/with space",
        "rtsp://camera.local/" + "x" * 500,
        "",
    ],
)
def test_start_refuses_a_bad_camera_url_naming_the_field(admin_api, event, camera_url):
    answer = admin_api.post(
        f"/events/{event.pk}/live/start",
        {"source": "rtsp", "cameraUrl": camera_url},
        format="json",
    )
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"] == "validation_error"
    assert list(answer.json()["detail"]) == ["cameraUrl"]
    assert not Broadcast.objects.exists()


@pytest.mark.django_db
def test_start_without_a_camera_url_names_the_field(admin_api, event):
    answer = admin_api.post(f"/events/{event.pk}/live/start", {"source": "rtsp"}, format="json")
    assert answer.status_code == 400
    assert "cameraUrl" in answer.json()["detail"]


@pytest.mark.django_db
def test_status_never_shows_ingest_secrets(admin_api, client_api, event):
    for source in ("rtmp", "srt"):
        started = admin_api.post(
            f"/events/{event.pk}/live/start", {"source": source}, format="json"
        )
        assert started.status_code == 201
        broadcast = Broadcast.objects.get(pk=started.json()["broadcastId"])
        assert broadcast.ingest_secret in str(started.json()["ingest"])
        for api in (admin_api, client_api):
            seen = api.get(f"/events/{event.pk}/live/status").content.decode()
            assert broadcast.ingest_secret not in seen and "ingest" not in seen
        admin_api.post(f"/events/{event.pk}/live/stop")


# needs_transcode --------------------------------------------------------------------------

HEVC_LOG = """\
Input #0, mpegts, from 'srt://0.0.0.0:9000?mode=listener&passphrase=***&pbkeylen=16':
  Duration: N/A, start: 1.400000, bitrate: N/A
  Program 1
  Stream #0:0[0x100]: Video: hevc (Main) (HEVC / 0x43564548), yuv420p(tv), 426x240, 30 fps
  Stream #0:1[0x101](und): Audio: aac (LC) ([15][0][0][0] / 0x000F), 44100 Hz, mono, fltp
Stream mapping:
  Stream #0:0 -> #0:0 (copy)
  Stream #0:1 -> #0:1 (copy)
[h264_mp4toannexb @ 0x55e5bad2fec0] Codec 'hevc' (173) is not supported by the bitstream \
filter 'h264_mp4toannexb'. Supported codecs are: h264 (27)
Error initializing output stream 0:0 --
"""
H264_LOG = """\
Input #0, mpegts, from 'srt://0.0.0.0:9000?mode=listener&passphrase=***&pbkeylen=16':
  Stream #0:0[0x100]: Video: h264 (High) ([27][0][0][0] / 0x001B), yuv420p(progressive)
  Stream #0:1[0x101]: Audio: aac (LC) ([15][0][0][0] / 0x000F), 44100 Hz, mono, fltp
Output #0, hls, to '/data/hls/tee/index.m3u8':
  Stream #0:0: Video: h264 (High) ([27][0][0][0] / 0x001B), yuv420p(progressive)
  Stream #0:1: Audio: aac (LC) ([15][0][0][0] / 0x000F), 44100 Hz, mono, fltp
Stream mapping:
  Stream #0:0 -> #0:0 (copy)
  Stream #0:1 -> #0:1 (copy)
"""


def test_needs_transcode_reads_ffmpegs_input_report(tmp_path):
    log = tmp_path / "ffmpeg.log"
    assert packager.needs_transcode(log) is False  # no log yet
    log.write_text(H264_LOG)
    assert packager.needs_transcode(log) is False
    log.write_text(HEVC_LOG)
    assert packager.needs_transcode(log) is True
    log.write_text(H264_LOG.replace("Audio: aac (LC)", "Audio: mp2"))
    assert packager.needs_transcode(log) is True
    log.write_text(H264_LOG.replace("Video: h264 (High)", "Video: mpeg2video (Main)"))
    assert packager.needs_transcode(log) is True
    log.write_text(HEVC_LOG + H264_LOG)  # the newest run is what counts
    assert packager.needs_transcode(log) is False


def test_needs_transcode_on_a_real_ffmpeg_log_of_an_hevc_camera(tmp_path):
    """ffmpeg itself writes the log, with the packager's copy command's bitstream filter."""
    encoders = subprocess.run(
        ["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True, timeout=10
    ).stdout
    codec = "libx265" if " libx265 " in encoders else "mpeg2video"
    clip = tmp_path / "camera.ts"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10",
         "-f", "lavfi", "-i", "sine", "-t", "1", "-c:v", codec, "-c:a", "aac", str(clip)],
        check=True, timeout=60,
    )  # fmt: skip
    log = tmp_path / "ffmpeg.log"
    with open(log, "wb") as stderr:
        code = subprocess.run(
            ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", str(clip), "-map", "0:v:0",
             "-map", "0:a:0?", "-c", "copy", "-bsf:v", "h264_mp4toannexb", "-f", "hls",
             str(tmp_path / "out" / "index.m3u8")],
            stderr=stderr, timeout=60,
        ).returncode  # fmt: skip
    assert code != 0  # refused before writing a segment
    assert not list(tmp_path.glob("out/*.ts"))
    assert packager.needs_transcode(log) is True


# ffmpeg_command ---------------------------------------------------------------------------


def _broadcast(source, ingest_secret="", **fields):
    """An unsaved broadcast; its camera holds the stream key, as in the database."""
    return Broadcast(
        pk=7,
        source=source,
        stream_name="open-2026-0123456789abcdef",
        started_at=timezone.now(),
        camera=Camera(slug="main", stream_key=ingest_secret),
        **fields,
    )


def _value(command, option):
    return command[command.index(option) + 1]


def test_ffmpeg_command_for_srt_copies_h264_and_listens_with_the_passphrase(settings, data_dir):
    settings.LIVE_SEGMENT_SECONDS, settings.LIVE_PLAYLIST_SEGMENTS = 1, 6
    broadcast = _broadcast(Source.SRT, ingest_secret="s3cret-passphrase", ingest_port=9123)
    command = packager.ffmpeg_command(broadcast)
    source = _value(command, "-i")
    assert source.startswith("srt://0.0.0.0:9123?mode=listener")
    assert "passphrase=s3cret-passphrase" in source and "pbkeylen=16" in source
    assert _value(command, "-c") == "copy"
    assert _value(command, "-bsf:v") == "h264_mp4toannexb"
    assert "libx264" not in command
    assert _value(command, "-hls_time") == "1"
    assert _value(command, "-hls_list_size") == "6"
    flags = _value(command, "-hls_flags").split("+")
    for flag in ("delete_segments", "program_date_time", "temp_file", "omit_endlist"):
        assert flag in flags
    assert "append_list" not in flags and "discont_start" not in flags
    assert _value(command, "-hls_start_number_source") == "epoch"
    folder = Path(data_dir) / "hls" / broadcast.stream_name
    assert _value(command, "-hls_segment_filename") == str(folder / "s%d.ts")
    assert command[-1] == str(folder / "index.m3u8")
    assert command[:2] == ["ffmpeg", "-nostdin"] and "-nostats" in command


def test_ffmpeg_command_transcodes_with_a_keyframe_per_segment(settings):
    settings.LIVE_SEGMENT_SECONDS = 2
    broadcast = _broadcast(Source.SRT, ingest_secret="x" * 32, ingest_port=9000)
    command = packager.ffmpeg_command(broadcast, transcode=True)
    assert _value(command, "-c:v") == "libx264"
    assert _value(command, "-c:a") == "aac"
    assert _value(command, "-pix_fmt") == "yuv420p"
    assert _value(command, "-force_key_frames") == "expr:gte(t,n_forced*2)"
    assert "-bsf:v" not in command and "copy" not in command


def test_ffmpeg_command_resumes_the_playlist_after_a_reconnect():
    broadcast = _broadcast(Source.SRT, ingest_secret="x" * 32, ingest_port=9000)
    command = packager.ffmpeg_command(broadcast, resume=True)
    flags = _value(command, "-hls_flags").split("+")
    assert "append_list" in flags
    # Numbering carries on from the playlist (an epoch start would renumber its
    # segments); append_list alone marks the discontinuity where it resumes.
    assert "-hls_start_number_source" not in command
    assert "discont_start" not in flags


def test_ffmpeg_command_for_rtsp_pulls_over_tcp():
    url = "rtsp://user:pw@10.0.0.7:554/live"
    command = packager.ffmpeg_command(_broadcast(Source.RTSP, camera_url=url))
    assert _value(command, "-rtsp_transport") == "tcp"
    assert _value(command, "-i") == url
    assert ["-map", "0:v:0"] == command[command.index("-map") : command.index("-map") + 2]


# Log redaction and the children's markers -------------------------------------------------


def test_secrets_of_and_copy_redacted_blank_passwords_and_passphrases(tmp_path):
    rtsp = _broadcast(Source.RTSP, camera_url="rtsp://cam:p%40ss-word@10.0.0.7/live")
    srt = _broadcast(Source.SRT, ingest_secret="PassPhrase-123", ingest_port=9000)
    assert set(packager.secrets_of(rtsp)) == {b"p%40ss-word", b"p@ss-word"}
    assert packager.secrets_of(srt) == [b"PassPhrase-123"]
    assert packager.secrets_of(_broadcast(Source.RTSP, camera_url="rtsp://cam/x")) == []

    read, write = os.pipe()
    log = tmp_path / "child.log"
    pump = threading.Thread(
        target=packager.copy_redacted,
        args=(os.fdopen(read, "rb"), log, packager.secrets_of(rtsp)),
    )
    pump.start()
    with os.fdopen(write, "wb") as child:
        child.write(b"Input #0, rtsp, from 'rtsp://cam:p%40ss-word@10.0.0.7/live':\n")
        child.write(b"said p@ss-word twice: p@ss-word\n")
        child.write(b"[hls @ 0x5603] Opening '/data/hls/tee/s17.ts.tmp' for writing\n")
    pump.join(timeout=5)
    text = log.read_text()
    assert "ss-word" not in text
    assert "rtsp://cam:***@10.0.0.7/live" in text and "said *** twice: ***" in text
    assert "for writing" not in text


def test_find_marked_processes_sees_only_this_deployments_children(settings, tmp_path):
    """Broadcast ids repeat across databases: another deployment's ffmpeg is not ours."""
    sleeper = [sys.executable, "-c", "import time; time.sleep(30)"]
    ours = subprocess.Popen(
        sleeper,
        env={
            **os.environ,
            packager.CHILD_MARKER: "7",
            packager.SCOPE_MARKER: packager.packager_scope(),
        },
    )
    theirs = subprocess.Popen(
        sleeper,
        env={**os.environ, packager.CHILD_MARKER: "7", packager.SCOPE_MARKER: "elsewhere"},
    )
    try:
        wait_for(lambda: (ours.pid, 7) in packager.find_marked_processes(), 5, "our child")
        found = packager.find_marked_processes()
        assert (theirs.pid, 7) not in found
        assert (theirs.pid, 7) in packager.find_marked_processes(scope="elsewhere")
        packager.kill_orphan(theirs.pid, 7)  # not ours: left alone
        assert theirs.poll() is None
        packager.kill_orphan(ours.pid, 8)  # not that broadcast's: left alone
        assert ours.poll() is None
        packager.kill_orphan(ours.pid, 7)
        assert ours.wait(timeout=5) == -9
        before = packager.packager_scope()
        settings.LIVE_STREAM_DATA_DIR = tmp_path / "another-data-dir"
        assert packager.packager_scope() != before
    finally:
        for process in (ours, theirs):
            process.kill()
            process.wait()


def test_the_lease_length_comes_from_the_setting_or_the_command(settings):
    assert packager.Packager().lease_seconds == settings.LIVE_PACKAGER_LEASE_SECONDS == 10
    settings.LIVE_PACKAGER_LEASE_SECONDS = 4
    assert packager.Packager().lease_seconds == 4
    short = packager.Packager(lease_seconds=1.5)
    assert short.lease_seconds == 1.5 and short.renew_every == 0.5


# The rendered nginx config and helpers ----------------------------------------------------


def test_the_rendered_nginx_config_is_valid_and_wires_the_rtmp_hooks(tmp_path, data_dir):
    options = NginxOptions(
        listen="127.0.0.1:18080",
        upstream="127.0.0.1:18000",
        prefix=str(tmp_path / "nginx"),
        rtmp_listen="127.0.0.1:11935",
        workers="1",
    )
    text = render_nginx_config(options)
    hook = hook_query()
    assert f"on_publish http://127.0.0.1:18000/ingest/rtmp/publish{hook};" in text
    assert f"on_update http://127.0.0.1:18000/ingest/rtmp/publish{hook};" in text
    assert f"on_publish_done http://127.0.0.1:18000/ingest/rtmp/publish-done{hook};" in text
    assert f"hls_path {(Path(data_dir) / 'hls').resolve()};" in text
    assert "listen 127.0.0.1:11935;" in text
    config = write_nginx_config(options, tmp_path / "nginx" / "nginx.conf")
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    checked = subprocess.run(
        [NGINX, "-t", "-c", str(config), "-p", str(tmp_path / "nginx")],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert checked.returncode == 0, checked.stderr


def test_database_url_names_the_test_database(db, settings):
    url = database_url()
    name = str(settings.DATABASES["default"]["NAME"])
    assert url.endswith(name.rsplit("/", 1)[-1])
    assert url.split("://")[0] in ("sqlite", "postgres")


def test_playlist_entries_number_segments_and_mark_discontinuities():
    text = "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:10\n#EXTINF:1,\na.ts\n#EXT-X-DISCONTINUITY\n"
    text += "#EXTINF:1,\nb.ts\n"
    assert playlist_entries(text) == [(10, "a.ts", False), (11, "b.ts", True)]


@pytest.mark.django_db
def test_stale_output_and_logs_of_ended_broadcasts_are_removed(data_dir, event):
    live, _ = start_broadcast(event, Source.SRT, "test")
    root = Path(data_dir) / "hls"
    names = {"live": live.stream_name, "ended": "open-2026-ended", "fresh": "open-2026-fresh"}
    for name in names.values():
        (root / name).mkdir(parents=True)
        (root / name / "s1.ts").write_bytes(b"G")
        (root / f".{name}.ffmpeg.log").write_text("log")
    old = time.time() - 120
    for name in (names["live"], names["ended"]):
        os.utime(root / name, (old, old))
        os.utime(root / f".{name}.ffmpeg.log", (old, old))
    packager.Packager().remove_stale_output([live])
    left = sorted(path.name for path in root.iterdir())
    assert left == sorted(
        [
            names["live"],
            f".{names['live']}.ffmpeg.log",
            names["fresh"],
            f".{names['fresh']}.ffmpeg.log",
        ]
    )


def test_trim_segments_deletes_only_old_segments_the_playlist_dropped(tmp_path):
    folder = tmp_path / "stream"
    folder.mkdir()
    (folder / "index.m3u8").write_text("#EXTM3U\n#EXTINF:1.0,\n7.ts\n#EXTINF:1.0,\n8.ts\n")
    for name in ("5.ts", "6.ts", "7.ts", "8.ts", "old.key"):
        (folder / name).write_bytes(b"G")
    old = time.time() - 60
    for name in ("5.ts", "7.ts", "old.key"):
        os.utime(folder / name, (old, old))
    packager.trim_segments(folder, keep_seconds=12)
    assert sorted(path.name for path in folder.iterdir()) == [
        "6.ts",  # dropped from the playlist only just now: a player may still ask
        "7.ts",  # listed
        "8.ts",
        "index.m3u8",
        "old.key",
    ]
    packager.trim_segments(tmp_path / "missing", keep_seconds=12)  # no folder: nothing


def test_nginx_rtmp_cleanup_is_off_so_it_leaves_the_packagers_folders_alone(data_dir):
    text = render_nginx_config(NginxOptions(prefix="/tmp/teecam-nginx-test"))
    assert "hls_cleanup off;" in text and "hls_cleanup on;" not in text
    assert "hls_continuous on;" in text


def test_trusted_proxies_are_believed_one_by_one_and_no_others(data_dir):
    trusted = NginxOptions(
        prefix="/tmp/teecam-nginx-test", trusted_proxies=" 10.0.0.0/8, ,192.168.1.7,"
    )
    text = render_nginx_config(trusted)
    assert text.count("set_real_ip_from") == 2
    assert "set_real_ip_from 10.0.0.0/8;" in text
    assert "set_real_ip_from 192.168.1.7;" in text
    assert "real_ip_header X-Forwarded-For;" in text

    untrusted = render_nginx_config(NginxOptions(prefix="/tmp/teecam-nginx-test"))
    assert "set_real_ip_from" not in untrusted and "real_ip_header" not in untrusted
