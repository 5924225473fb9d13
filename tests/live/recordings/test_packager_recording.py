"""The packager's pass over an RTMP broadcast's folder: append, finish, low disk, keep."""

import os
import time

from live.models import Recording, RecordingState
from live.services import recording_playlists as rp
from live.services.paths import output_dir_for
from live.services.lifecycle import start_broadcast, stop_broadcast
from live.workers.packager import Packager
from live.services.recordings import finish_recording, recording_problem
from tests.live.recordings.test_recording_playlists import write_live


def age(folder, seconds=3600):
    old = time.time() - seconds
    for path in folder.iterdir():
        os.utime(path, (old, old))


def rtmp_broadcast(event):
    broadcast, _ = start_broadcast(event, "rtmp", "test")
    folder = output_dir_for(broadcast)
    folder.mkdir(parents=True)
    return broadcast, folder


def test_a_recorded_rtmp_broadcast_keeps_every_segment(event, settings):
    broadcast, folder = rtmp_broadcast(event)
    packager = Packager(owner="test")
    for first in range(0, 20, 2):
        write_live(folder, first, 3)
        age(folder)
        packager.reconcile()

    assert len(rp.read_playlist(folder / "recording.m3u8").entries) == 21
    assert len(list(folder.glob("*.ts"))) == 21  # nothing trimmed

    stop_broadcast(event, "test")
    finish_recording(broadcast.pk)  # what on_commit does after a real request
    recording = Recording.objects.get(broadcast=broadcast)
    assert recording.state == RecordingState.READY
    assert (recording.duration_seconds, recording.bytes) == (21.0, 2100)
    assert rp.read_playlist(folder / "recording.m3u8").ended
    packager.remove_stale_output([])
    assert folder.is_dir()  # kept after the broadcast ended


def test_the_next_packager_finishes_a_recording_stop_left(event):
    broadcast, folder = rtmp_broadcast(event)
    write_live(folder, 0, 3)
    Packager(owner="one").reconcile()
    stop_broadcast(event, "test")  # in a test transaction: on_commit never runs

    Packager(owner="two").reconcile()

    assert Recording.objects.get(broadcast=broadcast).state == RecordingState.READY


def test_low_disk_stops_recording_and_trimming_resumes(event, settings):
    broadcast, folder = rtmp_broadcast(event)
    packager = Packager(owner="test")
    write_live(folder, 0, 3)
    packager.reconcile()
    settings.LIVE_MIN_FREE_BYTES = 2**62  # above any real free space

    for first in range(3, 20, 3):
        write_live(folder, first, 3)
        age(folder)
        packager.reconcile()

    recording = Recording.objects.get(broadcast=broadcast)
    assert recording.state == RecordingState.READY and "LIVE_MIN_FREE_BYTES" in recording.problem
    # The same problem (the free space it quotes may have moved by a MiB since).
    assert recording_problem(broadcast).split(":")[0] == recording.problem.split(":")[0]
    kept = {path.name for path in folder.glob("*.ts")}
    assert {"0.ts", "1.ts", "2.ts"} <= kept  # what was recorded stays playable
    assert {"3.ts", "5.ts"} <= kept  # listed when it stopped: in the recording
    assert "6.ts" not in kept  # listed after, dropped and old: trimmed again
    assert (folder / "index.m3u8").exists()


def test_a_camera_with_record_off_is_trimmed_as_before(event):
    event.cameras.update(record=False)
    broadcast, folder = rtmp_broadcast(event)
    for first in range(0, 12, 3):
        write_live(folder, first, 3)
        age(folder)
        Packager(owner="test").reconcile()

    assert not (folder / "recording.m3u8").exists()
    assert len(list(folder.glob("*.ts"))) == 3
    assert recording_problem(broadcast) == "Recording is off for this camera."
