"""Recordings in object storage (LIVE_RECORDINGS_STORAGE=s3), against moto's S3 server
on a loopback port (tests/s3_server.py: a real S3 API over HTTP, since no S3 server is
installable here), with the packager's pass run in this process over RTMP-style folders.

- each recorded segment goes up with its playlist chunk while recording; Stop stores
  the ended playlist and the last thumbnail, and the local copy leaves the disk;
- a restarted packager puts only what the bucket lacks; a second host's part follows
  the first with a discontinuity;
- an unreachable store is a warning on the host card and a metric, and recording goes on;
- a stored replay, its thumbnail and a clip cut from the bucket play through Django
  with the local folders gone; deleting, purging and retention empty the bucket.
"""

import os
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from live.models import Broadcast, Clip, ClipState, Recording, RecordingState
from live.services import recording_playlists as rp, storage
from live.services.clips import create_clip
from live.services.lifecycle import stop_broadcast
from live.services.media import MediaPath, sign_media_path
from live.services.recordings import NOTHING_RECORDED, finish_recording
from live.workers.clip_cutter import cut_pending_clips
from live.workers.packager import Packager
from live.workers.uploader import Target, Uploader
from tests.live.recordings.test_packager_recording import age, rtmp_broadcast
from tests.live.recordings.test_recording_playlists import write_live
from tests.processes import free_tcp_port, wait_for

FIXTURE = Path(django_settings.LIVE_SAMPLES_HLS_DIR) / "tee"


@pytest.fixture
def packagers():
    """Packagers made here; their uploader threads are stopped at teardown."""
    made = []

    def make(owner="test"):
        made.append(Packager(owner=owner))
        return made[-1]

    yield make
    for packager in made:
        packager.storage.close()


def passes_until(packager, predicate, what, timeout=30):
    """Runs the packager's pass until ``predicate`` holds (the uploads are a thread's)."""

    def done():
        packager.reconcile()
        return predicate()

    return wait_for(done, timeout, what, interval=0.1)


def stored(broadcast):
    return Recording.objects.filter(broadcast=broadcast, stored_at__isnull=False).exists()


def part_keys(keys):
    return {key for key in keys if key.endswith(".ts")}


def signed(stream, file, expires=None):
    return sign_media_path(MediaPath(stream, file), expires or int(time.time()) + 600)


def test_segments_go_up_while_recording_and_stop_stores_the_whole_recording(event, s3, packagers):
    broadcast, folder = rtmp_broadcast(event)
    stream = broadcast.stream_name
    packager = packagers()
    write_live(folder, 0, 3)
    passes_until(packager, lambda: len(part_keys(s3.keys(stream))) == 3, "three segments up")
    part = (folder / ".storage-part").read_text()
    assert s3.keys(stream) == {f"{part}/{n}.ts" for n in range(3)} | {f"{part}/chunk-00000.m3u8"}
    chunk, kind = s3.get(stream, f"{part}/chunk-00000.m3u8")
    assert kind == "application/vnd.apple.mpegurl"
    assert [e.uri for e in rp.parse_playlist(chunk.decode()).entries] == ["0.ts", "1.ts", "2.ts"]
    assert s3.get(stream, f"{part}/0.ts") == (b"x" * 100, "video/mp2t")
    assert "recording.m3u8" not in s3.keys(stream)  # only once it ends

    write_live(folder, 3, 3)
    passes_until(packager, lambda: len(part_keys(s3.keys(stream))) == 6, "the next three")
    (folder / "thumb.jpg").write_bytes((FIXTURE / "thumb.jpg").read_bytes())
    stop_broadcast(event, "test")
    finish_recording(broadcast.pk)  # what on_commit does after a real request
    passes_until(packager, lambda: stored(broadcast), "the recording to be stored")

    text, _ = s3.get(stream, "recording.m3u8")
    playlist = rp.parse_playlist(text.decode())
    assert playlist.ended and [e.uri for e in playlist.entries] == [
        f"{part}/{n}.ts" for n in range(6)
    ]
    assert s3.get(stream, "thumb.jpg")[1] == "image/jpeg"
    recording = Recording.objects.get(broadcast=broadcast)
    assert (recording.duration_seconds, recording.bytes, recording.storage_problem) == (
        6.0,
        600,
        "",
    )
    # In the bucket, it leaves the media host's disk (a minute after its last write).
    age(folder)
    os.utime(folder, (time.time() - 3600,) * 2)
    packager.remove_stale_output([])
    assert not folder.exists()


def test_a_restarted_packager_puts_only_what_the_bucket_lacks(event, s3, packagers):
    broadcast, folder = rtmp_broadcast(event)
    stream = broadcast.stream_name
    first = packagers("first")
    write_live(folder, 0, 4)
    passes_until(first, lambda: len(part_keys(s3.keys(stream))) == 4, "four segments up")
    first.storage.close()  # as after kill -9: nothing more goes up from it
    write_live(folder, 4, 3)
    first.reconcile()  # appended to recording.m3u8, not uploaded
    before = {key: s3.client.head_object(Bucket=s3.name, Key=f"recordings/{stream}/{key}")
              for key in part_keys(s3.keys(stream))}  # fmt: skip

    puts = []
    second = packagers("second")
    storage.store().bucket.meta.client.meta.events.register(
        "before-parameter-build.s3.PutObject", lambda params, **kwargs: puts.append(params["Key"])
    )
    passes_until(second, lambda: len(part_keys(s3.keys(stream))) == 7, "the three it lacked")
    part = (folder / ".storage-part").read_text()
    segment_puts = sorted(key.rsplit("/", 2)[-2:][1] for key in puts if key.endswith(".ts"))
    assert segment_puts == ["4.ts", "5.ts", "6.ts"]
    for key, head in before.items():
        again = s3.client.head_object(Bucket=s3.name, Key=f"recordings/{stream}/{key}")
        assert again["LastModified"] == head["LastModified"] and key.startswith(part)


def part_name(folder):
    try:
        return (folder / ".storage-part").read_text()
    except FileNotFoundError:
        return ""


def test_a_second_hosts_part_follows_the_first_with_a_discontinuity(s3, tmp_path):
    host_a, host_b = tmp_path / "a" / "tee-1", tmp_path / "b" / "tee-1"
    for folder, first, count, finish in ((host_a, 0, 4, False), (host_b, 0, 3, True)):
        folder.mkdir(parents=True)
        write_live(folder, first, count)
        rp.append_segments(folder, finish=finish)
        uploader = Uploader(poll_seconds=0.05)
        try:
            uploader.want(Target("tee-1", folder))
            want = count + 1  # segments and a chunk of this host's part
            part = wait_for(lambda: part_name(folder), 10, "a part name")
            wait_for(
                lambda: len([k for k in s3.keys("tee-1") if k.startswith(part)]) == want,
                20,
                f"host {folder.parent.name}'s part",
            )
            if finish:
                wait_for(lambda: "recording.m3u8" in s3.keys("tee-1"), 20, "the playlist")
        finally:
            uploader.close()

    playlist = rp.parse_playlist(s3.get("tee-1", "recording.m3u8")[0].decode())
    parts = [entry.uri.split("/")[0] for entry in playlist.entries]
    assert len(set(parts)) == 2 and parts[:4] == [parts[0]] * 4 and parts[4:] == [parts[4]] * 3
    assert [entry.discontinuity for entry in playlist.entries] == [False] * 4 + [True] + [
        False
    ] * 2
    assert playlist.ended and sum(entry.duration for entry in playlist.entries) == 7


def test_an_unreachable_store_warns_on_the_host_card_and_in_metrics_and_recording_goes_on(
    event, s3, packagers, settings, client, staff_user
):
    settings.LIVE_S3_ENDPOINT_URL = f"http://127.0.0.1:{free_tcp_port()}"  # nothing there
    settings.LIVE_METRICS_TOKEN = "metrics-token-0123456789"
    broadcast, folder = rtmp_broadcast(event)
    packager = packagers()
    write_live(folder, 0, 3)

    def problem():
        return Recording.objects.get(broadcast=broadcast).storage_problem

    passes_until(packager, problem, "the upload failure to be reported")
    assert problem() == "EndpointConnectionError"  # the kind of failure, nothing secret
    for first in range(3, 9, 3):  # the recording goes on meanwhile, on this disk
        write_live(folder, first, 3)
        packager.reconcile()
    assert len(rp.read_playlist(folder / "recording.m3u8").entries) == 9

    client.force_login(staff_user)
    page = client.get(f"/events/{event.pk}/live-host").content.decode()
    assert 'data-testid="storage-problem"' in page and "not reaching object storage" in page
    assert "moto-test-secret" not in page and "moto-test-key-id" not in page
    scraped = client.get(
        "/metrics", HTTP_AUTHORIZATION="Bearer metrics-token-0123456789"
    ).content.decode()
    assert "teecam_recording_uploads_failing 1.0" in scraped
    assert "teecam_recordings_not_stored 1.0" in scraped

    settings.LIVE_S3_ENDPOINT_URL = s3.endpoint  # the store answers again
    passes_until(
        packager, lambda: len(part_keys(s3.keys(broadcast.stream_name))) == 9, "the backlog", 60
    )
    passes_until(packager, lambda: not problem(), "the warning to clear")


@pytest.fixture
def stored_recording(event, s3, packagers):
    """A finished RTMP recording of the fixture's four real segments, stored, its
    local folder gone, and its packager."""
    broadcast, folder = rtmp_broadcast(event)
    began = timezone.now() - timedelta(seconds=60)
    Broadcast.objects.filter(pk=broadcast.pk).update(started_at=began)
    Recording.objects.filter(broadcast=broadcast).update(started_at=began)
    for number in range(4):
        shutil.copy(FIXTURE / f"seg{number:03d}.ts", folder / f"{number}.ts")
        written = time.time() - 10 + 2 * (number + 1)  # program times: mtime less 2 s
        os.utime(folder / f"{number}.ts", (written, written))
    write_live_real(folder)
    (folder / "thumb.jpg").write_bytes((FIXTURE / "thumb.jpg").read_bytes())
    packager = packagers()
    packager.reconcile()
    stop_broadcast(event, "test")
    finish_recording(broadcast.pk)
    passes_until(packager, lambda: stored(broadcast), "the recording to be stored")
    shutil.rmtree(folder)  # the media host that made it is gone
    broadcast.refresh_from_db()
    return broadcast, packager


def write_live_real(folder):
    lines = ["#EXTM3U", "#EXT-X-TARGETDURATION:2", "#EXT-X-MEDIA-SEQUENCE:0"]
    for number in range(4):
        lines += ["#EXTINF:2.000,", f"{number}.ts"]
    (folder / "index.m3u8").write_text("\n".join(lines) + "\n")


def test_a_stored_replay_its_thumbnail_and_a_clip_play_from_the_bucket(
    event, stored_recording, client, admin_api
):
    broadcast, packager = stored_recording
    stream = broadcast.stream_name
    replay = client.get(signed(stream, "recording.m3u8"))
    assert replay.status_code == 200 and "immutable" in replay["Cache-Control"]
    playlist = rp.parse_playlist(replay.content.decode())
    assert playlist.ended and len(playlist.entries) == 4
    segment = client.get(signed(stream, playlist.entries[1].uri))
    assert segment.status_code == 200 and segment["Content-Type"] == "video/mp2t"
    assert b"".join(segment.streaming_content) == (FIXTURE / "seg001.ts").read_bytes()
    assert client.get(signed(stream, "thumb.jpg"))["Content-Type"] == "image/jpeg"
    expired = client.get(signed(stream, "recording.m3u8", int(time.time()) - 1))
    assert expired.status_code == 410  # the bucket is never reached without teecam's check
    assert client.get(signed(stream, "nothing.ts")).status_code == 404

    sign = admin_api.get("/media/sign", {"path": f"/hls/{stream}/recording.m3u8"})
    assert sign.status_code == 200, sign.content
    assert client.get(sign.json()["url"]).status_code == 200

    start = playlist.entries[1].program_time
    clip, _ = create_clip(broadcast.camera, start, 3, "test")
    assert cut_pending_clips() == 1
    clip.refresh_from_db()
    assert clip.state == ClipState.READY, clip.error
    clip_folder = Path(django_settings.LIVE_STREAM_DATA_DIR) / "hls" / clip.stream_name
    passes_until(
        packager, lambda: Clip.objects.get(pk=clip.pk).stored_at is not None, "the clip stored"
    )
    shutil.rmtree(clip_folder)
    answer = client.get(signed(clip.stream_name, "clip.mp4"))
    assert answer.status_code == 200 and answer["Content-Type"] == "video/mp4"
    assert b"".join(answer.streaming_content)[4:8] == b"ftyp"


@pytest.mark.django_db(transaction=True)  # the purge's thread sees the rows
def test_deleting_purging_and_retention_empty_the_bucket(
    event, stored_recording, admin_api, settings, s3, client
):
    broadcast, packager = stored_recording
    stream = broadcast.stream_name
    assert s3.keys(stream)
    settings.LIVE_S3_ENDPOINT_URL = f"http://127.0.0.1:{free_tcp_port()}"
    recording = Recording.objects.get(broadcast=broadcast)
    refused = admin_api.delete(f"/events/{event.pk}/recordings/{recording.pk}")
    assert refused.status_code == 503 and refused.json()["error"] == "storage_unavailable"
    assert Recording.objects.get(pk=recording.pk).state == RecordingState.READY  # unchanged

    settings.LIVE_S3_ENDPOINT_URL = s3.endpoint
    deleted = admin_api.delete(f"/events/{event.pk}/recordings/{recording.pk}")
    assert deleted.status_code == 200, deleted.content
    assert s3.keys(stream) == set()
    assert client.get(signed(stream, "recording.m3u8")).status_code == 404

    # Retention: the packager purges by itself what stopped longer ago than it keeps.
    settings.LIVE_RECORDING_RETENTION_DAYS = 2
    Recording.objects.filter(pk=recording.pk).update(state=RecordingState.READY)
    s3.client.put_object(Bucket=s3.name, Key=f"recordings/{stream}/p1/0.ts", Body=b"x")
    Recording.objects.filter(pk=recording.pk).update(stopped_at=timezone.now() - timedelta(1))
    packager.storage.next_purge = 0
    packager.reconcile()  # the purge runs on the chores thread: never holds up a pass
    wait_for(packager.storage.chores_done, 30, "the retention purge")
    assert Recording.objects.get(pk=recording.pk).state == RecordingState.READY  # kept
    Recording.objects.filter(pk=recording.pk).update(stopped_at=timezone.now() - timedelta(3))
    packager.storage.next_purge = 0
    packager.reconcile()
    wait_for(packager.storage.chores_done, 30, "the retention purge")
    assert Recording.objects.get(pk=recording.pk).state == RecordingState.DELETED
    assert s3.keys(stream) == set()


@pytest.mark.django_db(transaction=True)  # the chores thread sees the rows
def test_a_recording_whose_host_died_is_finished_from_the_bucket(event, s3, packagers):
    broadcast, folder = rtmp_broadcast(event)
    stream = broadcast.stream_name
    host_a = packagers("a")
    write_live(folder, 0, 3)
    passes_until(host_a, lambda: len(part_keys(s3.keys(stream))) == 3, "three segments up")
    host_a.storage.close()
    shutil.rmtree(folder)  # host a and its disk are gone; no other host has the folder
    stop_broadcast(event, "test")
    assert finish_recording(broadcast.pk) is None  # this process has no folder: left
    assert Recording.objects.get(broadcast=broadcast).state == RecordingState.FINISHING

    Broadcast.objects.filter(pk=broadcast.pk).update(
        stopped_at=timezone.now() - timedelta(seconds=60)  # past the lease and the grace
    )
    host_b = packagers("b")
    passes_until(
        host_b,
        lambda: Recording.objects.get(broadcast=broadcast).state == RecordingState.READY,
        "another host to finish it from the bucket",
    )
    recording = Recording.objects.get(broadcast=broadcast)
    assert recording.stored_at is not None
    assert (recording.duration_seconds, recording.bytes) == (3.0, 300)
    playlist = rp.parse_playlist(s3.get(stream, "recording.m3u8")[0].decode())
    assert playlist.ended and len(playlist.entries) == 3


def test_without_storage_a_recording_no_disk_has_fails_after_the_grace(event):
    broadcast, folder = rtmp_broadcast(event)
    folder.rmdir()  # the camera never sent a picture, or its host's disk is gone
    stop_broadcast(event, "test")
    assert finish_recording(broadcast.pk) is None
    Packager(owner="test").reconcile()
    assert Recording.objects.get(broadcast=broadcast).state == RecordingState.FINISHING
    Broadcast.objects.filter(pk=broadcast.pk).update(
        stopped_at=timezone.now() - timedelta(seconds=60)
    )
    Packager(owner="test").reconcile()
    recording = Recording.objects.get(broadcast=broadcast)
    assert (recording.state, recording.problem) == (RecordingState.FAILED, NOTHING_RECORDED)
