"""A media host lost mid-broadcast, with recordings in object storage (moto's S3 server on
a loopback port, tests/s3_server.py: a real S3 API over HTTP, since no S3 server is
installable here).

Two packagers with disks of their own (media hosts a and b) and an SRT camera that
reconnects as hardware encoders do. Host a records 30 s; then ``kill -9`` of its
packager (the kernel takes its ffmpeg along), the camera moves to host b, Stop. The
replay, read from the bucket through Django, covers both hosts' parts with a
discontinuity between them, and no more than 2 s are missing before the kill.
"""

import hashlib
import subprocess
import time

import pytest

from live.models import Broadcast, Recording
from live.services.recording_playlists import parse_playlist, read_playlist
from live.workers.child_processes import find_marked_processes
from tests.processes import PYTHON, postgres_only, wait_for
from tests.s3_server import s3, s3_server  # noqa: F401  (fixtures)

pytestmark = [
    pytest.mark.ingest,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    postgres_only(
        "two packagers race over one database, and it records 30 s: run once, on "
        "PostgreSQL (scripts/check.sh); it passes on SQLite too"
    ),
]

LEASE_SECONDS = 3  # how soon the dead host's camera moves (10 s by default)
RECORD_SECONDS = 30


def recorded_seconds(folder):
    playlist = read_playlist(folder / "recording.m3u8")
    return sum(entry.duration for entry in playlist.entries) if playlist else 0


def test_a_media_host_lost_mid_broadcast_loses_at_most_2_s_of_its_recording(
    api, event, procs, packager_env, camera, data_dir, s3, tmp_path, live_server  # noqa: F811
):
    def packager(name, disk):
        env = {**packager_env, **s3.env(), "LIVE_STREAM_DATA_DIR": str(disk)}
        command = [PYTHON, "manage.py", "livepackager", "--poll", "0.25"]
        return procs.start(name, command + ["--lease-seconds", str(LEASE_SECONDS)], env=env)

    host_a = packager("packager-a", tmp_path / "host-a")
    answer = api.start(event.pk, "srt").json()
    broadcast = Broadcast.objects.get(pk=answer["broadcastId"])
    folder_a = tmp_path / "host-a" / "hls" / broadcast.stream_name
    # Host b's disk is the app's own (data_dir): Stop finishes the recording there.
    folder_b = data_dir / "hls" / broadcast.stream_name
    scope_a = hashlib.sha256(str((folder_a.parent).resolve()).encode()).hexdigest()[:16]

    def ffmpeg_of_a():
        return [pid for pid, marked in find_marked_processes(scope_a) if marked == broadcast.pk]

    wait_for(ffmpeg_of_a, 30, "host a's SRT listener")
    camera(answer["ingest"]["url"], "mpegts", reconnect=True)
    wait_for(lambda: recorded_seconds(folder_a) >= RECORD_SECONDS, 90, "30 s on host a")
    host_b = packager("packager-b", data_dir)

    host_a.kill()  # kill -9: its ffmpeg dies with it (PR_SET_PDEATHSIG)
    killed_at = time.time()
    host_a.wait(5)
    wait_for(lambda: not ffmpeg_of_a(), 5, "host a's ffmpeg to die with it")
    wait_for(lambda: recorded_seconds(folder_b) >= 4, 60, "the camera on host b")
    assert host_b.poll() is None
    token = api.token(event.pk).json()["token"]  # a viewer link, good after Stop too
    assert api.stop(event.pk).status == 200

    def stored():
        return Recording.objects.filter(broadcast=broadcast, stored_at__isnull=False).first()

    recording = wait_for(stored, 60, "the recording in the bucket")
    playlist = parse_playlist(s3.get(broadcast.stream_name, "recording.m3u8")[0].decode())
    parts = [entry.uri.split("/")[0] for entry in playlist.entries]
    boundary = parts.index(parts[-1])
    assert len(set(parts)) == 2 and set(parts[:boundary]) == {parts[0]}
    assert playlist.entries[boundary].discontinuity
    assert not any(entry.discontinuity for entry in playlist.entries[1:boundary])
    last_a = playlist.entries[boundary - 1]
    a_ends = last_a.program_time.timestamp() + last_a.duration
    print(f"host a's stored part ends {killed_at - a_ends:.2f} s before the kill")
    assert killed_at - a_ends <= 2.0, (killed_at, a_ends)
    assert sum(e.duration for e in playlist.entries[:boundary]) >= RECORD_SECONDS - 2
    assert playlist.ended and recording.duration_seconds == pytest.approx(
        sum(entry.duration for entry in playlist.entries)
    )

    # The replay through Django, from the bucket: host a is gone, its disk never read.
    replay = api.status(event.pk, token).json()["replayPath"]
    decoded = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", f"{live_server.url}{replay}", "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert decoded.returncode == 0, decoded.stderr[-500:]
