"""Recordings with the real chain: nginx-rtmp or the packager's ffmpeg, nginx, Chromium.

- RTMP: after Stop the replay (recording.m3u8 through nginx) plays from 0 to its end
  in Chromium, and an 8 s clip is cut within 5 s and passes ffprobe;
- the mock: rewinding 6 s in the DVR playlist, then back to the live playlist within 3 s
  of the edge;
- SRT: kill -9 of the packager mid-broadcast leaves a recording of what was written,
  which Stop finishes (ready, ENDLIST, plays in ffprobe);
- low disk (LIVE_MIN_FREE_BYTES above the free space): the packager stops recording,
  says why, trims again, and live goes on.
"""

import json
import subprocess
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from live.models import Broadcast, Recording, RecordingState
from live.services.recording_playlists import read_playlist
from live.services.recordings import recording_problem
from tests.processes import PATIENCE
from tests.ingest.support import fetch, marked_pids, wait_for_playable_segments
from tests.processes import PYTHON, wait_for

pytestmark = [pytest.mark.ingest, pytest.mark.django_db(transaction=True)]

HLS_SCRIPT = "/static/vendor/hls-1.6.19.min.js"


def ffprobe_duration(target):
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", target],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert probe.returncode == 0, probe.stderr
    return float(json.loads(probe.stdout)["format"]["duration"])


def recording_ready(broadcast_id):
    recording = Recording.objects.filter(broadcast_id=broadcast_id).first()
    return recording is not None and recording.state == RecordingState.READY


def player_page(new_context, origin, src, options="{}"):
    """A page on ``origin`` (its CSP: no inline scripts) playing ``src`` with hls.js."""
    page = new_context().new_page()
    page.goto(f"{origin}/")
    page.add_script_tag(url=f"{origin}{HLS_SCRIPT}")
    page.evaluate(
        "([src, options]) => { const v = document.createElement('video'); v.id = 'v';"
        " v.muted = true; v.playsInline = true; v.controls = true;"
        " document.body.prepend(v); window.h = new Hls(options); h.loadSource(src);"
        " h.attachMedia(v); v.play().catch(() => {}); }",
        [src, json.loads(options)],
    )
    return page


@pytest.mark.browser
def test_after_stop_the_rtmp_replay_plays_to_its_end_and_a_clip_is_cut(
    api, event, nginx, start_packager, camera, data_dir, new_context
):
    start_packager()
    answer = api.start(event.pk, "rtmp").json()
    broadcast = Broadcast.objects.get(pk=answer["broadcastId"])
    folder = data_dir / "hls" / broadcast.stream_name
    token = api.token(event.pk).json()["token"]
    camera(answer["ingest"]["publishUrl"], "flv")
    wait_for_playable_segments(folder, count=2, timeout=20)
    time.sleep(8)
    assert api.stop(event.pk).status == 200
    wait_for(lambda: recording_ready(broadcast.pk), 5, "the recording to be ready")

    status = api.status(event.pk, token).json()
    replay = status["replayPath"]
    code, body = fetch(f"{nginx.url}{replay}")
    assert code == 200 and body.decode().rstrip().endswith("#EXT-X-ENDLIST")
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in body.decode()
    recorded = read_playlist(folder / "recording.m3u8")
    assert sum(entry.duration for entry in recorded.entries) >= 8
    cached = subprocess.run(
        ["curl", "-sSI", f"{nginx.url}{replay}"], capture_output=True, text=True, check=True
    ).stdout.lower()
    assert "immutable" in cached and "application/vnd.apple.mpegurl" in cached

    page = player_page(new_context, nginx.url, replay)
    page.wait_for_function(
        "() => { const v = document.getElementById('v'); "
        "return v && isFinite(v.duration) && v.duration > 7; }",
        timeout=20_000 * PATIENCE,
    )
    page.evaluate(
        "() => { const v = document.getElementById('v'); v.currentTime = 0; "
        "v.playbackRate = 2; return v.play(); }"
    )
    page.wait_for_function("() => document.getElementById('v').ended", timeout=30_000 * PATIENCE)
    assert page.evaluate("document.getElementById('v').videoWidth") > 0

    start = recorded.entries[1].program_time
    clip = api.call(
        "POST",
        f"/events/{event.pk}/cameras/main/clips",
        {"start": start.isoformat(), "duration": 5},
    )
    assert clip.status == 202, clip.text

    def ready():
        return api.call("GET", f"/events/{event.pk}/clips/{clip.json()['id']}").json()

    wait_for(lambda: ready()["state"] == "ready", 5, "the clip")
    url = ready()["url"]
    assert abs(ffprobe_duration(f"{nginx.url}{url}") - 5) <= 1
    headers = subprocess.run(
        ["curl", "-sSI", f"{nginx.url}{url}"], capture_output=True, text=True, check=True
    ).stdout.lower()
    assert "video/mp4" in headers and "immutable" in headers


@pytest.mark.browser
def test_rewinding_6_s_and_going_back_live_lands_within_3_s_of_the_edge(
    api, event, nginx, new_context, settings
):
    settings.LIVE_DVR_SECONDS = 30
    answer = api.start(event.pk, "mock").json()
    Broadcast.objects.filter(pk=answer["broadcastId"]).update(
        started_at=timezone.now() - timedelta(seconds=40)
    )
    token = api.token(event.pk).json()["token"]
    status = api.status(event.pk, token).json()
    dvr, live = status["dvrPath"], status["hlsPath"]

    # Rewound, hls.js must not chase the edge (no liveMaxLatencyDuration): the player's
    # DVR mode. "Go live" loads the live playlist again, which starts at the edge.
    page = player_page(new_context, nginx.url, dvr, '{"liveSyncDuration": 1.5}')
    behind = "() => { const v = document.getElementById('v'); return v.seekable.length ? " \
        "v.seekable.end(v.seekable.length - 1) - v.currentTime : -1; }"  # fmt: skip
    page.wait_for_function(
        "() => document.getElementById('v').videoWidth > 0", timeout=20_000 * PATIENCE
    )
    window = page.evaluate(
        "() => { const v = document.getElementById('v'); "
        "return v.seekable.end(0) - v.seekable.start(0); }"
    )
    assert window >= 20  # the rewind window, far longer than the live playlist's 10 s
    page.evaluate(
        "() => { const v = document.getElementById('v'); "
        "v.currentTime = v.seekable.end(0) - 1.5 - 6; }"
    )
    page.wait_for_timeout(2500)
    assert page.evaluate(behind) >= 5.5
    assert not page.evaluate("document.getElementById('v').paused")

    page.evaluate(
        f"() => {{ h.loadSource({json.dumps(live)}); "
        "document.getElementById('v').play().catch(() => {}); }"
    )
    page.wait_for_function(
        f"() => ({behind})() >= 0 && ({behind})() < 3", timeout=20_000 * PATIENCE
    )
    first = page.evaluate("document.getElementById('v').currentTime")
    page.wait_for_timeout(2500)
    assert page.evaluate("document.getElementById('v').currentTime") > first + 1
    assert page.evaluate(behind) < 3


def test_kill_9_of_the_packager_leaves_a_recording_that_stop_finishes(
    api, event, start_packager, camera, data_dir, srt_ports
):
    packager = start_packager()
    answer = api.start(event.pk, "srt").json()
    broadcast = Broadcast.objects.get(pk=answer["broadcastId"])
    folder = data_dir / "hls" / broadcast.stream_name
    wait_for(lambda: marked_pids(broadcast.pk), 10, "the SRT listener")
    camera(answer["ingest"]["url"], "mpegts")

    def recorded():
        playlist = read_playlist(folder / "recording.m3u8")
        return len(playlist.entries) if playlist else 0

    wait_for(lambda: recorded() >= 5, 30, "five recorded segments")
    packager.kill()  # SIGKILL: the kernel takes its ffmpeg along
    packager.wait(5)
    wait_for(lambda: not marked_pids(broadcast.pk), 10, "the ffmpeg to die with it")
    written = recorded()
    assert not read_playlist(folder / "recording.m3u8").ended

    assert api.stop(event.pk).status == 200
    wait_for(lambda: recording_ready(broadcast.pk), 5, "stop to finish the recording")
    playlist = read_playlist(folder / "recording.m3u8")
    assert playlist.ended and len(playlist.entries) >= written
    assert all((folder / entry.uri).exists() for entry in playlist.entries)
    seconds = sum(entry.duration for entry in playlist.entries)
    assert abs(ffprobe_duration(str(folder / "recording.m3u8")) - seconds) <= 1.5
    decoded = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(folder / "recording.m3u8"), "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert decoded.returncode == 0 and decoded.stderr.strip() == ""


def test_low_disk_stops_recording_and_live_goes_on(
    api, event, nginx, procs, packager_env, camera, data_dir
):
    env = {**packager_env, "LIVE_MIN_FREE_BYTES": str(2**62)}  # above any real free space
    procs.start("packager", [PYTHON, "manage.py", "livepackager", "--poll", "0.25"], env=env)
    answer = api.start(event.pk, "rtmp").json()
    broadcast = Broadcast.objects.get(pk=answer["broadcastId"])
    folder = data_dir / "hls" / broadcast.stream_name
    camera(answer["ingest"]["publishUrl"], "flv")
    wait_for_playable_segments(folder, count=2, timeout=20)

    wait_for(lambda: Recording.objects.get(broadcast=broadcast).problem != "", 10, "the problem")
    recording = Recording.objects.get(broadcast=broadcast)
    assert "LIVE_MIN_FREE_BYTES" in recording.problem
    assert recording_problem(Broadcast.objects.get(pk=broadcast.pk)) == recording.problem
    # Stopped at the first pass: nothing (failed) or the first segments (ready).
    assert recording.state in (RecordingState.READY, RecordingState.FAILED)
    playlist = read_playlist(folder / "recording.m3u8")
    recorded = len(playlist.entries) if playlist else 0
    time.sleep(20)  # trimming is back: the folder holds the live window and the recording
    kept = len(list(folder.glob("*.ts")))
    assert kept <= recorded + 2 * 6 + 3, kept
    assert api.status(event.pk).json()["health"] == "receiving"  # live goes on
